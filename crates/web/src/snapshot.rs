//! The book as the pages read it, computed once per business date and store version and
//! shared by every request: My Accounts, the search and the dashboard filter, sort and total
//! it in memory instead of reading and aging the book again for each page.
//!
//! Work on a few customers (a call, a note, an issue, a promise) patches the snapshot: only
//! those customers' facts are worked out again. Anything else (a sync, a generate run, a
//! dispute, a plan, an assignment, a setting) remakes it; a page waits a moment for that,
//! then is served the snapshot before while the new one is finished.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use arrears_actions::{customer_facts, one_customer_facts, totals_by_user};
use arrears_domain::Figures;
use arrears_domain::rules::CustomerFacts;
use arrears_store::{BookVersion, Scope, SeenUsers, Store};
use chrono::{Datelike, NaiveDate};
use tokio::sync::Mutex;

use crate::WebError;
use crate::grid::{Dated, Listing, Page, Selected};

/// Figures per company and assigned user (none: the unassigned pool).
pub type Totals = BTreeMap<(String, Option<String>), Figures>;

/// Every customer's facts on one business date, and the figures per company and user.
pub struct Snapshot {
    pub as_of: NaiveDate,
    version: BookVersion,
    /// Ordered by company and id; shared with the snapshot a patch came from.
    pub customers: Vec<Arc<CustomerFacts>>,
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
            .map(|c| &**c)
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
    version: BookVersion,
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

/// How long a page waits for a snapshot being remade before it is served the one before.
const PATIENCE: Duration = Duration::from_secs(2);

/// The most customers whose work a patch works out again; beyond, the snapshot is remade.
const PATCH_LIMIT: usize = 500;

/// Kinds of record whose changes move a customer's figures or its user: the snapshot's
/// totals change with them, so they are not patched.
const MOVE_FIGURES: [&str; 3] = ["dispute", "payment_plan", "assignment"];

/// The latest snapshot and trend, brought up to date when the date or the store changes:
/// one build or patch at a time, which the requests that need it wait for (a moment only
/// when there is a snapshot before to serve; pages need not wait for the trend).
#[derive(Default)]
pub struct Books {
    current: std::sync::Mutex<Option<Arc<Snapshot>>>,
    making: Mutex<()>,
    trend: Mutex<Option<Arc<Trend>>>,
}

/// What changed since a version: nothing, work on some customers whose figures and users
/// stay, or more.
enum Since {
    Same,
    Work(BTreeSet<(String, String)>),
    More,
}

async fn since(store: &Store, old: &BookVersion, new: &BookVersion) -> Result<Since, WebError> {
    if old == new {
        return Ok(Since::Same);
    }
    if !old.only_work_since(new) {
        return Ok(Since::More);
    }
    let limit = i64::try_from(PATCH_LIMIT).unwrap_or(i64::MAX);
    let changes = store.changed_since(old.events, limit + 1).await?;
    if changes.len() > PATCH_LIMIT {
        return Ok(Since::More);
    }
    let mut customers = BTreeSet::new();
    for (company, customer, entity) in changes {
        match (company, customer) {
            (Some(company), Some(customer)) if !MOVE_FIGURES.contains(&entity.as_str()) => {
                customers.insert((company, customer));
            }
            _ => return Ok(Since::More),
        }
    }
    Ok(Since::Work(customers))
}

impl Books {
    /// The latest snapshot, if it is of `as_of`.
    fn latest(&self, as_of: NaiveDate) -> Option<Arc<Snapshot>> {
        self.current
            .lock()
            .ok()
            .and_then(|s| s.clone())
            .filter(|s| s.as_of == as_of)
    }

    /// The snapshot of `as_of` as the store stands; when it must be remade and there is
    /// one before, that one after a moment's wait.
    pub async fn snapshot(
        self: &Arc<Self>,
        store: &Store,
        as_of: NaiveDate,
    ) -> Result<Arc<Snapshot>, WebError> {
        let version = store.book_version().await?;
        let before = self.latest(as_of);
        if let Some(s) = before.as_ref().filter(|s| s.version == version) {
            return Ok(s.clone());
        }
        let (books, owned) = (self.clone(), store.clone());
        let making = tokio::spawn(async move {
            let made = books.bring_up_to_date(&owned, as_of).await;
            if let Err(e) = &made {
                tracing::warn!(error = %e, "cannot bring the book's snapshot up to date");
            }
            made
        });
        let made = match before {
            Some(before) => match tokio::time::timeout(PATIENCE, making).await {
                Ok(made) => made,
                Err(_) => return Ok(before),
            },
            None => making.await,
        };
        made.map_err(|e| WebError::Internal(format!("the snapshot was not made: {e}")))?
    }

    /// Patches or remakes the snapshot of `as_of` unless it is up to date, and keeps it.
    async fn bring_up_to_date(
        &self,
        store: &Store,
        as_of: NaiveDate,
    ) -> Result<Arc<Snapshot>, WebError> {
        let _one_at_a_time = self.making.lock().await;
        let version = store.book_version().await?;
        let before = self.latest(as_of);
        let started = std::time::Instant::now();
        let patched = match &before {
            Some(s) => match since(store, &s.version, &version).await? {
                Since::Same => return Ok(s.clone()),
                Since::Work(customers) => patch(store, s, version.clone(), &customers).await?,
                Since::More => None,
            },
            None => None,
        };
        let made = match patched {
            Some(s) => {
                tracing::info!(?as_of, elapsed = ?started.elapsed(), "book snapshot patched");
                s
            }
            None => {
                let seen = customer_facts(store, Scope::ALL, None, as_of).await?;
                tracing::info!(
                    ?as_of,
                    customers = seen.customers.len(),
                    elapsed = ?started.elapsed(),
                    "book snapshot made"
                );
                Snapshot {
                    as_of,
                    version,
                    customers: seen.customers.into_iter().map(Arc::new).collect(),
                    totals: seen.totals,
                    lists: std::sync::Mutex::default(),
                }
            }
        };
        let made = Arc::new(made);
        if let Ok(mut current) = self.current.lock() {
            *current = Some(made.clone());
        }
        Ok(made)
    }

    /// The trend if it is ready for this date and store; otherwise none, and (once) it is
    /// worked out in the background for the next page.
    pub async fn trend_if_ready(
        self: &Arc<Self>,
        store: &Store,
        as_of: NaiveDate,
    ) -> Result<Option<Arc<Trend>>, WebError> {
        let Ok(mut slot) = self.trend.try_lock() else {
            return Ok(None);
        };
        if let Some(t) = current_trend(store, &mut slot, as_of).await? {
            return Ok(Some(t));
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

    pub async fn trend(&self, store: &Store, as_of: NaiveDate) -> Result<Arc<Trend>, WebError> {
        let mut slot = self.trend.lock().await;
        if let Some(t) = current_trend(store, &mut slot, as_of).await? {
            return Ok(t);
        }
        let version = store.book_version().await?;
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

/// The trend kept, if it still holds: of this date, and nothing but work that moves no
/// figures since it was made (then it is kept as of the new version).
async fn current_trend(
    store: &Store,
    slot: &mut Option<Arc<Trend>>,
    as_of: NaiveDate,
) -> Result<Option<Arc<Trend>>, WebError> {
    let Some(t) = slot.as_ref().filter(|t| t.as_of == as_of) else {
        return Ok(None);
    };
    let version = store.book_version().await?;
    match since(store, &t.version, &version).await? {
        Since::Same => Ok(Some(t.clone())),
        Since::Work(_) => {
            let kept = Arc::new(Trend {
                as_of,
                version,
                months: t.months.clone(),
            });
            *slot = Some(kept.clone());
            Ok(Some(kept))
        }
        Since::More => Ok(None),
    }
}

/// The snapshot before with the facts of `customers` worked out again; none when one of them
/// is not in it or changed hands (then the whole snapshot is remade).
async fn patch(
    store: &Store,
    before: &Snapshot,
    version: BookVersion,
    customers: &BTreeSet<(String, String)>,
) -> Result<Option<Snapshot>, WebError> {
    let mut facts = before.customers.clone();
    for (company, customer) in customers {
        let key = (company.as_str(), customer.as_str());
        let at = facts
            .binary_search_by(|c| (c.company_id.as_str(), c.customer_id.as_str()).cmp(&key))
            .ok()
            // The store's order of ids may not be Rust's (a PostgreSQL collation).
            .or_else(|| {
                facts
                    .iter()
                    .position(|c| (c.company_id.as_str(), c.customer_id.as_str()) == key)
            });
        let Some(at) = at else { return Ok(None) };
        let Some(now) = one_customer_facts(store, company, customer, None, before.as_of).await?
        else {
            return Ok(None);
        };
        if now.text("assigned_user") != facts[at].text("assigned_user") {
            return Ok(None);
        }
        facts[at] = Arc::new(now);
    }
    Ok(Some(Snapshot {
        as_of: before.as_of,
        version,
        customers: facts,
        totals: before.totals.clone(),
        lists: std::sync::Mutex::default(),
    }))
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
