//! The dashboard.

use askama::Template;
use chrono::NaiveDate;

use super::{Bar, Nav};

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
