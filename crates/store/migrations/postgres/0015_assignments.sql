-- Customers assigned in Arrears by an admin. The customer's `assigned_user` holds the
-- assignment in force; while a row here holds, syncs keep it and only note what
-- customers.csv says in `sync_user`, which the customer returns to when the row is removed.
CREATE TABLE assignments (
    company_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    -- None: the company's unassigned pool.
    user_id TEXT,
    sync_user TEXT,
    assigned_by TEXT NOT NULL,
    assigned_on DATE NOT NULL,
    assigned_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (company_id, customer_id)
);
