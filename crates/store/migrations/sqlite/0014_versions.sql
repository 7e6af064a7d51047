-- The book as each day left it: when a sync changes an invoice or a customer, the row it
-- replaces is kept here, valid until the business date of that sync; one a later sync brings
-- is kept as absent until then (those of a company's first load have always been there). The
-- aging of a past date reads the version each invoice and customer had that day.
CREATE TABLE invoice_versions (
    company_id TEXT NOT NULL,
    tran_id TEXT NOT NULL,
    -- The business date of the sync that replaced it: the version holds before that day.
    valid_to TEXT NOT NULL,
    -- Not yet loaded before valid_to: the other columns are empty.
    absent INTEGER NOT NULL,
    customer_id TEXT,
    tran_type TEXT,
    tran_date TEXT,
    due_date TEXT,
    amount INTEGER,
    balance INTEGER,
    amount_hc INTEGER,
    balance_hc INTEGER,
    closing_date TEXT,
    PRIMARY KEY (company_id, tran_id, valid_to)
);
CREATE INDEX invoice_versions_by_day ON invoice_versions (valid_to);

-- What the aging shows of a customer, as it stood before valid_to.
CREATE TABLE customer_versions (
    company_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    valid_to TEXT NOT NULL,
    absent INTEGER NOT NULL,
    name TEXT,
    parent_id TEXT,
    customer_class TEXT,
    credit_class TEXT,
    status TEXT,
    currency TEXT,
    credit_limit INTEGER,
    credit_hold INTEGER,
    assigned_user TEXT,
    PRIMARY KEY (company_id, customer_id, valid_to)
);
CREATE INDEX customer_versions_by_day ON customer_versions (valid_to);
