-- The invoices' rows made narrower, since a sync of 5% changed invoices at random rewrites
-- every page of the table: the row hash dropped (a sync compares an invoice with the hash its
-- item page keeps, and never read this copy), and the three dates kept as day numbers, days
-- from the common era with 0001-01-01 day 1 (three bytes where the text took eleven).
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
