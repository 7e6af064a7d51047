-- Invoices, payments and applications keep their rows in their primary key's own B-tree
-- (WITHOUT ROWID): one tree to write per row instead of a table and a key index.
CREATE TABLE invoices_by_key (
    company_id TEXT NOT NULL,
    tran_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    tran_type TEXT NOT NULL,
    tran_date TEXT NOT NULL,
    due_date TEXT,
    amount INTEGER NOT NULL,
    balance INTEGER NOT NULL,
    currency TEXT NOT NULL,
    amount_hc INTEGER NOT NULL,
    balance_hc INTEGER NOT NULL,
    payment_terms TEXT, customer_po TEXT, status TEXT, sold_to_id TEXT, comment TEXT,
    udf1 TEXT, udf2 TEXT, udf3 TEXT, udf4 TEXT, udf5 TEXT,
    closing_date TEXT,
    row_hash INTEGER NOT NULL,
    PRIMARY KEY (company_id, tran_id)
) WITHOUT ROWID;
INSERT INTO invoices_by_key (company_id, tran_id, customer_id, tran_type, tran_date, due_date,
    amount, balance, currency, amount_hc, balance_hc, payment_terms, customer_po, status,
    sold_to_id, comment, udf1, udf2, udf3, udf4, udf5, closing_date, row_hash)
SELECT company_id, tran_id, customer_id, tran_type, tran_date, due_date,
    amount, balance, currency, amount_hc, balance_hc, payment_terms, customer_po, status,
    sold_to_id, comment, udf1, udf2, udf3, udf4, udf5, closing_date, row_hash
FROM invoices;
DROP TABLE invoices;
ALTER TABLE invoices_by_key RENAME TO invoices;
CREATE INDEX invoices_by_customer ON invoices (company_id, customer_id);

CREATE TABLE payments_by_key (
    company_id TEXT NOT NULL,
    payment_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    payment_date TEXT NOT NULL,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    amount_hc INTEGER NOT NULL,
    tender_type TEXT, reference TEXT,
    unapplied_amount INTEGER,
    comment TEXT,
    row_hash INTEGER NOT NULL,
    PRIMARY KEY (company_id, payment_id)
) WITHOUT ROWID;
INSERT INTO payments_by_key (company_id, payment_id, customer_id, payment_date, amount,
    currency, amount_hc, tender_type, reference, unapplied_amount, comment, row_hash)
SELECT company_id, payment_id, customer_id, payment_date, amount,
    currency, amount_hc, tender_type, reference, unapplied_amount, comment, row_hash
FROM payments;
DROP TABLE payments;
ALTER TABLE payments_by_key RENAME TO payments;

CREATE TABLE payment_applications_by_key (
    company_id TEXT NOT NULL,
    payment_id TEXT NOT NULL,
    tran_id TEXT NOT NULL,
    amount INTEGER NOT NULL,
    applied_date TEXT,
    effective_date TEXT NOT NULL,
    row_hash INTEGER NOT NULL,
    PRIMARY KEY (company_id, payment_id, tran_id)
) WITHOUT ROWID;
INSERT INTO payment_applications_by_key (company_id, payment_id, tran_id, amount,
    applied_date, effective_date, row_hash)
SELECT company_id, payment_id, tran_id, amount, applied_date, effective_date, row_hash
FROM payment_applications;
DROP TABLE payment_applications;
ALTER TABLE payment_applications_by_key RENAME TO payment_applications;
CREATE INDEX applications_by_invoice ON payment_applications (company_id, tran_id);
