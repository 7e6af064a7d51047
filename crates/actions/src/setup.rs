//! The collections setup as a run uses it: rules compiled once, calendars, defaults.

use std::collections::HashMap;

use arrears_domain::Settings;
use arrears_domain::filter::{CUSTOMER_TEXTS, Filter, FilterSet, View};
use arrears_domain::rules::{customer_texts_read, needs_invoice_details};
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

/// A class's rules as generate runs them over each customer: its customer-view filters as
/// one set and its invoice-view filters as another, so that a test several rules make (the
/// `balance > 0` of every rung of a ladder) is made once per customer or open item.
pub struct RuleSets {
    pub customer: FilterSet,
    pub invoice: FilterSet,
    /// Each rule's place, in the class's rule order.
    pub places: Vec<Place>,
    /// The positions of the invoice-view rules, in the order of their set.
    pub invoice_rules: Vec<usize>,
}

/// Where a rule's filter is run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// The n-th filter of the customer-view set.
    Customer(usize),
    /// The n-th filter of the invoice-view set.
    Invoice(usize),
    /// On its own (an action-view rule).
    Alone,
}

impl RuleSets {
    fn new(rules: &[Rule]) -> RuleSets {
        let of = |view: View| rules.iter().filter(move |r| r.filter.view() == view);
        let mut counts = (0, 0);
        let places = rules
            .iter()
            .map(|r| match r.filter.view() {
                View::Customer => {
                    counts.0 += 1;
                    Place::Customer(counts.0 - 1)
                }
                View::Invoice => {
                    counts.1 += 1;
                    Place::Invoice(counts.1 - 1)
                }
                View::Action => Place::Alone,
            })
            .collect::<Vec<_>>();
        RuleSets {
            customer: FilterSet::new(View::Customer, of(View::Customer).map(|r| &r.filter)),
            invoice: FilterSet::new(View::Invoice, of(View::Invoice).map(|r| &r.filter)),
            invoice_rules: places
                .iter()
                .enumerate()
                .filter(|(_, p)| matches!(p, Place::Invoice(_)))
                .map(|(i, _)| i)
                .collect(),
            places,
        }
    }
}

/// Everything a run needs besides the book.
pub struct Setup {
    pub settings: Settings,
    pub companies: HashMap<String, CompanyRecord>,
    pub classes: HashMap<(String, String), CreditClassRow>,
    pub codes: HashMap<(String, String), ActionCodeRow>,
    /// The active rules of each (company, credit class), by sequence number.
    pub rules: HashMap<(String, String), Vec<Rule>>,
    /// The same rules' filters compiled together, one set per view.
    pub sets: HashMap<(String, String), RuleSets>,
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
        let sets = rules
            .iter()
            .map(|(class, rules)| (class.clone(), RuleSets::new(rules)))
            .collect();
        Ok(Setup {
            weekly: Calendar::new(settings.days_off, []),
            sets,
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

    /// The customer text columns a run reads: those the rules' filters read, and those that
    /// decide a customer's class, its user and its score range.
    pub fn customer_texts(&self) -> [bool; CUSTOMER_TEXTS.len()] {
        let mut read = [false; CUSTOMER_TEXTS.len()];
        for rule in self.rules.values().flatten() {
            customer_texts_read(&rule.filter, &mut read);
        }
        for always in ["credit_class", "assigned_user", "credit_score"] {
            if let Some(i) = CUSTOMER_TEXTS.iter().position(|c| *c == always) {
                read[i] = true;
            }
        }
        read
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
