-- The invoices' rows made narrower, since a sync of 5% changed invoices at random rewrites
-- every page of the table: the row hash dropped (a sync compares an invoice with the hash its
-- item page keeps, and never read this copy), and the three dates kept as day numbers, days
-- from the common era with 0001-01-01 day 1 (three bytes where the text took eleven). Their
-- versions keep the dates the same way, so that a sync copies a changed invoice's row as it
-- is.
CREATE TABLE invoices_narrow (
    company_id TEXT NOT NULL,
    tran_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    tran_type TEXT NOT NULL,
    tran_date INTEGER NOT NULL,
    due_date INTEGER,
    amount INTEGER NOT NULL,
    balance INTEGER NOT NULL,
    currency TEXT NOT NULL,
    amount_hc INTEGER NOT NULL,
    balance_hc INTEGER NOT NULL,
    payment_terms TEXT, customer_po TEXT, status TEXT, sold_to_id TEXT, comment TEXT,
    udf1 TEXT, udf2 TEXT, udf3 TEXT, udf4 TEXT, udf5 TEXT,
    closing_date INTEGER,
    PRIMARY KEY (company_id, tran_id)
) WITHOUT ROWID;
INSERT INTO invoices_narrow (company_id, tran_id, customer_id, tran_type, tran_date, due_date,
    amount, balance, currency, amount_hc, balance_hc, payment_terms, customer_po, status,
    sold_to_id, comment, udf1, udf2, udf3, udf4, udf5, closing_date)
SELECT company_id, tran_id, customer_id, tran_type,
    CAST(julianday(tran_date) - 1721424.5 AS INTEGER),
    CAST(julianday(due_date) - 1721424.5 AS INTEGER),
    amount, balance, currency, amount_hc, balance_hc, payment_terms, customer_po, status,
    sold_to_id, comment, udf1, udf2, udf3, udf4, udf5,
    CAST(julianday(closing_date) - 1721424.5 AS INTEGER)
FROM invoices;
DROP TABLE invoices;
ALTER TABLE invoices_narrow RENAME TO invoices;

CREATE TABLE invoice_versions_narrow (
    company_id TEXT NOT NULL,
    tran_id TEXT NOT NULL,
    -- The business date of the sync that replaced it: the version holds before that day.
    valid_to TEXT NOT NULL,
    -- Not yet loaded before valid_to: the other columns are empty.
    absent INTEGER NOT NULL,
    customer_id TEXT,
    tran_type TEXT,
    tran_date INTEGER,
    due_date INTEGER,
    amount INTEGER,
    balance INTEGER,
    amount_hc INTEGER,
    balance_hc INTEGER,
    closing_date INTEGER,
    PRIMARY KEY (company_id, tran_id, valid_to)
);
INSERT INTO invoice_versions_narrow (company_id, tran_id, valid_to, absent, customer_id,
    tran_type, tran_date, due_date, amount, balance, amount_hc, balance_hc, closing_date)
SELECT company_id, tran_id, valid_to, absent, customer_id, tran_type,
    CAST(julianday(tran_date) - 1721424.5 AS INTEGER),
    CAST(julianday(due_date) - 1721424.5 AS INTEGER),
    amount, balance, amount_hc, balance_hc,
    CAST(julianday(closing_date) - 1721424.5 AS INTEGER)
FROM invoice_versions;
DROP TABLE invoice_versions;
ALTER TABLE invoice_versions_narrow RENAME TO invoice_versions;
CREATE INDEX invoice_versions_by_day ON invoice_versions (valid_to);
