//! The book as the pages read it, computed once per business date and store version and
//! shared by every request: My Accounts, the search and the dashboard filter, sort and total
//! it in memory instead of reading and aging the book again for each page.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrears_actions::customer_facts;
use arrears_domain::Figures;
use arrears_domain::rules::CustomerFacts;
use arrears_store::{Scope, SeenUsers, Store};
use chrono::{Datelike, NaiveDate};
use tokio::sync::Mutex;

use crate::WebError;

/// Figures per company and assigned user (none: the unassigned pool).
pub type Totals = BTreeMap<(String, Option<String>), Figures>;

/// Every customer's facts on one business date, and the figures per company and user.
pub struct Snapshot {
    pub as_of: NaiveDate,
    version: String,
    /// Ordered by company and id.
    pub customers: Vec<CustomerFacts>,
    pub totals: Totals,
}

impl Snapshot {
    /// The customers a user sees.
    pub fn seen<'a>(&'a self, seen: &SeenUsers) -> Vec<&'a CustomerFacts> {
        self.customers
            .iter()
            .filter(|c| seen.sees(c.text("assigned_user")))
            .collect()
    }

    /// The figures of the customers a user sees, per company.
    pub fn totals_seen(&self, seen: &SeenUsers) -> BTreeMap<String, Figures> {
        totals_seen(&self.totals, seen)
    }
}

fn totals_seen(totals: &Totals, seen: &SeenUsers) -> BTreeMap<String, Figures> {
    let mut out: BTreeMap<String, Figures> = BTreeMap::new();
    for ((company, user), figures) in totals {
        if seen.sees(user.as_deref()) {
            out.entry(company.clone()).or_default().merge(figures);
        }
    }
    out
}

/// The figures per company and user at the end of each of the six months before a date.
pub struct Trend {
    pub as_of: NaiveDate,
    version: String,
    pub months: Vec<(NaiveDate, Totals)>,
}

impl Trend {
    /// Per month end, the figures of the customers a user sees, per company.
    pub fn seen(&self, seen: &SeenUsers) -> Vec<(NaiveDate, BTreeMap<String, Figures>)> {
        self.months
            .iter()
            .map(|(day, totals)| (*day, totals_seen(totals, seen)))
            .collect()
    }
}

/// The last day of each of the six months before `as_of`'s month, oldest first.
pub fn month_ends(as_of: NaiveDate) -> Vec<NaiveDate> {
    let first = as_of.with_day(1).unwrap_or(as_of);
    let mut ends: Vec<NaiveDate> = std::iter::successors(first.pred_opt(), |end| {
        end.with_day(1).and_then(|d| d.pred_opt())
    })
    .take(6)
    .collect();
    ends.reverse();
    ends
}

/// The latest snapshot and trend, rebuilt when the date or the store changes; one build at a
/// time, which the requests that need it wait for.
#[derive(Default)]
pub struct Books {
    current: Mutex<Option<Arc<Snapshot>>>,
    trend: Mutex<Option<Arc<Trend>>>,
}

impl Books {
    pub async fn snapshot(
        &self,
        store: &Store,
        as_of: NaiveDate,
    ) -> Result<Arc<Snapshot>, WebError> {
        let mut slot = self.current.lock().await;
        let version = store.book_version().await?;
        if let Some(s) = slot
            .as_ref()
            .filter(|s| s.as_of == as_of && s.version == version)
        {
            return Ok(s.clone());
        }
        let seen = customer_facts(store, Scope::ALL, None, as_of).await?;
        let built = Arc::new(Snapshot {
            as_of,
            version,
            customers: seen.customers,
            totals: seen.totals,
        });
        *slot = Some(built.clone());
        Ok(built)
    }

    pub async fn trend(&self, store: &Store, as_of: NaiveDate) -> Result<Arc<Trend>, WebError> {
        let mut slot = self.trend.lock().await;
        let version = store.book_version().await?;
        if let Some(t) = slot
            .as_ref()
            .filter(|t| t.as_of == as_of && t.version == version)
        {
            return Ok(t.clone());
        }
        let mut months = Vec::new();
        for day in month_ends(as_of) {
            let seen = customer_facts(store, Scope::ALL, None, day).await?;
            months.push((day, seen.totals));
        }
        let built = Arc::new(Trend {
            as_of,
            version,
            months,
        });
        *slot = Some(built.clone());
        Ok(built)
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    #[test]
    fn the_trend_ends_each_of_the_six_months_before() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(
            super::month_ends(day(2015, 3, 13)),
            [
                day(2014, 9, 30),
                day(2014, 10, 31),
                day(2014, 11, 30),
                day(2014, 12, 31),
                day(2015, 1, 31),
                day(2015, 2, 28)
            ]
        );
        assert_eq!(super::month_ends(day(2016, 3, 1))[5], day(2016, 2, 29));
    }
}
