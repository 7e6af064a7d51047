-- The book as each day left it: when a sync changes an invoice or a customer, the row it
-- replaces is kept here, valid until the business date of that sync; one a later sync brings
-- is kept as absent until then (those of a company's first load have always been there). The
-- aging of a past date reads the version each invoice and customer had that day.
CREATE TABLE invoice_versions (
    company_id TEXT NOT NULL,
    tran_id TEXT NOT NULL,
    -- The business date of the sync that replaced it: the version holds before that day.
    valid_to DATE NOT NULL,
    -- Not yet loaded before valid_to: the other columns are empty.
    absent BOOLEAN NOT NULL,
    customer_id TEXT,
    tran_type TEXT,
    tran_date DATE,
    due_date DATE,
    amount BIGINT,
    balance BIGINT,
    amount_hc BIGINT,
    balance_hc BIGINT,
    closing_date DATE,
    PRIMARY KEY (company_id, tran_id, valid_to)
);
CREATE INDEX invoice_versions_by_day ON invoice_versions (valid_to);

-- What the aging shows of a customer, as it stood before valid_to.
CREATE TABLE customer_versions (
    company_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    valid_to DATE NOT NULL,
    absent BOOLEAN NOT NULL,
    name TEXT,
    parent_id TEXT,
    customer_class TEXT,
    credit_class TEXT,
    status TEXT,
    currency TEXT,
    credit_limit BIGINT,
    credit_hold BOOLEAN,
    assigned_user TEXT,
    PRIMARY KEY (company_id, customer_id, valid_to)
);
CREATE INDEX customer_versions_by_day ON customer_versions (valid_to);
