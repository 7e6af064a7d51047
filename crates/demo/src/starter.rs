//! The starter setup a new team can adopt: a collections ladder for each company, written
//! as ordinary setup files and imported like any other sync.
//!
//! Reminder 3 days before due, past-due notice on day 1, first call at 5 days late,
//! collection letter at 15, second call at 30, final demand at 45, escalation to the credit
//! manager at 60; the calls close on their own once their invoices move on or are paid.
//! Beside the ladder, a welcome call to new accounts and an annual credit review.

use std::io;
use std::path::Path;

use crate::writer;

/// A company the setup is written for: id, name, home currency, its default credit class.
pub struct Company<'a> {
    pub company_id: &'a str,
    pub name: &'a str,
    pub home_currency: &'a str,
    pub default_credit_class: Option<&'a str>,
}

/// The credit class the starter ladder lives in.
pub const CLASS: &str = "STANDARD";

/// Action codes: code, subject, activity type, priority, customer contact, note.
const CODES: [(&str, &str, &str, &str, &str, &str); 9] = [
    (
        "REMIND",
        "Payment reminder",
        "EmailSend",
        "5",
        "true",
        "An invoice falls due in 3 days: send a friendly reminder.",
    ),
    (
        "PASTDUE",
        "Past due notice",
        "EmailSend",
        "4",
        "true",
        "An invoice is past due: send the past due notice.",
    ),
    (
        "CALL1",
        "First collection call",
        "Phone",
        "3",
        "true",
        "First call, 5 days late: confirm receipt and ask for a payment date.",
    ),
    (
        "LETTER",
        "Collection letter",
        "EmailSend",
        "3",
        "true",
        "15 days late: send the collection letter.",
    ),
    (
        "CALL2",
        "Second collection call",
        "Phone",
        "2",
        "true",
        "Second call, 30 days late: get a promise to pay.",
    ),
    (
        "DEMAND",
        "Final demand",
        "EmailSend",
        "2",
        "true",
        "45 days late: send the final demand before escalation.",
    ),
    (
        "ESCALATE",
        "Escalation to the credit manager",
        "Phone",
        "1",
        "false",
        "60 days late: the credit manager decides on hold, plan or agency.",
    ),
    (
        "WELCOME",
        "Welcome call to a new account",
        "Phone",
        "4",
        "true",
        "Introduce yourself, confirm the billing contact and the terms.",
    ),
    (
        "REVIEW",
        "Annual credit review",
        "AcctNote",
        "5",
        "false",
        "Review the credit limit against a year of payments.",
    ),
];

/// The open `IN`/`FC`/`DM` items a ladder rung looks at.
const OWED: &str = "tran_type != \"CM\" && balance > 0";

/// One rule of the starter setup.
struct StarterRule {
    seq_no: &'static str,
    action_code: &'static str,
    view: &'static str,
    filter: String,
    standalone: bool,
    auto_close: bool,
    days_to_respond: &'static str,
    /// Goes to the credit manager (the override user).
    escalates: bool,
    followup_days: &'static str,
}

fn rules() -> Vec<StarterRule> {
    let rung = |seq_no, action_code, from: i64, to: Option<i64>| StarterRule {
        seq_no,
        action_code,
        view: "invoice",
        filter: match to {
            Some(to) => format!("{OWED} && due_date_days >= {from} && due_date_days < {to}"),
            None => format!("{OWED} && due_date_days >= {from}"),
        },
        standalone: false,
        auto_close: false,
        days_to_respond: "",
        escalates: false,
        followup_days: "",
    };
    let call = |rule: StarterRule| StarterRule {
        auto_close: true,
        days_to_respond: "1",
        followup_days: "3",
        ..rule
    };
    let standalone = |seq_no, action_code, filter: &str, days_to_respond| StarterRule {
        seq_no,
        action_code,
        view: "customer",
        filter: filter.to_owned(),
        standalone: true,
        auto_close: false,
        days_to_respond,
        escalates: false,
        followup_days: "",
    };
    vec![
        rung("10", "REMIND", -3, Some(0)),
        rung("20", "PASTDUE", 1, None),
        call(rung("30", "CALL1", 5, Some(30))),
        rung("40", "LETTER", 15, None),
        call(rung("50", "CALL2", 30, Some(60))),
        rung("60", "DEMAND", 45, None),
        StarterRule {
            escalates: true,
            days_to_respond: "2",
            ..rung("70", "ESCALATE", 60, None)
        },
        standalone(
            "80",
            "WELCOME",
            "date_established_days >= 0 && date_established_days <= 30 && last_activity_date == null",
            "5",
        ),
        standalone(
            "90",
            "REVIEW",
            "credit_limit != null && date_established_days >= 365 && \
             (days_since_closed_activity == null || days_since_closed_activity >= 365)",
            "10",
        ),
    ]
}

/// Writes the starter setup for `companies` into `dir`: `companies.csv` (naming the default
/// credit class where a company has none), `credit_classes.csv`, `action_codes.csv` and
/// `rules.csv`. Escalations go to `manager` when one is given.
pub fn write_starter(
    dir: &Path,
    companies: &[Company<'_>],
    manager: Option<&str>,
) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut w = writer(
        dir,
        "companies.csv",
        &[
            "company_id",
            "name",
            "home_currency",
            "default_credit_class",
        ],
    )?;
    for c in companies {
        w.write_record([
            c.company_id,
            c.name,
            c.home_currency,
            c.default_credit_class.unwrap_or(CLASS),
        ])?;
    }
    w.flush()?;
    let mut w = writer(
        dir,
        "credit_classes.csv",
        &[
            "company_id",
            "credit_class",
            "description",
            "contact_frequency_days",
            "days_to_respond",
            "schedule",
            "schedule_time",
        ],
    )?;
    for c in companies {
        w.write_record([
            c.company_id,
            CLASS,
            "Standard collections",
            "3",
            "3",
            "daily",
            "06:00",
        ])?;
    }
    w.flush()?;
    let mut w = writer(
        dir,
        "action_codes.csv",
        &[
            "company_id",
            "action_code",
            "description",
            "activity_type",
            "priority",
            "customer_contact",
            "communication_note",
        ],
    )?;
    for c in companies {
        for (code, subject, kind, priority, contact, note) in CODES {
            w.write_record([c.company_id, code, subject, kind, priority, contact, note])?;
        }
    }
    w.flush()?;
    let mut w = writer(
        dir,
        "rules.csv",
        &[
            "company_id",
            "credit_class",
            "seq_no",
            "action_code",
            "view",
            "filter",
            "standalone",
            "auto_close",
            "days_to_respond",
            "override_user",
            "followup_days",
        ],
    )?;
    let flag = |b: bool| if b { "true" } else { "false" };
    for c in companies {
        for r in rules() {
            let user = if r.escalates {
                manager.unwrap_or("")
            } else {
                ""
            };
            w.write_record([
                c.company_id,
                CLASS,
                r.seq_no,
                r.action_code,
                r.view,
                &r.filter,
                flag(r.standalone),
                flag(r.auto_close),
                r.days_to_respond,
                user,
                r.followup_days,
            ])?;
        }
    }
    w.flush()
}
