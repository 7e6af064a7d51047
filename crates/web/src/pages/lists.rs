//! My Accounts (and search results) and the Actions list.

use arrears_domain::Value;
use arrears_domain::filter::{Row, View};
use arrears_store::{QueueItem, SavedView, UserActionRecord, UserActionType, WorkCount};
use askama::Template;
use chrono::NaiveDate;

use super::{Column, GridRow, Nav, display, url_encode};
use crate::grid::{ListQuery, Listing, Page};

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
    /// For an admin, the users the listed customers may be assigned to: (id, name).
    pub assignable: Vec<(String, String)>,
    /// How many customers the last assignment moved, when the page follows one.
    pub moved: Option<usize>,
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
            assignable: Vec::new(),
            moved: None,
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
    /// The issue's current activity on the Communication screen.
    pub work_link: String,
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
            work_link: q.activity_id.map_or_else(
                || {
                    format!(
                        "/customers/{}/{}/communicate?issue={}",
                        url_encode(&i.company_id),
                        url_encode(&i.customer_id),
                        i.issue_id
                    )
                },
                |a| format!("/activities/{a}"),
            ),
            created: i.created_date.to_string(),
            closed: i.closed_date.map(|d| d.to_string()).unwrap_or_default(),
            close_reason: i.close_reason.clone().unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "actions.html")]
pub struct ActionsPage {
    pub nav: Nav,
    pub as_of: NaiveDate,
    pub issues: Vec<IssueLine>,
    /// User actions: broken promises, follow-ups past due, by priority.
    pub user_actions: Vec<UserActionRecord>,
    /// May see other users' counts (managers and admins).
    pub counts_link: bool,
    /// The team members (id, name) and the pool whose actions the caller may open.
    pub team: Vec<(String, String)>,
    /// Whose actions are shown: empty for the caller's own.
    pub showing: String,
}

#[derive(Template)]
#[template(path = "counts.html")]
pub struct CountsPage {
    pub nav: Nav,
    pub as_of: NaiveDate,
    pub counts: Vec<WorkCount>,
}

#[derive(Template)]
#[template(path = "user_action_types.html")]
pub struct UserActionTypesPage {
    pub nav: Nav,
    pub types: Vec<UserActionType>,
    pub problem: Option<String>,
}
