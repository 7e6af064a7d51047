//! The book as the pages read it, computed once per business date and store version and
//! shared by every request: My Accounts, the search and the dashboard filter, sort and total
//! it in memory instead of reading and aging the book again for each page.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use arrears_actions::{customer_facts, totals_by_user};
use arrears_domain::Figures;
use arrears_domain::rules::CustomerFacts;
use arrears_store::{Scope, SeenUsers, Store};
use chrono::{Datelike, NaiveDate};
use tokio::sync::Mutex;

use crate::WebError;
use crate::grid::{Dated, Listing, Page, Selected};

/// Figures per company and assigned user (none: the unassigned pool).
pub type Totals = BTreeMap<(String, Option<String>), Figures>;

/// Every customer's facts on one business date, and the figures per company and user.
pub struct Snapshot {
    pub as_of: NaiveDate,
    version: String,
    /// Ordered by company and id.
    pub customers: Vec<CustomerFacts>,
    pub totals: Totals,
    /// Lists already worked out, by user scope, filter, sort and sums: most users open the
    /// same few views again and again, and a page of them is then a slice.
    lists: std::sync::Mutex<HashMap<String, Arc<Selected>>>,
}

/// How many worked-out lists a snapshot keeps.
const LISTS: usize = 256;

impl Snapshot {
    /// The customers a user sees that `listing` keeps, in its order (positions in
    /// `customers`), with the sums of the money fields in `sum`.
    pub fn listed(
        &self,
        seen: &SeenUsers,
        listing: &Listing,
        sum: &[usize],
    ) -> Result<Arc<Selected>, WebError> {
        let key = format!(
            "{seen:?}|{}|{:?}|{sum:?}",
            listing
                .filter
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            listing.sort
        );
        if let Some(hit) = self.lists.lock().ok().and_then(|l| l.get(&key).cloned()) {
            return Ok(hit);
        }
        let positions: Vec<usize> = (0..self.customers.len())
            .filter(|&i| seen.sees(self.customers[i].text("assigned_user")))
            .collect();
        let rows: Vec<Dated<'_>> = positions
            .iter()
            .map(|&i| Dated {
                facts: &self.customers[i],
                as_of: self.as_of,
            })
            .collect();
        let mut selected = listing.select(&rows, sum)?;
        for i in &mut selected.order {
            *i = positions[*i];
        }
        let selected = Arc::new(selected);
        if let Ok(mut lists) = self.lists.lock() {
            if lists.len() >= LISTS {
                lists.clear();
            }
            lists.insert(key, selected.clone());
        }
        Ok(selected)
    }

    /// One page of a listing of the customers a user sees.
    pub fn page(
        &self,
        seen: &SeenUsers,
        listing: &Listing,
        sum: &[usize],
    ) -> Result<Page<Dated<'_>>, WebError> {
        let selected = self.listed(seen, listing, sum)?;
        let rows = selected.order[listing.window(selected.order.len())]
            .iter()
            .map(|&i| Dated {
                facts: &self.customers[i],
                as_of: self.as_of,
            })
            .collect();
        Ok(Page {
            rows,
            total: selected.order.len(),
            sums: selected.sums.clone(),
        })
    }

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
/// time, which the requests that need it wait for (pages need not wait for the trend).
#[derive(Default)]
pub struct Books {
    current: Mutex<Option<Arc<Snapshot>>>,
    trend: Mutex<Option<Arc<Trend>>>,
}

impl Books {
    /// The trend if it is ready for this date and store; otherwise none, and (once) it is
    /// worked out in the background for the next page.
    pub async fn trend_if_ready(
        self: &Arc<Self>,
        store: &Store,
        as_of: NaiveDate,
    ) -> Result<Option<Arc<Trend>>, WebError> {
        let Ok(slot) = self.trend.try_lock() else {
            return Ok(None);
        };
        let version = store.book_version().await?;
        if let Some(t) = slot
            .as_ref()
            .filter(|t| t.as_of == as_of && t.version == version)
        {
            return Ok(Some(t.clone()));
        }
        drop(slot);
        let (books, store) = (self.clone(), store.clone());
        tokio::spawn(async move {
            if let Err(e) = books.trend(&store, as_of).await {
                tracing::warn!(error = %e, "cannot work out the trend");
            }
        });
        Ok(None)
    }
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
            lists: std::sync::Mutex::default(),
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
        let days = month_ends(as_of);
        let totals = totals_by_user(store, &days).await?;
        let months = days.into_iter().zip(totals).collect();
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
