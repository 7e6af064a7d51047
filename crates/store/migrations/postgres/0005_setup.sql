-- The collections setup: credit classes and their rules, action codes, activity types,
-- reason codes and the working calendar; each company may name a default credit class.
ALTER TABLE companies ADD COLUMN default_credit_class TEXT;

CREATE TABLE credit_classes (
    company_id TEXT NOT NULL,
    credit_class TEXT NOT NULL,
    description TEXT NOT NULL,
    contact_frequency_days BIGINT,
    days_to_respond BIGINT,
    -- When generate runs for the class on its own: daily, or on the weekdays listed.
    schedule TEXT,
    schedule_time TEXT,
    row_hash BIGINT NOT NULL,
    PRIMARY KEY (company_id, credit_class)
);

CREATE TABLE activity_types (
    company_id TEXT NOT NULL,
    activity_type TEXT NOT NULL,
    base_type TEXT NOT NULL,
    description TEXT,
    procedures TEXT,
    row_hash BIGINT NOT NULL,
    PRIMARY KEY (company_id, activity_type)
);

CREATE TABLE action_codes (
    company_id TEXT NOT NULL,
    action_code TEXT NOT NULL,
    description TEXT NOT NULL,
    activity_type TEXT NOT NULL,
    priority BIGINT NOT NULL,
    communication_note TEXT,
    customer_contact BOOLEAN NOT NULL,
    email_template TEXT,
    letter_template TEXT,
    attach_invoices BOOLEAN NOT NULL,
    row_hash BIGINT NOT NULL,
    PRIMARY KEY (company_id, action_code)
);

CREATE TABLE reason_codes (
    company_id TEXT NOT NULL,
    reason_code TEXT NOT NULL,
    description TEXT NOT NULL,
    severity BIGINT NOT NULL,
    row_hash BIGINT NOT NULL,
    PRIMARY KEY (company_id, reason_code)
);

CREATE TABLE rules (
    company_id TEXT NOT NULL,
    credit_class TEXT NOT NULL,
    seq_no BIGINT NOT NULL,
    action_code TEXT NOT NULL,
    view TEXT NOT NULL,
    filter TEXT NOT NULL,
    standalone BOOLEAN NOT NULL,
    create_if_exists BOOLEAN NOT NULL,
    auto_close BOOLEAN NOT NULL,
    days_to_respond BIGINT,
    override_user TEXT,
    followup_days BIGINT,
    followup_user TEXT,
    active BOOLEAN NOT NULL,
    row_hash BIGINT NOT NULL,
    PRIMARY KEY (company_id, credit_class, seq_no)
);

CREATE TABLE calendar (
    company_id TEXT NOT NULL,
    date DATE NOT NULL,
    description TEXT,
    row_hash BIGINT NOT NULL,
    PRIMARY KEY (company_id, date)
);
