-- The collector's workflow: what was said and done on each activity, follow-ups, notes on
-- single invoices, disputes, and the event log that keeps every change.

-- What happened on an activity, its follow-up, and a version that makes concurrent edits
-- of one activity or issue conflict instead of overwriting each other.
ALTER TABLE activities ADD COLUMN note TEXT;
-- Phone calls: `spoke` (spoke to the customer) or `no_contact`.
ALTER TABLE activities ADD COLUMN call_result TEXT;
ALTER TABLE activities ADD COLUMN followup_desc TEXT;
ALTER TABLE activities ADD COLUMN followup_respond_by TEXT;
-- The activity whose follow-up this one is.
ALTER TABLE activities ADD COLUMN followup_of INTEGER;
ALTER TABLE activities ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE issues ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
CREATE INDEX activities_by_followup ON activities (followup_of);

CREATE TABLE invoice_notes (
    note_id INTEGER PRIMARY KEY,
    company_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    tran_id TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX invoice_notes_by_invoice ON invoice_notes (company_id, tran_id);

-- An invoice in dispute. `entered_on` and `closed_on` are the business dates it was recorded
-- and closed on: the aging of a past date excludes what was excluded that day.
CREATE TABLE disputes (
    dispute_id INTEGER PRIMARY KEY,
    company_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    tran_id TEXT NOT NULL,
    amount INTEGER NOT NULL,
    dispute_date TEXT NOT NULL,
    reason_code TEXT NOT NULL,
    severity INTEGER NOT NULL,
    exclude_from_aging INTEGER NOT NULL,
    note TEXT,
    activity_id INTEGER,
    -- The issue the dispute opened for itself, resolved when it closes.
    issue_id INTEGER,
    is_open INTEGER NOT NULL,
    entered_on TEXT NOT NULL,
    entered_at TEXT NOT NULL,
    entered_by TEXT NOT NULL,
    closed_date TEXT,
    closed_on TEXT,
    closed_by TEXT,
    resolution TEXT,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX disputes_by_customer ON disputes (company_id, customer_id);
CREATE INDEX disputes_by_invoice ON disputes (company_id, tran_id);

-- Every change to issues, activities, disputes, promises, payment plans, setup and settings:
-- who, when, what, before and after. Rows are only ever added.
CREATE TABLE events (
    event_id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    business_date TEXT NOT NULL,
    user_id TEXT NOT NULL,
    company_id TEXT,
    customer_id TEXT,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    action TEXT NOT NULL,
    before TEXT,
    after TEXT
);
CREATE INDEX events_by_customer ON events (company_id, customer_id, event_id);
CREATE TRIGGER events_are_never_changed BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'the event log is append-only');
END;
CREATE TRIGGER events_are_never_deleted BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'the event log is append-only');
END;
