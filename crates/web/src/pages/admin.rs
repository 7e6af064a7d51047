//! The admin pages, the rule editor and the user's own page.

use arrears_actions::{Change, ChangeKind, Preview};
use arrears_domain::Value;
use arrears_store::{
    Account, ActionCodeRow, ActivityTypeRow, CalendarRow, CreditClassRow, GenerateRun,
    ReasonCodeRow, RuleRow, SyncRecord,
};
use askama::Template;
use chrono::NaiveDate;

use super::{EventLine, Nav, display, url_encode};
use crate::routes::RuleForm;

#[derive(Template)]
#[template(path = "admin.html")]
pub struct AdminPage {
    pub nav: Nav,
    pub accounts: Vec<Account>,
    pub classes: Vec<CreditClassRow>,
    pub rules: Vec<RuleRow>,
    pub syncs: Vec<SyncRecord>,
    pub runs: Vec<GenerateRun>,
}

/// One event of the whole log as the history page shows it.
pub struct LogLine {
    pub event_id: i64,
    pub business_date: NaiveDate,
    pub company_id: String,
    pub customer_id: String,
    pub line: EventLine,
}

#[derive(Template)]
#[template(path = "history.html")]
pub struct EventLogPage {
    pub nav: Nav,
    pub query: crate::routes::HistoryQuery,
    /// The query string of the export of the same events.
    pub export: String,
    /// The newest matching events.
    pub lines: Vec<LogLine>,
    /// How many match in all.
    pub total: i64,
    pub problem: Option<String>,
}

#[derive(Template)]
#[template(path = "sync.html")]
pub struct SyncPage {
    pub nav: Nav,
    /// What a good sync did.
    pub done: Option<String>,
    /// The failed sync's id, when one was recorded.
    pub failed: Option<i64>,
    pub problems: Vec<String>,
    pub warnings: Vec<String>,
}

impl SyncPage {
    pub fn new(nav: Nav) -> SyncPage {
        SyncPage {
            nav,
            done: None,
            failed: None,
            problems: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

/// One issue a generate run opens or closes.
pub struct ChangeLine {
    pub change: &'static str,
    pub customer: String,
    pub rule: String,
    pub action_code: String,
    pub user: String,
    pub respond_by: String,
    pub reason: String,
}

impl ChangeLine {
    pub fn new(c: &Change) -> ChangeLine {
        ChangeLine {
            change: match c.change {
                ChangeKind::Create => "open",
                ChangeKind::Close => "close",
            },
            customer: format!("{} {}", c.company_id, c.customer_id),
            rule: format!("{} {}", c.credit_class, c.seq_no),
            action_code: c.action_code.clone(),
            user: c.user_id.clone().unwrap_or_default(),
            respond_by: c.respond_by.to_string(),
            reason: c.reason.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "generate.html")]
pub struct GeneratePage {
    pub nav: Nav,
    pub today: NaiveDate,
    pub as_of: String,
    pub credit_class: String,
    pub company: String,
    pub summary: Option<String>,
    pub previewed: bool,
    pub total: usize,
    pub changes: Vec<ChangeLine>,
    pub errors: Vec<String>,
}

impl GeneratePage {
    pub fn new(nav: Nav, today: NaiveDate) -> GeneratePage {
        GeneratePage {
            nav,
            today,
            as_of: today.to_string(),
            credit_class: String::new(),
            company: String::new(),
            summary: None,
            previewed: false,
            total: 0,
            changes: Vec::new(),
            errors: Vec::new(),
        }
    }
}

/// One match of a rule editor's preview.
pub struct MatchLine {
    pub customer_id: String,
    pub name: String,
    pub link: String,
    pub tagged: String,
    pub reason: String,
}

/// What a filter matches, as the rule editor shows it (also alone, for its script).
#[derive(Template, Default)]
#[template(path = "preview.html")]
pub struct PreviewPart {
    pub problem: Option<String>,
    pub examined: usize,
    pub matched: usize,
    pub invoices: bool,
    pub as_of: String,
    pub matches: Vec<MatchLine>,
    pub errors: Vec<String>,
}

impl PreviewPart {
    pub fn fill(&mut self, found: Preview, invoices: bool, as_of: NaiveDate) {
        self.examined = found.examined;
        self.matched = found.matched;
        self.invoices = invoices;
        self.as_of = as_of.to_string();
        self.errors = found.errors;
        self.matches = found
            .first
            .into_iter()
            .map(|m| MatchLine {
                link: format!(
                    "/customers/{}/{}",
                    url_encode(&m.company_id),
                    url_encode(&m.customer_id)
                ),
                customer_id: m.customer_id,
                name: m.name,
                tagged: m
                    .tagged
                    .iter()
                    .map(|(t, amount)| format!("{t} ({})", display(&Value::Money(*amount))))
                    .collect::<Vec<_>>()
                    .join(", "),
                reason: m.reason,
            })
            .collect();
    }
}

#[derive(Template)]
#[template(path = "rule.html")]
pub struct RulePage {
    pub nav: Nav,
    pub form: RuleForm,
    /// Problems by field.
    pub problems: Vec<(String, String)>,
    pub preview: PreviewPart,
    pub saved: bool,
}

impl RulePage {
    /// The fields that name the rule and its action: (name, label, value).
    pub fn key_fields(&self) -> Vec<(&'static str, &'static str, &str)> {
        let f = &self.form;
        vec![
            ("company_id", "Company", f.company_id.as_str()),
            ("credit_class", "Credit class", f.credit_class.as_str()),
            ("seq_no", "Sequence number", f.seq_no.as_str()),
            ("action_code", "Action code", f.action_code.as_str()),
        ]
    }

    /// The rule's optional settings: (name, label, value).
    pub fn option_fields(&self) -> Vec<(&'static str, &'static str, &str)> {
        let f = &self.form;
        vec![
            (
                "days_to_respond",
                "Days to respond",
                f.days_to_respond.as_str(),
            ),
            ("override_user", "Override user", f.override_user.as_str()),
            ("followup_days", "Follow-up days", f.followup_days.as_str()),
            ("followup_user", "Follow-up user", f.followup_user.as_str()),
        ]
    }

    pub fn problem(&self, field: &str) -> Option<&str> {
        self.problems
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, p)| p.as_str())
    }
}

/// One site setting on the setup page, as stored or as typed when refused.
pub struct SettingLine {
    pub key: String,
    pub value: String,
    pub problem: Option<String>,
}

#[derive(Template)]
#[template(path = "setup.html")]
pub struct SetupPage {
    pub nav: Nav,
    pub settings: Vec<SettingLine>,
    pub codes: Vec<ActionCodeRow>,
    pub types: Vec<ActivityTypeRow>,
    pub reasons: Vec<ReasonCodeRow>,
    pub calendar: Vec<CalendarRow>,
}

/// A user with how many customers are assigned to them.
pub struct UserLine {
    pub account: Account,
    pub assigned: i64,
}

#[derive(Template)]
#[template(path = "users.html")]
pub struct UsersPage {
    pub nav: Nav,
    pub users: Vec<UserLine>,
    pub unassigned: i64,
    /// Problems with the form, by field.
    pub problems: Vec<(String, String)>,
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub role: String,
    pub manager: String,
}

impl UsersPage {
    pub fn problem(&self, field: &str) -> Option<&str> {
        self.problems
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, p)| p.as_str())
    }

    /// The link to My Accounts filtered to one user's customers.
    pub fn accounts_of(&self, user: &str) -> String {
        format!(
            "/accounts?filter={}",
            url_encode(&format!("assigned_user == \"{user}\""))
        )
    }
}

#[derive(Template)]
#[template(path = "me.html")]
pub struct MePage {
    pub nav: Nav,
    pub role: &'static str,
    pub tokens: Vec<arrears_store::Token>,
    /// A token just made: shown this once.
    pub secret: Option<String>,
}
