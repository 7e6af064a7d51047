//! The pages' templates and what every page shares: the navigation bar and its search box.

use arrears_actions::{Change, ChangeKind, Preview};
use arrears_domain::filter::{CUSTOMER_TEXTS, Row, Type, View};
use arrears_domain::rules::CustomerFacts;
use arrears_domain::value::figure_names;
use arrears_domain::{Item, Money, Value};
use arrears_store::{
    Account, AccountNote, ActionCodeRow, ActivityTypeRow, CalendarRow, Contact, CreditClassRow,
    GenerateRun, QueueItem, ReasonCodeRow, RuleRow, SavedView, SyncRecord,
};
use askama::Template;
use axum::response::Html;
use chrono::NaiveDate;

use crate::auth::Caller;
use crate::grid::{ListQuery, Listing, Page};
use crate::routes::RuleForm;
use crate::{PageError, WebError};

/// The bar at the top of every signed-in page.
pub struct Nav {
    pub user_id: String,
    pub user_name: String,
    pub role: &'static str,
    pub admin: bool,
    pub csrf: String,
    /// Which section is open: `dashboard`, `accounts`, `actions`, `admin`.
    pub current: &'static str,
}

impl Nav {
    pub fn new(caller: &Caller, current: &'static str) -> Nav {
        Nav {
            user_id: caller.user_id.clone(),
            user_name: caller.name.clone(),
            role: caller.role.as_str(),
            admin: caller.role.administers(),
            csrf: caller.csrf.clone().unwrap_or_default(),
            current,
        }
    }
}

/// Renders a page.
pub fn render(page: &impl Template) -> Result<Html<String>, PageError> {
    page.render()
        .map(Html)
        .map_err(|e| PageError(WebError::Internal(format!("cannot render a page: {e}"))))
}

/// Percent-encodes a query value.
pub fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub title: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "sign_in.html")]
pub struct SignInPage {
    pub csrf: String,
    pub next: String,
    pub user_id: String,
    pub problem: Option<String>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            super::url_encode("/accounts?filter=a > 1&x"),
            "%2Faccounts%3Ffilter%3Da%20%3E%201%26x"
        );
    }
}

/// A value as a page shows it: money with thousands separators, rates with two decimals.
pub fn display(value: &Value) -> String {
    match value {
        Value::Money(m) => group_thousands(&m.to_string()),
        Value::Bool(true) => "yes".to_owned(),
        Value::Bool(false) => "no".to_owned(),
        other => other.to_string(),
    }
}

fn group_thousands(text: &str) -> String {
    let (sign, rest) = text.strip_prefix('-').map_or(("", text), |r| ("-", r));
    let (whole, fraction) = rest.split_once('.').unwrap_or((rest, ""));
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if fraction.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{fraction}")
    }
}

/// A column of a grid.
pub struct Column {
    pub name: String,
    pub numeric: bool,
}

impl Column {
    pub fn new(name: &str, ty: Type) -> Column {
        Column {
            name: name.to_owned(),
            numeric: ty.is_number(),
        }
    }
}

/// One row of a grid: where it leads and its cells as shown.
pub struct GridRow {
    pub link: String,
    pub cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "accounts.html")]
pub struct AccountsPage {
    pub nav: Nav,
    pub as_of: NaiveDate,
    pub filter: String,
    pub sort: String,
    pub per_page: String,
    pub columns_text: String,
    pub columns: Vec<Column>,
    pub rows: Vec<GridRow>,
    /// Per company: the totals of its money columns.
    pub sums: Vec<(String, Vec<String>)>,
    pub total: usize,
    pub page: usize,
    pub pages: usize,
    /// Problems with the query, by the field they are about.
    pub problems: Vec<(&'static str, String)>,
    pub all_fields: Vec<String>,
    /// The words searched for, when the page lists a search's results.
    pub search: Option<String>,
    /// The saved view on the page, if any, and all of the user's views.
    pub view: String,
    pub views: Vec<SavedView>,
    /// Why the view in the form was not saved.
    pub view_problem: Option<String>,
}

impl AccountsPage {
    pub fn new(nav: Nav, q: &ListQuery, columns: Vec<Column>, as_of: NaiveDate) -> AccountsPage {
        AccountsPage {
            nav,
            as_of,
            filter: q.filter.clone().unwrap_or_default(),
            sort: q.sort.clone().unwrap_or_default(),
            per_page: q.per_page.clone().unwrap_or_default(),
            columns_text: String::new(),
            columns,
            rows: Vec::new(),
            sums: Vec::new(),
            total: 0,
            page: 1,
            pages: 1,
            problems: Vec::new(),
            all_fields: View::Customer
                .catalog()
                .names()
                .map(str::to_owned)
                .collect(),
            search: None,
            view: String::new(),
            views: Vec::new(),
            view_problem: None,
        }
    }

    /// Puts a computed page of rows in.
    pub fn fill<T: Row>(
        &mut self,
        result: &Page<T>,
        slots: &[usize],
        listing: &Listing,
        key: impl Fn(&T) -> (String, String),
    ) {
        self.rows = result
            .rows
            .iter()
            .map(|row| {
                let (company, customer) = key(row);
                GridRow {
                    link: format!(
                        "/customers/{}/{}",
                        url_encode(&company),
                        url_encode(&customer)
                    ),
                    cells: slots
                        .iter()
                        .map(|s| display(&row.cell(*s).to_value()))
                        .collect(),
                }
            })
            .collect();
        self.sums = result
            .sums
            .iter()
            .map(|(company, sums)| {
                let cells = sums
                    .iter()
                    .map(|s| s.map(|m| display(&Value::Money(m))).unwrap_or_default())
                    .collect();
                (company.clone(), cells)
            })
            .collect();
        self.total = result.total;
        self.page = listing.page;
        self.pages = result.total.div_ceil(listing.per_page).max(1);
    }

    /// The problem with one field of the query, if any.
    pub fn problem(&self, field: &str) -> Option<&str> {
        self.problems
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, p)| p.as_str())
    }

    /// This page's query with some of it changed.
    pub fn link(&self, path: &str, sort: Option<&str>, page: Option<usize>) -> String {
        let mut parts = Vec::new();
        let sort = sort.unwrap_or(&self.sort);
        for (name, value) in [
            ("filter", self.filter.as_str()),
            ("sort", sort),
            ("per_page", self.per_page.as_str()),
            ("columns", self.columns_text.as_str()),
        ] {
            if !value.is_empty() {
                parts.push(format!("{name}={}", url_encode(value)));
            }
        }
        if let Some(p) = page.filter(|p| *p > 1) {
            parts.push(format!("page={p}"));
        }
        if parts.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{}", parts.join("&"))
        }
    }

    /// The link a column's heading leads to: ascending, then descending.
    pub fn sort_link(&self, column: &str) -> String {
        let next = if self.sort == column {
            format!("-{column}")
        } else {
            column.to_owned()
        };
        self.link("/accounts", Some(&next), None)
    }

    /// `ascending`, `descending` or `none`, for the heading's `aria-sort`.
    pub fn sorted(&self, column: &str) -> &'static str {
        if self.sort == column {
            "ascending"
        } else if self.sort.strip_prefix('-') == Some(column) {
            "descending"
        } else {
            "none"
        }
    }
}

/// A label and a value as shown.
pub struct Pair {
    pub name: String,
    pub value: String,
}

/// The open items' columns on Account Detail's Statement of Accounts.
pub const STATEMENT_COLUMNS: [&str; 10] = [
    "tran_id",
    "tran_type",
    "tran_date",
    "due_date",
    "currency",
    "amount",
    "balance",
    "balance_hc",
    "due_date_days",
    "customer_po",
];

/// An open issue as Account Detail and the Actions list show it.
pub struct IssueLine {
    pub issue_id: i64,
    pub subject: String,
    pub action_code: String,
    pub priority: i64,
    pub assigned_user: String,
    pub respond_by: String,
    /// `not due`, `due today` or `past due`.
    pub state: &'static str,
    /// The state as a class name.
    pub class: String,
    pub reason: String,
    pub customer: String,
    pub link: String,
    pub created: String,
    /// When and why it closed, for closed issues.
    pub closed: String,
    pub close_reason: String,
}

impl IssueLine {
    pub fn new(q: &QueueItem, as_of: NaiveDate) -> IssueLine {
        let i = &q.issue;
        IssueLine {
            issue_id: i.issue_id,
            subject: i.subject.clone(),
            action_code: i.action_code.clone(),
            priority: i.priority,
            assigned_user: i.assigned_user.clone().unwrap_or_default(),
            respond_by: q.respond_by.map(|d| d.to_string()).unwrap_or_default(),
            state: crate::routes::state(q.respond_by, as_of),
            class: crate::routes::state(q.respond_by, as_of).replace(' ', "-"),
            reason: i.reason.clone().unwrap_or_default(),
            customer: format!(
                "{} {}",
                i.customer_id,
                q.customer_name.as_deref().unwrap_or_default()
            ),
            link: format!(
                "/customers/{}/{}",
                url_encode(&i.company_id),
                url_encode(&i.customer_id)
            ),
            created: i.created_date.to_string(),
            closed: i.closed_date.map(|d| d.to_string()).unwrap_or_default(),
            close_reason: i.close_reason.clone().unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPage {
    pub nav: Nav,
    pub name: String,
    pub company_id: String,
    pub customer_id: String,
    pub header: Vec<Pair>,
    pub address: Vec<String>,
    pub figures: Vec<Pair>,
    pub statement_columns: Vec<Column>,
    pub statement: Vec<Vec<String>>,
    pub issues: Vec<IssueLine>,
    /// Closed issues, newest first: the History tab.
    pub history: Vec<IssueLine>,
    /// Every text column of the customer: the Info tab.
    pub info: Vec<Pair>,
    pub contacts: Vec<Contact>,
    /// Every item, open or closed, newest first: (item, tran_id, currency).
    pub transactions: Vec<(Item, String, String)>,
    pub notes: Vec<AccountNote>,
    /// The note form as typed, and its problem, when a note was refused.
    pub note_typed: String,
    pub note_problem: Option<String>,
}

impl AccountPage {
    pub fn new(
        nav: Nav,
        facts: &CustomerFacts,
        value: impl Fn(&str) -> Value,
        items: &[Vec<Value>],
        issues: Vec<QueueItem>,
        as_of: NaiveDate,
    ) -> AccountPage {
        let pair = |name: &str| Pair {
            name: name.to_owned(),
            value: display(&value(name)),
        };
        let header = [
            "customer_class",
            "credit_class",
            "status",
            "payment_terms",
            "currency",
            "credit_limit",
            "available_credit",
            "credit_hold",
            "assigned_user",
            "parent_id",
            "email",
            "phone",
        ]
        .map(pair)
        .into_iter()
        .collect();
        // The address columns of customers.csv: `addr_line1` to `country`.
        let address = CUSTOMER_TEXTS
            .iter()
            .skip_while(|n| **n != "addr_line1")
            .take_while(|n| **n != "sales_person_id")
            .map(|n| display(&value(n)))
            .filter(|v| !v.is_empty())
            .collect();
        let invoice = View::Invoice.catalog();
        let slots: Vec<usize> = STATEMENT_COLUMNS
            .iter()
            .filter_map(|n| invoice.slot(n))
            .collect();
        AccountPage {
            nav,
            name: facts.name.clone(),
            company_id: facts.company_id.clone(),
            customer_id: facts.customer_id.clone(),
            header,
            address,
            figures: figure_names().into_iter().map(pair).collect(),
            statement_columns: slots
                .iter()
                .map(|s| Column::new(invoice.name(*s), invoice.field_type(*s)))
                .collect(),
            statement: items
                .iter()
                .map(|row| {
                    slots
                        .iter()
                        .map(|s| display(&row.cell(*s).to_value()))
                        .collect()
                })
                .collect(),
            issues: issues
                .iter()
                .filter(|q| q.issue.is_open)
                .map(|q| IssueLine::new(q, as_of))
                .collect(),
            history: {
                let mut closed: Vec<IssueLine> = issues
                    .iter()
                    .filter(|q| !q.issue.is_open)
                    .map(|q| IssueLine::new(q, as_of))
                    .collect();
                closed.sort_by(|a, b| b.closed.cmp(&a.closed).then(b.issue_id.cmp(&a.issue_id)));
                closed
            },
            info: CUSTOMER_TEXTS
                .iter()
                .copied()
                .chain(["date_established", "days_to_respond"])
                .map(pair)
                .filter(|p| !p.value.is_empty())
                .collect(),
            contacts: Vec::new(),
            transactions: Vec::new(),
            notes: Vec::new(),
            note_typed: String::new(),
            note_problem: None,
        }
    }

    /// An item's amount or balance as shown.
    pub fn money(&self, m: &Money) -> String {
        display(&Value::Money(*m))
    }
}

#[derive(Template)]
#[template(path = "actions.html")]
pub struct ActionsPage {
    pub nav: Nav,
    pub as_of: NaiveDate,
    pub issues: Vec<IssueLine>,
}

/// One bar of a chart drawn in SVG on the server.
pub struct Bar {
    pub label: String,
    pub amount: String,
    /// Out of 100.
    pub width: i64,
    pub y: i64,
}

/// A company's part of the dashboard.
pub struct CompanyCard {
    pub company_id: String,
    pub headline: Vec<(String, String)>,
    pub aging: Vec<Bar>,
    /// Past due amounts by days late.
    pub late: Vec<Bar>,
    pub projected: Vec<Bar>,
    /// Average days to pay by invoice size range.
    pub to_pay: Vec<Bar>,
    /// DSO or ADP at each of the six month ends before.
    pub trend: Vec<Bar>,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    pub nav: Nav,
    pub as_of: NaiveDate,
    pub user_id: String,
    pub by_due: bool,
    pub adp_trend: bool,
    pub cards: Vec<CompanyCard>,
    pub open_actions: usize,
    pub past_due_actions: usize,
    /// The users whose dashboards the caller may open.
    pub team: Vec<String>,
}

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
