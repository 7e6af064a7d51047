-- Payment plans (payment schedules): an invoice split into instalments by an admin. A plan is
-- in force from the business date it was made on until the one it was cancelled on, so that
-- the aging of a past date follows the plan that was in force that day. One plan in force per
-- invoice; the invoice's original due date and amounts are kept with it.
CREATE TABLE payment_plans (
    plan_id INTEGER PRIMARY KEY,
    company_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    tran_id TEXT NOT NULL,
    -- The invoice's currency; `total` (in it) is its balance when the plan was made.
    currency TEXT NOT NULL,
    total INTEGER NOT NULL,
    orig_due_date TEXT,
    orig_amount INTEGER NOT NULL,
    orig_amount_hc INTEGER NOT NULL,
    note TEXT,
    is_active INTEGER NOT NULL,
    made_on TEXT NOT NULL,
    made_at TEXT NOT NULL,
    made_by TEXT NOT NULL,
    cancelled_on TEXT,
    cancelled_at TEXT,
    cancelled_by TEXT,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX payment_plans_by_customer ON payment_plans (company_id, customer_id);
CREATE UNIQUE INDEX payment_plans_one_active ON payment_plans (company_id, tran_id)
    WHERE is_active;

CREATE TABLE plan_instalments (
    plan_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    due_date TEXT NOT NULL,
    amount INTEGER NOT NULL,
    PRIMARY KEY (plan_id, seq)
);
