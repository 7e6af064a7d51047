//! The collections setup as a run uses it: rules compiled once, calendars, defaults.

use std::collections::HashMap;

use arrears_domain::Settings;
use arrears_domain::filter::{Filter, View};
use arrears_domain::rules::needs_invoice_details;
use arrears_domain::work::Calendar;
use arrears_store::{ActionCodeRow, CalendarRow, CompanyRecord, CreditClassRow, RuleRow, Store};

use crate::ActionsError;

/// A rule ready to run: its row and its compiled filter.
pub struct Rule {
    pub row: RuleRow,
    pub filter: Filter,
    /// Whether the filter reads invoice columns the item pages do not hold.
    pub needs_details: bool,
}

/// Everything a run needs besides the book.
pub struct Setup {
    pub settings: Settings,
    pub companies: HashMap<String, CompanyRecord>,
    pub classes: HashMap<(String, String), CreditClassRow>,
    pub codes: HashMap<(String, String), ActionCodeRow>,
    /// The active rules of each (company, credit class), by sequence number.
    pub rules: HashMap<(String, String), Vec<Rule>>,
    pub calendars: HashMap<String, Calendar>,
    /// The calendar of a company without days off of its own.
    pub weekly: Calendar,
    /// Rules whose stored filter no longer compiles.
    pub errors: Vec<String>,
}

impl Setup {
    pub async fn load(store: &Store) -> Result<Setup, ActionsError> {
        let settings = store.settings().await?;
        let companies = store
            .companies()
            .await?
            .into_iter()
            .map(|c| (c.company_id.clone(), c))
            .collect();
        let classes = store
            .setup::<CreditClassRow>(None)
            .await?
            .into_iter()
            .map(|c| ((c.company_id.clone(), c.credit_class.clone()), c))
            .collect();
        let codes = store
            .setup::<ActionCodeRow>(None)
            .await?
            .into_iter()
            .map(|c| ((c.company_id.clone(), c.action_code.clone()), c))
            .collect();
        let mut rules: HashMap<(String, String), Vec<Rule>> = HashMap::new();
        let mut errors = Vec::new();
        for row in store.setup::<RuleRow>(None).await? {
            if !row.active {
                continue;
            }
            let view = View::parse(&row.view).unwrap_or(View::Customer);
            match Filter::new(&row.filter, view) {
                Ok(filter) => {
                    let needs_details = needs_invoice_details(&filter);
                    rules
                        .entry((row.company_id.clone(), row.credit_class.clone()))
                        .or_default()
                        .push(Rule {
                            row,
                            filter,
                            needs_details,
                        });
                }
                Err(e) => errors.push(format!(
                    "rule {} {} {}: filter: {e}",
                    row.company_id, row.credit_class, row.seq_no
                )),
            }
        }
        let mut holidays: HashMap<String, Vec<chrono::NaiveDate>> = HashMap::new();
        for day in store.setup::<CalendarRow>(None).await? {
            holidays.entry(day.company_id).or_default().push(day.date);
        }
        let calendars = holidays
            .into_iter()
            .map(|(company, days)| (company, Calendar::new(settings.days_off, days)))
            .collect();
        Ok(Setup {
            weekly: Calendar::new(settings.days_off, []),
            settings,
            companies,
            classes,
            codes,
            rules,
            calendars,
            errors,
        })
    }

    /// Whether a rule reads the invoice text columns, which item pages do not hold.
    pub fn needs_details(&self) -> bool {
        self.rules.values().flatten().any(|r| r.needs_details)
    }

    /// The company's working calendar.
    pub fn calendar(&self, company: &str) -> &Calendar {
        self.calendars.get(company).unwrap_or(&self.weekly)
    }

    /// The credit class a customer's rules come from: its own, else its company's default.
    pub fn class_of(&self, company: &str, own: Option<&str>) -> Option<String> {
        own.map(str::to_owned).or_else(|| {
            self.companies
                .get(company)
                .and_then(|c| c.default_credit_class.clone())
        })
    }

    /// A rule of a class by its sequence number.
    pub fn rule(&self, company: &str, class: &str, seq_no: i64) -> Option<&Rule> {
        self.rules
            .get(&(company.to_owned(), class.to_owned()))?
            .iter()
            .find(|r| r.row.seq_no == seq_no)
    }
}
