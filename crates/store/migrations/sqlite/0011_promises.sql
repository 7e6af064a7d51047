-- Expected payments and promises to pay, recorded on a communication, and what the last check
-- (at each sync and each generate) found of them; the invoices each is tagged to.
CREATE TABLE expected_payments (
    expected_id INTEGER PRIMARY KEY,
    company_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    -- The activity it was recorded on, and its issue.
    activity_id INTEGER,
    issue_id INTEGER,
    -- In `currency`: the tagged invoices' currency, else the customer's.
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    expected_date TEXT NOT NULL,
    is_promise INTEGER NOT NULL,
    note TEXT,
    entered_on TEXT NOT NULL,
    entered_at TEXT NOT NULL,
    entered_by TEXT NOT NULL,
    -- open, kept, broken, missed or cancelled; paid towards it so far, and when.
    status TEXT NOT NULL,
    actual_amount INTEGER NOT NULL DEFAULT 0,
    actual_date TEXT,
    checked_on TEXT,
    cancelled_on TEXT,
    cancelled_by TEXT,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX expected_payments_by_customer ON expected_payments (company_id, customer_id);
CREATE INDEX expected_payments_by_status ON expected_payments (status);

CREATE TABLE expected_payment_invoices (
    expected_id INTEGER NOT NULL,
    company_id TEXT NOT NULL,
    tran_id TEXT NOT NULL,
    PRIMARY KEY (expected_id, tran_id)
);
CREATE INDEX expected_payment_invoices_by_invoice
    ON expected_payment_invoices (company_id, tran_id);

-- User actions: the notifications Arrears raises for a user (a broken promise, a follow-up
-- past due) beside the customer actions of the rules. Admins set each kind's description and
-- priority; a user may change them on one action.
CREATE TABLE user_action_types (
    kind TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    priority INTEGER NOT NULL
);
INSERT INTO user_action_types (kind, description, priority) VALUES
    ('broken_promise', 'Broken promise to pay', 2),
    ('followup_past_due', 'Follow-up past due', 3);

CREATE TABLE user_actions (
    user_action_id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    -- None: the company's unassigned pool.
    user_id TEXT,
    company_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    -- What it is about (`expected_payment:12`, `activity:40`): raised once for each.
    subject TEXT NOT NULL,
    detail TEXT NOT NULL,
    -- Set on this action by a user, over its kind's.
    description TEXT,
    priority INTEGER,
    raised_on TEXT NOT NULL,
    raised_at TEXT NOT NULL,
    is_open INTEGER NOT NULL,
    closed_on TEXT,
    closed_by TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    UNIQUE (kind, subject)
);
CREATE INDEX user_actions_open_by_user ON user_actions (is_open, user_id);
CREATE INDEX user_actions_by_customer ON user_actions (company_id, customer_id);
