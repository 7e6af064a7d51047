//! The rules of the setup files (section 4 of the contract): what a good row is, and what
//! it refers to.

use arrears_domain::filter::{Filter, View};
use arrears_domain::work::{STANDARD_ACTIVITY_TYPES, Schedule};
use arrears_store::{
    ActionCodeRow, ActivityTypeRow, CalendarRow, CreditClassRow, Key, ReasonCodeRow, RuleRow, key,
};

use crate::Sync;
use crate::csvfile::Fields;
use crate::rows::{company_of, duplicate, good};
use crate::table::Table;

/// The setup tables of a sync, with what the store holds of each.
pub struct Setup {
    pub credit_classes: Table<CreditClassRow>,
    pub activity_types: Table<ActivityTypeRow>,
    pub action_codes: Table<ActionCodeRow>,
    pub reason_codes: Table<ReasonCodeRow>,
    pub rules: Table<RuleRow>,
    pub calendar: Table<CalendarRow>,
    /// Default credit classes named by `companies.csv`: (class key, class, line).
    pub default_classes: Vec<(Key, String, u64)>,
}

/// The standard activity type named by `text`, in its own spelling, whatever the case.
fn standard_type(text: &str) -> Option<&'static str> {
    STANDARD_ACTIVITY_TYPES
        .iter()
        .find(|t| t.eq_ignore_ascii_case(text))
        .copied()
}

fn standard_list() -> String {
    STANDARD_ACTIVITY_TYPES.join(", ")
}

pub(crate) fn credit_class(sync: &mut Sync, f: &mut Fields<'_>) {
    let Some(company_id) = company_of(sync, f) else {
        return;
    };
    let time = f.text("schedule_time");
    let schedule = match f.text("schedule") {
        Some(days) => match Schedule::parse(days, time) {
            Ok(s) => Some(s),
            Err(why) => {
                let column = if why.contains("time") {
                    "schedule_time"
                } else {
                    "schedule"
                };
                f.problem(column, why);
                None
            }
        },
        None => {
            if time.is_some() {
                f.problem(
                    "schedule_time",
                    "a time needs a schedule (daily, or days such as Mon,Thu)",
                );
            }
            None
        }
    };
    let row = CreditClassRow {
        company_id,
        credit_class: f.required_or_empty("credit_class"),
        description: f.required_or_empty("description"),
        contact_frequency_days: f.days("contact_frequency_days"),
        days_to_respond: f.days("days_to_respond"),
        schedule: schedule.map(|s| s.days_text()),
        schedule_time: schedule.map(|s| s.time_text()),
    };
    let k = key(&[&row.company_id, &row.credit_class]);
    if let Err(first) = sync.setup.credit_classes.add(k, good(f, row), f.line) {
        duplicate(f, "credit_class", first);
    }
}

pub(crate) fn activity_type(sync: &mut Sync, f: &mut Fields<'_>) {
    let Some(company_id) = company_of(sync, f) else {
        return;
    };
    let activity_type = f.required_or_empty("activity_type");
    if let Some(standard) = standard_type(&activity_type) {
        f.problem(
            "activity_type",
            format!(
                "{standard} is a standard activity type; a custom type needs a name of its own"
            ),
        );
    }
    let base = f.required("base_type");
    let base_type = match base.map(|b| (b, standard_type(b))) {
        Some((_, Some(standard))) => standard.to_owned(),
        Some((b, None)) => {
            f.problem(
                "base_type",
                format!(
                    "unknown activity type {b:?}, expected one of {}",
                    standard_list()
                ),
            );
            String::new()
        }
        None => String::new(),
    };
    let row = ActivityTypeRow {
        company_id,
        activity_type,
        base_type,
        description: f.owned("description"),
        procedures: f.owned("procedures"),
    };
    let k = key(&[&row.company_id, &row.activity_type]);
    if let Err(first) = sync.setup.activity_types.add(k, good(f, row), f.line) {
        duplicate(f, "activity_type", first);
    }
}

pub(crate) fn action_code(sync: &mut Sync, f: &mut Fields<'_>) {
    let Some(company_id) = company_of(sync, f) else {
        return;
    };
    let named = f.required_or_empty("activity_type");
    let activity_type = match standard_type(&named) {
        Some(standard) => standard.to_owned(),
        None => {
            let custom = sync
                .setup
                .activity_types
                .exists(&key(&[&company_id, &named]));
            if !named.is_empty() && !custom {
                f.problem(
                    "activity_type",
                    format!(
                        "activity type {named:?} is neither standard ({}) nor in activity_types.csv or the store",
                        standard_list()
                    ),
                );
            }
            named
        }
    };
    let row = ActionCodeRow {
        company_id,
        action_code: f.required_or_empty("action_code"),
        description: f.required_or_empty("description"),
        activity_type,
        priority: f.required_number("priority", 1..=999).unwrap_or(1),
        communication_note: f.owned("communication_note"),
        customer_contact: f.flag("customer_contact", false),
        email_template: f.owned("email_template"),
        letter_template: f.owned("letter_template"),
        attach_invoices: f.flag("attach_invoices", false),
    };
    let k = key(&[&row.company_id, &row.action_code]);
    if let Err(first) = sync.setup.action_codes.add(k, good(f, row), f.line) {
        duplicate(f, "action_code", first);
    }
}

pub(crate) fn reason_code(sync: &mut Sync, f: &mut Fields<'_>) {
    let Some(company_id) = company_of(sync, f) else {
        return;
    };
    let row = ReasonCodeRow {
        company_id,
        reason_code: f.required_or_empty("reason_code"),
        description: f.required_or_empty("description"),
        severity: f.required_number("severity", 0..=99).unwrap_or(0),
    };
    let k = key(&[&row.company_id, &row.reason_code]);
    if let Err(first) = sync.setup.reason_codes.add(k, good(f, row), f.line) {
        duplicate(f, "reason_code", first);
    }
}

/// A user a rule names, who must be in the store or in `users.csv`.
fn known_user(sync: &Sync, f: &mut Fields<'_>, column: &'static str) -> Option<String> {
    let user = f.owned(column)?;
    if !sync.users.exists(&user) {
        f.problem(
            column,
            format!("user {user:?} is neither in the store nor in this sync"),
        );
    }
    Some(user)
}

pub(crate) fn rule(sync: &mut Sync, f: &mut Fields<'_>) {
    let Some(company_id) = company_of(sync, f) else {
        return;
    };
    let credit_class = f.required_or_empty("credit_class");
    if !credit_class.is_empty()
        && !sync
            .setup
            .credit_classes
            .exists(&key(&[&company_id, &credit_class]))
    {
        f.problem(
            "credit_class",
            format!("credit class {credit_class:?} is neither in the store nor in this sync"),
        );
    }
    let action_code = f.required_or_empty("action_code");
    if !action_code.is_empty()
        && !sync
            .setup
            .action_codes
            .exists(&key(&[&company_id, &action_code]))
    {
        f.problem(
            "action_code",
            format!("action code {action_code:?} is neither in the store nor in this sync"),
        );
    }
    let seq_no = f.required_number("seq_no", 0..=999_999);
    let view = f
        .required("view")
        .map(|v| (v, View::parse(&v.to_ascii_lowercase())));
    let view = match view {
        Some((_, Some(view))) => Some(view),
        Some((text, None)) => {
            f.problem(
                "view",
                format!("unknown view {text:?}, expected customer or invoice"),
            );
            None
        }
        None => None,
    };
    let filter = f.required_or_empty("filter");
    if let Some(view) = view
        && !filter.is_empty()
        && let Err(e) = Filter::new(&filter, view)
    {
        f.problem("filter", e.to_string());
    }
    let row = RuleRow {
        company_id,
        credit_class,
        seq_no: seq_no.unwrap_or(0),
        action_code,
        view: view.map(View::name).unwrap_or_default().to_owned(),
        filter,
        standalone: f.flag("standalone", false),
        create_if_exists: f.flag("create_if_exists", false),
        auto_close: f.flag("auto_close", false),
        days_to_respond: f.days("days_to_respond"),
        override_user: known_user(sync, f, "override_user"),
        followup_days: f.days("followup_days"),
        followup_user: known_user(sync, f, "followup_user"),
        active: f.flag("active", true),
    };
    let seq = row.seq_no.to_string();
    let k = key(&[&row.company_id, &row.credit_class, &seq]);
    if let Err(first) = sync.setup.rules.add(k, good(f, row), f.line) {
        duplicate(f, "seq_no", first);
    }
}

pub(crate) fn calendar_day(sync: &mut Sync, f: &mut Fields<'_>) {
    let Some(company_id) = company_of(sync, f) else {
        return;
    };
    let Some(date) = f.required_date("date") else {
        return;
    };
    let row = CalendarRow {
        company_id,
        date,
        description: f.owned("description"),
    };
    let k = key(&[&row.company_id, &row.date.to_string()]);
    if let Err(first) = sync.setup.calendar.add(k, good(f, row), f.line) {
        duplicate(f, "date", first);
    }
}

/// Once the credit classes are read: each default a company names must be one of them.
pub(crate) fn check_default_classes(sync: &mut Sync) {
    for (class_key, class, line) in std::mem::take(&mut sync.setup.default_classes) {
        if !sync.setup.credit_classes.exists(&class_key) {
            sync.problems.push(
                "companies.csv",
                line,
                "default_credit_class",
                format!("credit class {class:?} is neither in the store nor in this sync"),
            );
        }
    }
}
