-- What users keep at their desk: notes on accounts and their named views of My Accounts.
CREATE TABLE account_notes (
    note_id INTEGER PRIMARY KEY,
    company_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX account_notes_by_customer ON account_notes (company_id, customer_id);

CREATE TABLE saved_views (
    user_id TEXT NOT NULL,
    name TEXT NOT NULL,
    filter TEXT NOT NULL,
    sort TEXT NOT NULL,
    columns TEXT NOT NULL,
    per_page TEXT NOT NULL,
    -- The view My Accounts opens with; at most one per user.
    is_default INTEGER NOT NULL,
    PRIMARY KEY (user_id, name)
);
