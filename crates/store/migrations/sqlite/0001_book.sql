CREATE TABLE companies (
    company_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    home_currency TEXT NOT NULL,
    row_hash INTEGER NOT NULL
);

CREATE TABLE users (
    user_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT,
    role TEXT NOT NULL,
    manager TEXT,
    active INTEGER NOT NULL,
    row_hash INTEGER NOT NULL
);

CREATE TABLE customers (
    company_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    name TEXT NOT NULL,
    parent_id TEXT,
    customer_class TEXT,
    credit_class TEXT,
    status TEXT,
    credit_limit INTEGER,
    credit_hold INTEGER NOT NULL,
    currency TEXT,
    payment_terms TEXT,
    date_established TEXT,
    email TEXT,
    phone TEXT,
    addr_line1 TEXT, addr_line2 TEXT, addr_line3 TEXT, addr_line4 TEXT, addr_line5 TEXT,
    city TEXT, state TEXT, postal_code TEXT, country TEXT,
    sales_person_id TEXT,
    assigned_user TEXT,
    days_to_respond INTEGER,
    udf1 TEXT, udf2 TEXT, udf3 TEXT, udf4 TEXT, udf5 TEXT,
    row_hash INTEGER NOT NULL,
    PRIMARY KEY (company_id, customer_id)
) WITHOUT ROWID;

CREATE TABLE contacts (
    company_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    name TEXT NOT NULL,
    title TEXT, email TEXT, phone TEXT, fax TEXT,
    is_primary INTEGER NOT NULL,
    include_in_email INTEGER NOT NULL,
    row_hash INTEGER NOT NULL,
    PRIMARY KEY (company_id, customer_id, contact_id)
) WITHOUT ROWID;

CREATE TABLE invoices (
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
);
CREATE INDEX invoices_by_customer ON invoices (company_id, customer_id);

CREATE TABLE payments (
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
);

CREATE TABLE payment_applications (
    company_id TEXT NOT NULL,
    payment_id TEXT NOT NULL,
    tran_id TEXT NOT NULL,
    amount INTEGER NOT NULL,
    applied_date TEXT,
    effective_date TEXT NOT NULL,
    row_hash INTEGER NOT NULL,
    PRIMARY KEY (company_id, payment_id, tran_id)
);
CREATE INDEX applications_by_invoice ON payment_applications (company_id, tran_id);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE syncs (
    sync_id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    sync_date TEXT NOT NULL,
    source TEXT NOT NULL,
    run_by TEXT NOT NULL,
    status TEXT NOT NULL,
    problems TEXT NOT NULL
);

CREATE TABLE sync_files (
    sync_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    file TEXT NOT NULL,
    rows INTEGER NOT NULL,
    inserted INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    unchanged INTEGER NOT NULL,
    PRIMARY KEY (sync_id, file)
);
