//! Account Detail.

use arrears_domain::filter::{CUSTOMER_TEXTS, CUSTOMER_WORK, Row, View};
use arrears_domain::rules::CustomerFacts;
use arrears_domain::value::figure_names;
use arrears_domain::{Item, Money, Value};
use arrears_store::{AccountNote, Assignment, Contact, QueueItem};
use askama::Template;
use chrono::NaiveDate;

use super::communication::{DisputeLine, EventLine, ExpectedLine, HistoryLine};
use super::{Column, IssueLine, Nav, Pair, display};

/// The open items' columns on Account Detail's Statement of Accounts.
pub const STATEMENT_COLUMNS: [&str; 11] = [
    "tran_id",
    "tran_type",
    "tran_date",
    "due_date",
    "instalment",
    "currency",
    "amount",
    "balance",
    "balance_hc",
    "due_date_days",
    "customer_po",
];

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
    /// Communication History, newest first.
    pub communications: Vec<HistoryLine>,
    pub disputes: Vec<DisputeLine>,
    /// Expected payments and promises, latest date first.
    pub expected: Vec<ExpectedLine>,
    /// The customer's event log, newest first.
    pub events: Vec<EventLine>,
    /// May log work (not inquiry users).
    pub works: bool,
    pub scores: super::Scores,
    /// Who the customer is assigned to and where that comes from.
    pub assignment: Option<Assignment>,
    /// For an admin, the users the customer may be assigned to: (id, name).
    pub assignable: Vec<(String, String)>,
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
            figures: figure_names()
                .into_iter()
                .chain(CUSTOMER_WORK.iter().map(|(n, _)| *n))
                .map(pair)
                .collect(),
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
            communications: Vec::new(),
            disputes: Vec::new(),
            expected: Vec::new(),
            events: Vec::new(),
            works: false,
            scores: super::Scores::default(),
            assignment: None,
            assignable: Vec::new(),
        }
    }

    /// An item's amount or balance as shown.
    pub fn money(&self, m: &Money) -> String {
        display(&Value::Money(*m))
    }
}
