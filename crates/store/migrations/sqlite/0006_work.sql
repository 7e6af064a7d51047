-- The collectors' work: issues (credit tasks), their activities, the invoices tagged to
-- activities, and the log of every generate run. Only Arrears writes these tables, an issue
-- with its activities in one transaction; per-row foreign-key checks would cost a generate
-- run of a million issues more than the inserts themselves.
CREATE TABLE issues (
    issue_id INTEGER PRIMARY KEY,
    company_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    action_code TEXT NOT NULL,
    priority INTEGER NOT NULL,
    -- The rule that created the issue; none for one opened by hand.
    credit_class TEXT,
    seq_no INTEGER,
    assigned_user TEXT,
    is_open INTEGER NOT NULL,
    created_date TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    -- Which figures made the rule match.
    reason TEXT,
    closed_date TEXT,
    closed_by TEXT,
    close_reason TEXT
);
CREATE INDEX issues_by_customer ON issues (company_id, customer_id, is_open);
CREATE INDEX issues_open_by_user ON issues (is_open, assigned_user);

CREATE TABLE activities (
    activity_id INTEGER PRIMARY KEY,
    issue_id INTEGER NOT NULL,
    company_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    activity_type TEXT NOT NULL,
    action_code TEXT,
    description TEXT,
    assigned_user TEXT,
    is_open INTEGER NOT NULL,
    customer_contact INTEGER NOT NULL,
    start_date TEXT NOT NULL,
    respond_by TEXT NOT NULL,
    followup_date TEXT,
    followup_user TEXT,
    created_date TEXT NOT NULL,
    created_by TEXT NOT NULL,
    completed_date TEXT,
    completed_by TEXT
);
CREATE INDEX activities_by_issue ON activities (issue_id);
CREATE INDEX activities_by_customer ON activities (company_id, customer_id);

CREATE TABLE activity_invoices (
    activity_id INTEGER NOT NULL,
    company_id TEXT NOT NULL,
    tran_id TEXT NOT NULL,
    -- The invoice's open balance (home currency) when it was tagged.
    amount INTEGER NOT NULL,
    PRIMARY KEY (activity_id, tran_id)
);
CREATE INDEX activity_invoices_by_invoice ON activity_invoices (company_id, tran_id);

CREATE TABLE generate_runs (
    run_id INTEGER PRIMARY KEY,
    company_id TEXT,
    run_date TEXT NOT NULL,
    credit_class TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    run_by TEXT NOT NULL,
    source TEXT NOT NULL,
    created INTEGER NOT NULL,
    closed INTEGER NOT NULL,
    errors TEXT NOT NULL
);
-- A schedule runs once per business date, however many runners ask.
CREATE UNIQUE INDEX generate_runs_once_per_schedule
    ON generate_runs (company_id, credit_class, run_date) WHERE source = 'schedule';
