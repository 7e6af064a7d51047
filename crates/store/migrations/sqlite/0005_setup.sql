-- The collections setup: credit classes and their rules, action codes, activity types,
-- reason codes and the working calendar; each company may name a default credit class.
ALTER TABLE companies ADD COLUMN default_credit_class TEXT;

CREATE TABLE credit_classes (
    company_id TEXT NOT NULL,
    credit_class TEXT NOT NULL,
    description TEXT NOT NULL,
    contact_frequency_days INTEGER,
    days_to_respond INTEGER,
    -- When generate runs for the class on its own: daily, or on the weekdays listed.
    schedule TEXT,
    schedule_time TEXT,
    row_hash INTEGER NOT NULL,
    PRIMARY KEY (company_id, credit_class)
);

CREATE TABLE activity_types (
    company_id TEXT NOT NULL,
    activity_type TEXT NOT NULL,
    base_type TEXT NOT NULL,
    description TEXT,
    procedures TEXT,
    row_hash INTEGER NOT NULL,
    PRIMARY KEY (company_id, activity_type)
);

CREATE TABLE action_codes (
    company_id TEXT NOT NULL,
    action_code TEXT NOT NULL,
    description TEXT NOT NULL,
    activity_type TEXT NOT NULL,
    priority INTEGER NOT NULL,
    communication_note TEXT,
    customer_contact INTEGER NOT NULL,
    email_template TEXT,
    letter_template TEXT,
    attach_invoices INTEGER NOT NULL,
    row_hash INTEGER NOT NULL,
    PRIMARY KEY (company_id, action_code)
);

CREATE TABLE reason_codes (
    company_id TEXT NOT NULL,
    reason_code TEXT NOT NULL,
    description TEXT NOT NULL,
    severity INTEGER NOT NULL,
    row_hash INTEGER NOT NULL,
    PRIMARY KEY (company_id, reason_code)
);

CREATE TABLE rules (
    company_id TEXT NOT NULL,
    credit_class TEXT NOT NULL,
    seq_no INTEGER NOT NULL,
    action_code TEXT NOT NULL,
    view TEXT NOT NULL,
    filter TEXT NOT NULL,
    standalone INTEGER NOT NULL,
    create_if_exists INTEGER NOT NULL,
    auto_close INTEGER NOT NULL,
    days_to_respond INTEGER,
    override_user TEXT,
    followup_days INTEGER,
    followup_user TEXT,
    active INTEGER NOT NULL,
    row_hash INTEGER NOT NULL,
    PRIMARY KEY (company_id, credit_class, seq_no)
);

CREATE TABLE calendar (
    company_id TEXT NOT NULL,
    date TEXT NOT NULL,
    description TEXT,
    row_hash INTEGER NOT NULL,
    PRIMARY KEY (company_id, date)
);
