//! Credit class rules run over the book (section 4 of the contract): `generate` opens the
//! issues the rules call for and closes those they no longer do; `explain` shows one
//! customer's rules and the values that decided them.
#![deny(clippy::float_arithmetic)]

mod book;
pub mod desk;
pub mod plans;
mod schedules;
mod setup;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrears_domain::disputes::{Disputes, OpenDispute};
use arrears_domain::filter::{Comparison, Verdicts, View};
use arrears_domain::plans::{Adjusted, Plans, adjust};
use arrears_domain::promises::Promises;
use arrears_domain::rules::{
    self, CustomerFacts, CustomerRow as FactsRow, ItemFacts, ItemRow, Rung, Work,
};
use arrears_domain::then::Then;
use arrears_domain::value::{Num, item_values, packed_figures};
use arrears_domain::{Context, Figures, History, InvoiceStats, Item, ItemFigures, Money};
use arrears_store::{
    ActivitySummary, CustomerRow, GenerateRun, IssueClosing, NewActivity, NewIssue, OpenIssue,
    Scope, Store, StoreError, pages::PageMarks,
};
use chrono::{NaiveDate, Utc};
use serde::Serialize;

pub use book::{
    Match, Matched, Preview, Seen, customer_facts, matching_customers, one_customer_facts,
    open_items_of, preview, totals_by_user,
};
pub use schedules::{ScheduledRun, run_schedules};
pub use setup::{Place, Rule, RuleSets, Setup};

#[derive(Debug, thiserror::Error)]
pub enum ActionsError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Invalid(String),
    /// No such record.
    #[error("not found")]
    NotFound,
    /// Someone changed the record meanwhile, or it is closed.
    #[error("{0}")]
    Conflict(String),
}

/// How a generate run goes.
#[derive(Clone, Debug)]
pub struct Options {
    pub as_of: NaiveDate,
    /// Only this company's customers.
    pub company: Option<String>,
    /// Only this credit class's rules and issues.
    pub credit_class: Option<String>,
    /// Work everything out, write nothing.
    pub preview: bool,
    pub run_by: String,
    /// `manual` or `schedule`.
    pub source: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Create,
    Close,
}

/// One issue a run opens or closes, as `--format json` prints it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    pub change: ChangeKind,
    pub company_id: String,
    pub customer_id: String,
    pub credit_class: String,
    pub seq_no: i64,
    pub action_code: String,
    pub user_id: Option<String>,
    pub start_date: NaiveDate,
    pub respond_by: NaiveDate,
    pub tagged: Vec<String>,
    /// Why: the figures that matched, or why the issue closes.
    #[serde(skip)]
    pub reason: String,
    /// The issue closed; none for a new one.
    #[serde(skip)]
    pub issue_id: Option<i64>,
}

/// What a run did (or, previewed, would do).
#[derive(Debug, Default)]
pub struct Outcome {
    pub changes: Vec<Change>,
    /// Rules that failed for a customer, and rules that no longer compile.
    pub errors: Vec<String>,
    /// The run's log entry; none for a preview.
    pub run_id: Option<i64>,
    pub timings: Timings,
}

/// Where a run's time went.
#[derive(Clone, Debug, Default)]
pub struct Timings {
    /// Reading the setup, the open work and the customers.
    pub load: Duration,
    /// Reading the item pages and working out every customer's figures and decisions; the
    /// new issues of each batch of customers are written meanwhile, as it is decided.
    pub evaluate: Duration,
    /// Of which: running the compiled filters (the processor time of the worker threads,
    /// summed).
    pub filters: Duration,
    /// Customers whose rules ran, and filters run (per customer, and per open item for the
    /// invoice view).
    pub customers: u64,
    pub filter_runs: u64,
    /// The writing left once every customer is decided: the last new issues, the closings,
    /// the run's log, the commit.
    pub write: Duration,
}

/// An open item with its figures, as invoice-view rules read it.
struct OpenItem<'a> {
    tran_id: &'a str,
    currency: &'a str,
    item: &'a Item,
    figures: Box<[Num]>,
    texts: Option<&'a [Option<String>; 10]>,
    tag_count: i64,
    /// The amount in dispute and its most severe dispute.
    dispute: Option<(Money, &'a OpenDispute)>,
    /// An open promise to pay is tagged to it.
    has_promise: bool,
    /// Its payments and tagged communications, when read.
    stats: Option<&'a InvoiceStats>,
}

/// The figures of an invoice with no payment and no communication yet.
const NO_STATS: InvoiceStats = InvoiceStats {
    last_pmt_date: None,
    pmt_count: 0,
    first_com: None,
    last_com: None,
};

/// One rule's verdict on one customer.
#[derive(Clone, Debug, Default)]
pub struct Verdict {
    pub matched: bool,
    /// Invoice view: the open items that matched, with their open balance (home currency).
    pub tagged: Vec<(String, Money)>,
    /// The figures that made it match.
    pub reason: String,
    /// Every comparison made, when explaining.
    pub comparisons: Vec<(Option<String>, Comparison)>,
    pub error: Option<String>,
}

/// What the store holds about the work already done.
struct Known {
    summaries: HashMap<(String, String), ActivitySummary>,
    tag_counts: HashMap<(String, String), i64>,
    open: HashMap<(String, String), Vec<Open>>,
    created_today: HashSet<(String, String, String, i64)>,
    texts: HashMap<(String, String), [Option<String>; 10]>,
    /// Whether the invoice details (texts, payment and communication figures) were read.
    details: bool,
    stats: HashMap<(String, String), InvoiceStats>,
    /// Disputes open on the business date, and how many each customer has had.
    disputes: Disputes,
    dispute_counts: HashMap<(String, String), i64>,
    /// Every expected payment with the payments towards it.
    promises: Promises,
    /// Payment plans in force on the business date.
    plans: Plans,
    /// The invoices the business date knew otherwise than today.
    then: Then,
}

/// An open issue, with its first activity's dates and its tagged invoices.
struct Open {
    issue: OpenIssue,
    tagged: Vec<String>,
}

impl Known {
    /// Reads what the store holds of the work in `scope`, the queries side by side.
    async fn load(
        store: &Store,
        needs_details: bool,
        as_of: NaiveDate,
        scope: Scope<'_>,
    ) -> Result<Known, ActionsError> {
        let owned = Owned::of(scope);
        let tags = owned.spawn(
            store,
            |s, o| async move { s.open_issue_tags(o.scope()).await },
        );
        let briefs = owned.spawn(
            store,
            |s, o| async move { s.open_issues_brief(o.scope()).await },
        );
        let summaries = owned.spawn(store, |s, o| async move {
            s.activity_summaries(o.scope()).await
        });
        let tag_counts = owned.spawn(store, |s, o| async move { s.tag_counts(o.scope()).await });
        let texts = owned.spawn(store, move |s, o| async move {
            if needs_details {
                s.open_invoice_texts(o.scope()).await
            } else {
                Ok(HashMap::new())
            }
        });
        let stats = owned.spawn(store, move |s, o| async move {
            if needs_details {
                s.invoice_stats(o.scope(), as_of).await
            } else {
                Ok(HashMap::new())
            }
        });
        let disputes = owned.spawn(store, move |s, o| async move {
            s.open_disputes(o.scope(), as_of).await
        });
        let dispute_counts = owned.spawn(
            store,
            |s, o| async move { s.dispute_counts(o.scope()).await },
        );
        let promises = owned.spawn(store, |s, o| async move {
            s.promise_book(o.scope(), false).await
        });
        let plans = owned.spawn(store, move |s, o| async move {
            s.plans_in_force(o.scope(), as_of).await
        });
        let then = owned.spawn(store, move |s, o| async move {
            s.invoices_then(o.scope(), as_of).await
        });
        let created_today = store
            .rule_issues_created_on(as_of, scope)
            .await?
            .into_iter()
            .collect();
        let mut tags = joined(tags).await?;
        let mut open: HashMap<(String, String), Vec<Open>> = HashMap::new();
        for issue in joined(briefs).await? {
            let key = (issue.company_id.clone(), issue.customer_id.clone());
            let tagged = tags.remove(&issue.issue_id).unwrap_or_default();
            open.entry(key).or_default().push(Open { issue, tagged });
        }
        Ok(Known {
            summaries: joined(summaries).await?,
            tag_counts: joined(tag_counts).await?,
            open,
            created_today,
            texts: joined(texts).await?,
            details: needs_details,
            stats: joined(stats).await?,
            disputes: Disputes::new(joined(disputes).await?),
            dispute_counts: joined(dispute_counts).await?,
            promises: Promises::new(joined(promises).await?),
            plans: Plans::new(joined(plans).await?),
            then: Then::new(joined(then).await?),
        })
    }

    /// A customer's items as the aging sees them: as the business date knew them, planned
    /// invoices split into their instalments, less what disputes exclude.
    fn adjust<'a, 'b>(
        &self,
        company: &str,
        customer: &str,
        items: &'a [Item],
        ids: &'a [(&'b str, &'b str)],
    ) -> Adjusted<'a, 'b> {
        adjust(
            &self.then,
            &self.plans,
            &self.disputes,
            company,
            customer,
            items,
            ids,
        )
    }
}

/// A scope that a task of its own can keep.
#[derive(Clone)]
struct Owned {
    company: Option<String>,
    customer: Option<String>,
}

impl Owned {
    fn of(scope: Scope<'_>) -> Owned {
        Owned {
            company: scope.company.map(str::to_owned),
            customer: scope.customer.map(str::to_owned),
        }
    }

    fn scope(&self) -> Scope<'_> {
        Scope {
            company: self.company.as_deref(),
            customer: self.customer.as_deref(),
        }
    }

    /// Runs a read on a task of its own, so that reads go side by side on the two cores.
    fn spawn<T, F>(
        &self,
        store: &Store,
        read: impl FnOnce(Store, Owned) -> F,
    ) -> tokio::task::JoinHandle<Result<T, StoreError>>
    where
        T: Send + 'static,
        F: std::future::Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        tokio::spawn(read(store.clone(), self.clone()))
    }
}

/// The result of a read started by [`Owned::spawn`].
async fn joined<T>(
    task: tokio::task::JoinHandle<Result<T, StoreError>>,
) -> Result<T, ActionsError> {
    task.await
        .map_err(|e| ActionsError::Invalid(format!("a read of the store stopped: {e}")))?
        .map_err(ActionsError::from)
}

/// Works out a customer's facts: its columns, figures and work figures.
fn facts(
    customer: &CustomerRow,
    figures: &Figures,
    items: &[OpenItem<'_>],
    work: &Known,
    ctx: &Context,
) -> CustomerFacts {
    let key = (customer.company_id.clone(), customer.customer_id.clone());
    let summary = work.summaries.get(&key).cloned().unwrap_or_default();
    let open = work.open.get(&key).map(Vec::as_slice).unwrap_or_default();
    let disputes = work
        .disputes
        .of(&customer.company_id, &customer.customer_id);
    let promises = work
        .promises
        .figures(&customer.company_id, &customer.customer_id, ctx.as_of);
    CustomerFacts {
        company_id: customer.company_id.clone(),
        customer_id: customer.customer_id.clone(),
        name: customer.name.clone(),
        texts: customer.texts.clone(),
        credit_limit: customer.credit_limit,
        credit_hold: customer.credit_hold,
        date_established: customer.date_established,
        days_to_respond: customer.days_to_respond,
        figures: packed_figures(figures, customer.credit_limit, &ctx.settings),
        work: Work {
            open_issue_cnt: open.len() as i64,
            oldest_issue_date: open.iter().map(|o| o.issue.created_date).min(),
            last_activity_date: summary.last_completed,
            last_activity_code: summary.last_code,
            latest_open_activity: summary.latest_open_start,
            oldest_open_due: summary.oldest_open_due,
            tag_count: items.iter().map(|i| i.tag_count).sum(),
            in_dispute: !disputes.is_empty(),
            has_promise: promises.has_promise,
            dispute_cnt: disputes.len() as i64,
            dispute_cnt_total: work.dispute_counts.get(&key).copied().unwrap_or(0),
            dispute_severity: disputes.iter().map(|d| d.severity).min(),
            promises,
            score_range: customer
                .text("credit_score")
                .and_then(|s| ctx.settings.score_ranges.range_of(s))
                .map(|r| r.name.clone()),
        },
    }
}

/// How much a verdict tells besides whether the rule matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Detail {
    /// Only whether it matched, and the tagged invoices: what every rule needs.
    Match,
    /// Also the reason written on the issue: for the rules that apply.
    Reason,
    /// Also every comparison made: for `rules explain`.
    All,
}

/// Runs one rule over a customer (and, invoice view, each of its open items).
fn judge(
    rule: &Rule,
    facts: &CustomerFacts,
    items: &[ItemFacts<'_>],
    as_of: NaiveDate,
    detail: Detail,
) -> Verdict {
    let explain = detail == Detail::All;
    let reasons_wanted = detail != Detail::Match;
    let mut verdict = Verdict::default();
    let label = |e: &arrears_domain::filter::EvalError| format!("filter {e}");
    match rule.filter.view() {
        View::Customer => {
            let row = FactsRow { facts, as_of };
            match rule.filter.matches(&row) {
                Ok(matched) => {
                    verdict.matched = matched;
                    if ((matched && reasons_wanted) || explain)
                        && let Ok((_, seen)) = rule.filter.explain(&row)
                    {
                        if matched {
                            verdict.reason = rules::reason(&seen);
                        }
                        if explain {
                            verdict.comparisons = seen.into_iter().map(|c| (None, c)).collect();
                        }
                    }
                }
                Err(e) => verdict.error = Some(label(&e)),
            }
        }
        // Setup accepts only the customer and invoice views for rules.
        View::Invoice | View::Action => {
            let mut reasons = Vec::new();
            for open in items {
                let row = ItemRow { facts: open, as_of };
                match rule.filter.matches(&row) {
                    Ok(matched) => {
                        if matched {
                            // The instalments of a planned invoice are one tag, of what
                            // the matching ones hold.
                            match verdict.tagged.last_mut() {
                                Some((tran_id, amount)) if tran_id == open.tran_id => {
                                    *amount += open.item.aged_hc();
                                }
                                _ => verdict
                                    .tagged
                                    .push((open.tran_id.to_owned(), open.item.aged_hc())),
                            }
                        }
                        let wanted = (matched && reasons_wanted && reasons.len() < 3) || explain;
                        if wanted && let Ok((_, seen)) = rule.filter.explain(&row) {
                            if matched && reasons.len() < 3 {
                                reasons.push(format!("{}: {}", open.tran_id, rules::reason(&seen)));
                            }
                            if explain {
                                verdict.comparisons.extend(
                                    seen.into_iter().map(|c| (Some(open.tran_id.to_owned()), c)),
                                );
                            }
                        }
                    }
                    Err(e) => {
                        verdict.error = Some(format!("invoice {}: {}", open.tran_id, label(&e)));
                        break;
                    }
                }
            }
            verdict.matched = !verdict.tagged.is_empty() && verdict.error.is_none();
            let more = verdict.tagged.len().saturating_sub(reasons.len());
            if more > 0 && !reasons.is_empty() {
                reasons.push(format!("and {more} more"));
            }
            verdict.reason = reasons.join("; ");
        }
    }
    if verdict.error.is_some() {
        verdict.matched = false;
    }
    verdict
}

/// Whether a rule matches a customer, the positions of the open items it tags (invoice
/// view), or why it failed: what generate asks of every rule, without the written reason.
#[derive(Clone, Debug, Default)]
struct Hit {
    matched: bool,
    tagged: Vec<usize>,
    error: Option<String>,
}

/// Runs one rule over a customer (and, invoice view, each of its open items) for generate.
fn hit(rule: &Rule, facts: &CustomerFacts, items: &[ItemFacts<'_>], as_of: NaiveDate) -> Hit {
    let mut hit = Hit::default();
    match rule.filter.view() {
        View::Customer => match rule.filter.matches_row(&FactsRow { facts, as_of }) {
            Ok(matched) => hit.matched = matched,
            Err(e) => hit.error = Some(format!("filter {e}")),
        },
        View::Invoice | View::Action => {
            for (position, item) in items.iter().enumerate() {
                match rule.filter.matches_row(&ItemRow { facts: item, as_of }) {
                    Ok(true) => hit.tagged.push(position),
                    Ok(false) => {}
                    Err(e) => {
                        hit.error = Some(format!("invoice {}: filter {e}", item.tran_id));
                        hit.tagged.clear();
                        break;
                    }
                }
            }
            hit.matched = !hit.tagged.is_empty();
        }
    }
    hit
}

/// Runs all of a class's rules over the customers of a batch that `group` picks (and all of
/// their open items), giving each of them in `hits` what [`hit`] gives for each rule: each
/// filter set runs over all of those customers, or all of their items, at once, and a test
/// that several rules make is made once per customer or item (a set without filters is not
/// run, and its verdicts are not read). Adds to `filters` the processor time the sets took.
#[allow(clippy::too_many_arguments)]
fn all_hits(
    rules: &[Rule],
    sets: &RuleSets,
    as_of: NaiveDate,
    (group, facts, items): (&[usize], &[CustomerFacts], &[Vec<ItemFacts<'_>>]),
    hits: &mut [Vec<Hit>],
    (by_customer, by_item): &mut (Verdicts, Verdicts),
    filters: &mut Duration,
) {
    let started = thread_time();
    if !sets.customer.is_empty() {
        let customers: Vec<FactsRow<'_>> = group
            .iter()
            .map(|&k| FactsRow {
                facts: &facts[k],
                as_of,
            })
            .collect();
        sets.customer.run(&customers, by_customer);
    }
    if !sets.invoice.is_empty() {
        let open_items: Vec<ItemRow<'_>> = group
            .iter()
            .flat_map(|&k| &items[k])
            .map(|facts| ItemRow { facts, as_of })
            .collect();
        sets.invoice.run(&open_items, by_item);
    }
    *filters += thread_time().saturating_sub(started);
    // The customer's first item among the group's items.
    let mut first = 0;
    for (row, &k) in group.iter().enumerate() {
        let (facts, items, out) = (&facts[k], &items[k], &mut hits[k]);
        for (i, place) in sets.places.iter().enumerate() {
            match *place {
                Place::Customer(n) => match by_customer.get(n, row) {
                    Ok(matched) => out[i].matched = matched,
                    Err(e) => out[i].error = Some(format!("filter {e}")),
                },
                Place::Invoice(_) => {}
                Place::Alone => out[i] = hit(&rules[i], facts, items, as_of),
            }
        }
        if sets.invoice.is_empty() {
            continue;
        }
        for (position, item) in items.iter().enumerate() {
            for (n, &i) in sets.invoice_rules.iter().enumerate() {
                let hit = &mut out[i];
                if hit.error.is_some() {
                    continue;
                }
                match by_item.get(n, first + position) {
                    Ok(true) => hit.tagged.push(position),
                    Ok(false) => {}
                    Err(e) => {
                        hit.error = Some(format!("invoice {}: filter {e}", item.tran_id));
                        hit.tagged.clear();
                    }
                }
            }
        }
        first += items.len();
        for &i in &sets.invoice_rules {
            out[i].matched = !out[i].tagged.is_empty();
        }
    }
}

/// The open items as invoice-view rules read them, each with its customer.
fn item_facts<'a>(items: &'a [OpenItem<'a>], facts: &'a CustomerFacts) -> Vec<ItemFacts<'a>> {
    items
        .iter()
        .map(|open| ItemFacts {
            tran_id: open.tran_id,
            currency: open.currency,
            item: open.item,
            texts: open.texts,
            figures: &open.figures,
            tag_count: open.tag_count,
            dispute: open.dispute,
            has_promise: open.has_promise,
            stats: open.stats,
            customer: facts,
        })
        .collect()
}

/// Of a class's rules and whether each matched a customer, the positions of those that apply:
/// the matching standalone ones and the highest matching rung of the ladder.
fn applying(rules: &[Rule], matched: impl Fn(usize) -> bool) -> Vec<usize> {
    let matched: Vec<usize> = (0..rules.len()).filter(|i| matched(*i)).collect();
    let rungs: Vec<Rung> = matched
        .iter()
        .map(|i| Rung {
            seq_no: rules[*i].row.seq_no,
            standalone: rules[*i].row.standalone,
        })
        .collect();
    rules::applying(&rungs)
        .into_iter()
        .map(|p| matched[p])
        .collect()
}

/// The open items of a customer with their figures.
fn open_items<'a>(
    company: &str,
    customer: &str,
    items: &'a [Item],
    ids: &'a [(&'a str, &'a str)],
    work: &'a Known,
    ctx: &Context,
) -> Vec<OpenItem<'a>> {
    let history = History::of(items, ctx);
    items
        .iter()
        .zip(ids)
        // An item whose whole balance a dispute excludes is not open to the rules.
        .filter(|(i, _)| i.is_open() && !i.aged_hc().is_zero())
        .map(|(item, (tran_id, currency))| {
            // Most books have no tags and no rule reading invoice texts: no key to build.
            let key = (work.details || !work.tag_counts.is_empty())
                .then(|| (company.to_owned(), (*tran_id).to_owned()));
            OpenItem {
                tran_id,
                currency,
                item,
                figures: item_values(item, &ItemFigures::of(item, &history, ctx))
                    .into_iter()
                    .map(|(_, v)| Num::from(v))
                    .collect(),
                texts: key.as_ref().and_then(|k| work.texts.get(k)),
                tag_count: key
                    .as_ref()
                    .and_then(|k| work.tag_counts.get(k))
                    .copied()
                    .unwrap_or(0),
                dispute: work.disputes.on(company, customer, tran_id),
                has_promise: !work.promises.is_empty()
                    && work
                        .promises
                        .promised(company, customer, tran_id, ctx.as_of),
                stats: work
                    .details
                    .then(|| key.as_ref().and_then(|k| work.stats.get(k)))
                    .map(|s| s.unwrap_or(&NO_STATS)),
            }
        })
        .collect()
}

/// Everything one run works with.
struct Run<'a> {
    setup: &'a Setup,
    work: &'a Known,
    ctx: &'a Context,
    options: &'a Options,
    changes: Vec<Change>,
    creates: Vec<NewIssue>,
    closes: Vec<IssueClosing>,
    errors: Vec<String>,
    timings: Timings,
    /// The rules' verdicts on each customer of the batch at hand, and what the filter sets
    /// gave over its customers and its items: kept from batch to batch.
    hits: Vec<Vec<Hit>>,
    verdicts: (Verdicts, Verdicts),
}

/// Threads deciding for the customers of item pages: the machine's two cores.
const WORKERS: usize = 2;

/// The processor time the calling thread has had. The filters' share of a run is measured
/// by it (not by the clock on the wall), so that the moments a thread waits for a core while
/// the page reader has it are not counted as the filters'.
fn thread_time() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec it is given.
    let read = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    match (read, u64::try_from(now.tv_sec), u32::try_from(now.tv_nsec)) {
        (0, Ok(secs), Ok(nanos)) => Duration::new(secs, nanos),
        _ => Duration::ZERO,
    }
}

/// A customer with its items and their `(tran_id, currency)`.
type WithItems<'a> = (&'a CustomerRow, &'a [Item], &'a [(&'a str, &'a str)]);

/// A customer of a batch whose rules run: its key, its class (company and credit class), the
/// class's rules, its open issues, and its items as the business date sees them.
struct Chosen<'a> {
    customer: &'a CustomerRow,
    /// Its company and id, as the known work is keyed.
    key: (String, String),
    class: (String, String),
    rules: &'a [Rule],
    open: &'a [Open],
    adjusted: Adjusted<'a, 'a>,
}

impl Run<'_> {
    /// Decides what the rules do for a batch of customers, each with its items (the customers
    /// of one item page). Every customer's figures are worked out first; then each credit
    /// class's filter sets run over all of its customers, and all of their open items, at
    /// once; then each customer's issues are closed and opened in turn.
    fn customers(&mut self, batch: &[WithItems<'_>]) {
        let (setup, work, ctx) = (self.setup, self.work, self.ctx);
        let as_of = ctx.as_of;
        let mut chosen: Vec<Chosen<'_>> = Vec::with_capacity(batch.len());
        for &(customer, items, ids) in batch {
            let (company, id) = (&customer.company_id, &customer.customer_id);
            let Some(class) = setup.class_of(company, customer.text("credit_class")) else {
                continue;
            };
            if self
                .options
                .credit_class
                .as_ref()
                .is_some_and(|c| *c != class)
            {
                continue;
            }
            let key = (company.clone(), id.clone());
            let open = work.open.get(&key).map(Vec::as_slice).unwrap_or_default();
            let class = (company.clone(), class);
            let rules: &[Rule] = setup
                .rules
                .get(&class)
                .map(Vec::as_slice)
                .unwrap_or_default();
            if rules.is_empty() && open.is_empty() {
                continue;
            }
            chosen.push(Chosen {
                customer,
                key,
                class,
                rules,
                open,
                adjusted: work.adjust(company, id, items, ids),
            });
        }
        let figures: Vec<Figures> = chosen
            .iter()
            .map(|c| Figures::of(&c.adjusted.0, ctx))
            .collect();
        let opens: Vec<Vec<OpenItem<'_>>> = chosen
            .iter()
            .map(|c| {
                let (company, id) = (&c.customer.company_id, &c.customer.customer_id);
                open_items(company, id, &c.adjusted.0, &c.adjusted.1, work, ctx)
            })
            .collect();
        let facts: Vec<CustomerFacts> = chosen
            .iter()
            .zip(&figures)
            .zip(&opens)
            .map(|((c, figures), open)| facts(c.customer, figures, open, work, ctx))
            .collect();
        let items: Vec<Vec<ItemFacts<'_>>> = opens
            .iter()
            .zip(&facts)
            .map(|(open, facts)| item_facts(open, facts))
            .collect();

        let mut hits = std::mem::take(&mut self.hits);
        if hits.len() < chosen.len() {
            hits.resize_with(chosen.len(), Vec::new);
        }
        // Each class's customers together, in the batch's order: a class is known by its
        // rules, the same slice for each of its customers (the customers of classes without
        // rules fall together, and have no rule to run).
        let mut order: Vec<usize> = (0..chosen.len()).collect();
        let class_of = |k: &usize| (chosen[*k].rules.as_ptr(), chosen[*k].rules.len());
        order.sort_by_key(class_of);
        for group in order.chunk_by(|a, b| class_of(a) == class_of(b)) {
            let Chosen { class, rules, .. } = &chosen[group[0]];
            // The verdicts of the batch before are reset in place: their lists of tags keep
            // their room instead of being freed and grown again.
            for &k in group {
                let out = &mut hits[k];
                out.truncate(rules.len());
                for hit in out.iter_mut() {
                    hit.matched = false;
                    hit.tagged.clear();
                    hit.error = None;
                }
                out.resize_with(rules.len(), Hit::default);
            }
            if let Some(sets) = setup.sets.get(class) {
                all_hits(
                    rules,
                    sets,
                    as_of,
                    (group, &facts, &items),
                    &mut hits,
                    &mut self.verdicts,
                    &mut self.timings.filters,
                );
            }
        }

        for (k, c) in chosen.iter().enumerate() {
            let (customer, rules, hits) = (c.customer, c.rules, &hits[k]);
            let class = &c.class.1;
            self.timings.customers += 1;
            self.timings.filter_runs += rules
                .iter()
                .map(|r| match r.filter.view() {
                    View::Customer => 1,
                    View::Invoice | View::Action => opens[k].len() as u64,
                })
                .sum::<u64>();
            for (rule, hit) in rules.iter().zip(hits) {
                if let Some(e) = &hit.error {
                    self.errors.push(format!(
                        "customer {} {}: rule {class} {}: {e}",
                        customer.company_id, customer.customer_id, rule.row.seq_no
                    ));
                }
            }
            let applying = applying(rules, |i| hits[i].matched);
            self.close(
                customer,
                class,
                c.open,
                rules,
                hits,
                &applying,
                &figures[k],
                &items[k],
                &facts[k],
            );
            let mut last_contact = work.summaries.get(&c.key).and_then(|s| s.last_contact);
            for i in applying {
                self.create(
                    customer,
                    class,
                    &rules[i],
                    (&facts[k], &items[k]),
                    c.open,
                    &mut last_contact,
                );
            }
        }
        self.hits = hits;
    }

    /// Closes the customer's open issues whose auto-close rule no longer matches, and, with
    /// `close_when_paid`, those of a customer with nothing left to pay.
    #[allow(clippy::too_many_arguments)]
    fn close(
        &mut self,
        customer: &CustomerRow,
        class: &str,
        open: &[Open],
        rules: &[Rule],
        hits: &[Hit],
        applying: &[usize],
        figures: &Figures,
        items: &[ItemFacts<'_>],
        facts: &CustomerFacts,
    ) {
        for o in open {
            let issue = &o.issue;
            let (Some(issue_class), Some(seq_no)) = (&issue.credit_class, issue.seq_no) else {
                continue;
            };
            if self
                .options
                .credit_class
                .as_ref()
                .is_some_and(|c| c != issue_class)
            {
                continue;
            }
            let verdict = if issue_class == class {
                rules
                    .iter()
                    .position(|r| r.row.seq_no == seq_no)
                    .map(|p| (&rules[p], hits[p].clone(), applying.contains(&p)))
            } else {
                self.setup
                    .rule(&customer.company_id, issue_class, seq_no)
                    .map(|r| (r, hit(r, facts, items, self.ctx.as_of), false))
            };
            let why = match &verdict {
                Some((rule, v, _)) if rule.row.auto_close && v.error.is_none() => {
                    match rule.filter.view() {
                        View::Customer if !v.matched => Some(format!(
                            "auto close: rule {issue_class} {seq_no} no longer matches"
                        )),
                        View::Invoice
                            if !o
                                .tagged
                                .iter()
                                .any(|t| v.tagged.iter().any(|p| items[*p].tran_id == t)) =>
                        {
                            Some(format!(
                                "auto close: no tagged invoice still matches rule {issue_class} {seq_no}"
                            ))
                        }
                        _ => None,
                    }
                }
                _ => None,
            };
            let applies = verdict.as_ref().is_some_and(|(_, _, applies)| *applies);
            let paid_up =
                self.setup.settings.close_when_paid && figures.total_age().is_zero() && !applies;
            let why = why.or_else(|| paid_up.then(|| "customer has no open balance".to_owned()));
            let Some(why) = why else { continue };
            self.changes.push(Change {
                change: ChangeKind::Close,
                company_id: issue.company_id.clone(),
                customer_id: issue.customer_id.clone(),
                credit_class: issue_class.clone(),
                seq_no,
                action_code: issue.action_code.clone(),
                user_id: issue.assigned_user.clone(),
                start_date: o.issue.start_date.unwrap_or(issue.created_date),
                respond_by: o.issue.respond_by.unwrap_or(issue.created_date),
                tagged: o.tagged.clone(),
                reason: why.clone(),
                issue_id: Some(issue.issue_id),
            });
            self.closes.push(IssueClosing {
                issue_id: issue.issue_id,
                company_id: issue.company_id.clone(),
                customer_id: issue.customer_id.clone(),
                date: self.ctx.as_of,
                by: self.options.run_by.clone(),
                reason: why,
            });
        }
    }

    /// Opens an issue for an applying rule, unless one is open already or was made today.
    fn create(
        &mut self,
        customer: &CustomerRow,
        class: &str,
        rule: &Rule,
        (facts, items): (&CustomerFacts, &[ItemFacts<'_>]),
        open: &[Open],
        last_contact: &mut Option<NaiveDate>,
    ) {
        let r = &rule.row;
        let company = &customer.company_id;
        let today = (
            company.clone(),
            customer.customer_id.clone(),
            class.to_owned(),
            r.seq_no,
        );
        if self.work.created_today.contains(&today) {
            return;
        }
        let same_rule_open = open.iter().any(|o| {
            o.issue.credit_class.as_deref() == Some(class) && o.issue.seq_no == Some(r.seq_no)
        });
        if same_rule_open && !r.create_if_exists {
            return;
        }
        let Some(code) = self
            .setup
            .codes
            .get(&(company.clone(), r.action_code.clone()))
        else {
            self.errors.push(format!(
                "customer {company} {}: rule {class} {}: no action code {:?}",
                customer.customer_id, r.seq_no, r.action_code
            ));
            return;
        };
        let credit_class = self.setup.classes.get(&(company.clone(), class.to_owned()));
        let as_of = self.ctx.as_of;
        // The reason is written only for the issues made.
        let verdict = judge(rule, facts, items, as_of, Detail::Reason);
        let calendar = self.setup.calendar(company);
        let start = if code.customer_contact {
            let moved = rules::contact_start(
                as_of,
                *last_contact,
                credit_class.and_then(|c| c.contact_frequency_days),
            );
            // Nothing is scheduled on a day off: a moved start goes to the next working day.
            if moved == as_of {
                moved
            } else {
                calendar.next_working(moved)
            }
        } else {
            as_of
        };
        if code.customer_contact {
            *last_contact = Some(last_contact.map_or(start, |l| l.max(start)));
        }
        let days = rules::days_to_respond(
            r.days_to_respond,
            customer.days_to_respond,
            credit_class.and_then(|c| c.days_to_respond),
            self.setup.settings.days_to_respond,
        );
        let respond_by = calendar.respond_by(start, days);
        let user = r
            .override_user
            .clone()
            .or_else(|| customer.text("assigned_user").map(str::to_owned));
        let followup_date = r
            .followup_days
            .and_then(|d| u32::try_from(d).ok())
            .map(|d| calendar.respond_by(start, d));
        let followup_user = followup_date.and(r.followup_user.clone().or_else(|| user.clone()));
        self.changes.push(Change {
            change: ChangeKind::Create,
            company_id: company.clone(),
            customer_id: customer.customer_id.clone(),
            credit_class: class.to_owned(),
            seq_no: r.seq_no,
            action_code: r.action_code.clone(),
            user_id: user.clone(),
            start_date: start,
            respond_by,
            tagged: verdict.tagged.iter().map(|(t, _)| t.clone()).collect(),
            reason: verdict.reason.clone(),
            issue_id: None,
        });
        self.creates.push(NewIssue {
            company_id: company.clone(),
            customer_id: customer.customer_id.clone(),
            subject: code.description.clone(),
            action_code: code.action_code.clone(),
            priority: code.priority,
            credit_class: Some(class.to_owned()),
            seq_no: Some(r.seq_no),
            assigned_user: user.clone(),
            created_date: as_of,
            created_by: self.options.run_by.clone(),
            reason: Some(verdict.reason.clone()).filter(|r| !r.is_empty()),
            activity: NewActivity {
                activity_type: code.activity_type.clone(),
                action_code: Some(code.action_code.clone()),
                description: code.communication_note.clone(),
                assigned_user: user,
                customer_contact: code.customer_contact,
                start_date: start,
                respond_by,
                followup_date,
                followup_user,
                tagged: verdict.tagged.clone(),
            },
        });
    }
}

/// What a run reads, shared with the threads that decide.
struct Shared {
    setup: Setup,
    work: Known,
    ctx: Context,
    options: Options,
    customers: Vec<CustomerRow>,
}

/// What one worker decided, besides the new issues it handed on batch by batch.
struct Decided {
    changes: Vec<Change>,
    closes: Vec<IssueClosing>,
    errors: Vec<String>,
    timings: Timings,
}

/// Customers decided at a time: a batch's new issues are handed on together. Small enough
/// that a batch's figures stay in the processor's cache while its filters run over them.
const BATCH: usize = 1024;

/// New issues handed to the writer at a time: a few batches' worth.
const WRITE_AT_ONCE: usize = 8192;

/// Batches the workers may decide ahead of the writer: enough that it finds the next few
/// batches' issues ready whenever it is done with some.
const AHEAD: usize = 32;

/// The new issues of the `n`-th batch of customers.
type Made = (usize, Vec<NewIssue>);

/// Decides for every customer, in the order they were read, on the machine's two cores: once
/// each customer's place in its item page (`pages`) is marked, the customers are taken
/// [`BATCH`] at a time, each worker taking the next batch as soon as it is done with one.
/// Each batch's new issues (by customer, then rule) go to `made` with the batch's number, so
/// that they can be written in order while later batches are decided.
fn decide(
    shared: &Shared,
    pages: Vec<(String, Vec<u8>)>,
    made: &tokio::sync::mpsc::Sender<Made>,
) -> Result<Vec<Decided>, StoreError> {
    let customers = &shared.customers;
    let mut index: HashMap<(&str, &str), usize> = HashMap::with_capacity(customers.len());
    for (i, c) in customers.iter().enumerate() {
        index.insert((c.company_id.as_str(), c.customer_id.as_str()), i);
    }
    let stopped = || StoreError::Corrupt("a generate worker stopped".into());
    // Each page read once on either core, marking where its customers' items start.
    let marks: Vec<PageMarks<'_>> = std::thread::scope(|scope| {
        let half = pages.len().div_ceil(WORKERS).max(1);
        let reading: Vec<_> = pages
            .chunks(half)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(_, data)| PageMarks::read(data))
                        .collect::<Result<Vec<_>, _>>()
                })
            })
            .collect();
        let mut marks = Vec::with_capacity(pages.len());
        for r in reading {
            marks.extend(r.join().map_err(|_| stopped())??);
        }
        Ok::<_, StoreError>(marks)
    })?;
    // Where each customer's items are: its page and its place there.
    let mut places: Vec<Option<(u32, u32)>> = vec![None; customers.len()];
    for (p, ((company, _), page)) in pages.iter().zip(&marks).enumerate() {
        for (n, customer) in page.customers().enumerate() {
            if let Some(&i) = index.get(&(company.as_str(), customer)) {
                places[i] = Some((p as u32, n as u32));
            }
        }
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let new_run = || Run {
        setup: &shared.setup,
        work: &shared.work,
        ctx: &shared.ctx,
        options: &shared.options,
        // At most one ladder issue per customer on most days: room for it up front saves
        // copying millions of issues as the lists grow.
        changes: Vec::with_capacity(customers.len() / WORKERS),
        creates: Vec::new(),
        closes: Vec::new(),
        errors: Vec::new(),
        timings: Timings::default(),
        hits: Vec::new(),
        verdicts: Default::default(),
    };
    let rank = |company: &str, customer: &str| index.get(&(company, customer)).copied();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..WORKERS)
            .map(|_| {
                let (next, places, marks) = (&next, &places, &marks);
                scope.spawn(move || {
                    let mut run = new_run();
                    let (mut items, mut ids) = (Vec::new(), Vec::new());
                    let mut spans = Vec::with_capacity(BATCH);
                    loop {
                        let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let first = n * BATCH;
                        if first >= customers.len() {
                            break;
                        }
                        let last = (first + BATCH).min(customers.len());
                        // The batch's items, one customer after another.
                        items.clear();
                        ids.clear();
                        spans.clear();
                        for place in &places[first..last] {
                            let start = items.len();
                            if let Some((p, n)) = *place {
                                marks[p as usize].items(n as usize, &mut items, &mut ids)?;
                            }
                            spans.push(start..items.len());
                        }
                        let batch: Vec<WithItems<'_>> = customers[first..last]
                            .iter()
                            .zip(&spans)
                            .map(|(c, span)| (c, &items[span.clone()], &ids[span.clone()]))
                            .collect();
                        run.customers(&batch);
                        let mut creates = std::mem::take(&mut run.creates);
                        creates.sort_by_cached_key(|c| {
                            (rank(&c.company_id, &c.customer_id), c.seq_no)
                        });
                        if made.blocking_send((n, creates)).is_err() {
                            // The writing stopped on an error of its own, reported there.
                            break;
                        }
                    }
                    // Changes in customer order: the merge after is then a pass.
                    run.changes.sort_by_cached_key(|c| {
                        let place = rank(&c.company_id, &c.customer_id);
                        (place, c.change == ChangeKind::Create, c.seq_no)
                    });
                    Ok(Decided {
                        changes: run.changes,
                        closes: run.closes,
                        errors: run.errors,
                        timings: run.timings,
                    })
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().map_err(|_| stopped())?)
            .collect::<Result<Vec<Decided>, StoreError>>()
    })
}

/// Changes in the order they are shown: by customer, closings first, then rule.
fn by_change(a: &Change, b: &Change) -> std::cmp::Ordering {
    fn key(c: &Change) -> (&str, &str, bool, i64) {
        (
            &c.company_id,
            &c.customer_id,
            c.change == ChangeKind::Create,
            c.seq_no,
        )
    }
    key(a).cmp(&key(b))
}

/// Evaluates the rules over the book as of `options.as_of`, and (unless previewing) opens
/// and closes the issues they call for in one transaction, logging the run.
pub async fn generate(store: &Store, options: &Options) -> Result<Outcome, ActionsError> {
    let started_at = Utc::now();
    let clock = Instant::now();
    let setup = Setup::load(store).await?;
    if let Some(class) = &options.credit_class
        && !setup.classes.keys().any(|(_, c)| c == class)
    {
        return Err(ActionsError::Invalid(format!(
            "--credit-class: no credit class {class:?} in the store"
        )));
    }
    let company = options.company.as_deref();
    if let Some(c) = company
        && !setup.companies.contains_key(c)
    {
        return Err(ActionsError::Invalid(format!(
            "--company: no company {c:?} in the store"
        )));
    }
    if !options.preview {
        // Promises are held to their dates at every generate too (section 7, A14).
        let actor = arrears_store::Actor {
            user_id: &options.run_by,
            at: Utc::now(),
            business_date: options.as_of,
        };
        store.check_expected(actor).await?;
    }
    let ctx = Context {
        as_of: options.as_of,
        settings: setup.settings.clone(),
    };
    let scope = Scope::company(company);
    // Only the text columns the rules and the run read: most of a customer's texts (its
    // address, say) are a million strings no rule looks at.
    let texts = setup.customer_texts();
    let customers = Owned::of(scope).spawn(store, move |s, o| async move {
        s.customer_rows_reading(o.scope(), None, &texts).await
    });
    // Every item page, read beside the rest: customers are decided in key order, and a page
    // holds customers of the whole range.
    let pages = Owned::of(scope).spawn(store, move |s, o| async move {
        let mut pages = Vec::new();
        s.item_pages(o.company.as_deref(), |company_id, _, data| {
            pages.push((company_id.to_owned(), data));
            Ok(())
        })
        .await
        .map(|()| pages)
    });
    let work = Known::load(store, setup.needs_details(), options.as_of, scope).await?;
    let customers = joined(customers).await?;
    let pages = joined(pages).await?;
    let load = clock.elapsed();
    let clock = Instant::now();
    let mut errors = setup.errors.clone();
    let setup_errors = errors.len();
    let shared = Arc::new(Shared {
        setup,
        work,
        ctx,
        options: options.clone(),
        customers,
    });
    // The workers decide on a thread of their own while this task writes the new issues of
    // each batch of customers, in order, as the batches after are decided.
    let (made, mut parts) = tokio::sync::mpsc::channel::<Made>(AHEAD);
    let deciding = tokio::task::spawn_blocking({
        let shared = shared.clone();
        move || decide(&shared, pages, &made)
    });
    let stopped =
        |e: tokio::task::JoinError| ActionsError::Invalid(format!("generate stopped: {e}"));
    let log = |created: usize, closed: usize, errors: &[String]| GenerateRun {
        run_id: 0,
        company_id: options.company.clone(),
        run_date: options.as_of,
        credit_class: options.credit_class.clone(),
        started_at,
        finished_at: Utc::now(),
        run_by: options.run_by.clone(),
        source: options.source.clone(),
        created: created as i64,
        closed: closed as i64,
        errors: errors.to_vec(),
    };
    let mut writing = match options.preview {
        true => None,
        false => Some(store.start_generate(&log(0, 0, &[])).await?),
    };
    // Batches come as the workers finish them, and are written by their number, a few at a
    // time.
    let (mut created, mut pending) = (0, Vec::new());
    let (mut waiting, mut next) = (std::collections::BTreeMap::new(), 0);
    while let Some((n, part)) = parts.recv().await {
        waiting.insert(n, part);
        while let Some(part) = waiting.remove(&next) {
            next += 1;
            created += part.len();
            if let Some(w) = &mut writing {
                pending.extend(part);
                if pending.len() >= WRITE_AT_ONCE {
                    w.issues(std::mem::take(&mut pending)).await?;
                }
            }
        }
    }
    let decided = deciding.await.map_err(stopped)??;
    if let Some(w) = &mut writing
        && !pending.is_empty()
    {
        w.issues(pending).await?;
    }
    let mut changes = Vec::with_capacity(decided.iter().map(|r| r.changes.len()).sum());
    let mut closes = Vec::new();
    let mut timings = Timings {
        load,
        ..Timings::default()
    };
    for run in decided {
        changes.extend(run.changes);
        closes.extend(run.closes);
        errors.extend(run.errors);
        timings.filters += run.timings.filters;
        timings.customers += run.timings.customers;
        timings.filter_runs += run.timings.filter_runs;
    }
    errors[setup_errors..].sort();
    // Which worker took which batch varies from run to run; the order of closing does not.
    closes.sort_by(|a, b| {
        (&a.company_id, &a.customer_id, a.issue_id).cmp(&(
            &b.company_id,
            &b.customer_id,
            b.issue_id,
        ))
    });
    // The rows of a million customers and what was known of their work are freed beside the
    // write rather than before the run ends.
    std::thread::spawn(move || drop(shared));
    timings.evaluate = clock.elapsed();
    let clock = Instant::now();
    let mut outcome = Outcome {
        run_id: None,
        errors,
        changes: Vec::new(),
        timings: Timings::default(),
    };
    if let Some(w) = writing {
        let log = log(created, closes.len(), &outcome.errors);
        outcome.run_id = Some(w.finish(&closes, &log).await?);
    }
    timings.write = clock.elapsed();
    outcome.timings = timings;
    changes.sort_by(by_change);
    outcome.changes = changes;
    Ok(outcome)
}

/// One rule of a customer's credit class, as `rules explain` shows it.
#[derive(Debug)]
pub struct RuleExplained {
    pub seq_no: i64,
    pub action_code: String,
    pub view: String,
    pub filter: String,
    pub standalone: bool,
    pub verdict: Verdict,
    /// What generate would do with the rule for this customer, and why.
    pub decision: String,
}

/// A customer's rules, whether each matched, and what decided it.
#[derive(Debug)]
pub struct Explanation {
    pub credit_class: Option<String>,
    pub rules: Vec<RuleExplained>,
}

/// Explains the rules of one customer's credit class as of `as_of`.
pub async fn explain(
    store: &Store,
    company: &str,
    customer_id: &str,
    as_of: NaiveDate,
) -> Result<Explanation, ActionsError> {
    let setup = Setup::load(store).await?;
    let scope = Scope::customer(company, customer_id);
    let customers = store.customer_rows(scope, None).await?;
    let Some(customer) = customers.iter().find(|c| c.customer_id == customer_id) else {
        return Err(ActionsError::Invalid(format!(
            "no customer {customer_id:?} in company {company:?}"
        )));
    };
    let ctx = Context {
        as_of,
        settings: setup.settings.clone(),
    };
    let work = Known::load(store, setup.needs_details(), as_of, scope).await?;
    let (items, owned_ids) = book::split(store.items_of(company, customer_id).await?);
    let ids = book::borrowed(&owned_ids);
    let Some(class) = setup.class_of(company, customer.text("credit_class")) else {
        return Ok(Explanation {
            credit_class: None,
            rules: Vec::new(),
        });
    };
    let rules: &[Rule] = setup
        .rules
        .get(&(company.to_owned(), class.clone()))
        .map(Vec::as_slice)
        .unwrap_or_default();
    let (items, ids) = work.adjust(company, customer_id, &items, &ids);
    let figures = Figures::of(&items, &ctx);
    let open_items = open_items(company, customer_id, &items, &ids, &work, &ctx);
    let facts = facts(customer, &figures, &open_items, &work, &ctx);
    let item_facts = item_facts(&open_items, &facts);
    let verdicts: Vec<Verdict> = rules
        .iter()
        .map(|r| judge(r, &facts, &item_facts, as_of, Detail::All))
        .collect();
    let applying = applying(rules, |i| verdicts[i].matched);
    let top = applying
        .iter()
        .filter(|i| !rules[**i].row.standalone)
        .map(|i| rules[*i].row.seq_no)
        .next();
    let key = (company.to_owned(), customer_id.to_owned());
    let open = work.open.get(&key).map(Vec::as_slice).unwrap_or_default();
    let explained = rules
        .iter()
        .zip(verdicts)
        .enumerate()
        .map(|(i, (rule, verdict))| {
            let r = &rule.row;
            let open_issue = open.iter().find(|o| {
                o.issue.credit_class.as_deref() == Some(class.as_str())
                    && o.issue.seq_no == Some(r.seq_no)
            });
            let decision = if let Some(e) = &verdict.error {
                format!("fails: {e}")
            } else if !verdict.matched {
                "does not match".to_owned()
            } else if !applying.contains(&i) {
                format!(
                    "matches, but rule {} is higher on the ladder",
                    top.unwrap_or_default()
                )
            } else if work.created_today.contains(&(
                company.to_owned(),
                customer_id.to_owned(),
                class.clone(),
                r.seq_no,
            )) {
                format!("applies; an issue by this rule was already created on {as_of}")
            } else if let (Some(o), false) = (open_issue, r.create_if_exists) {
                format!(
                    "applies; issue {} by this rule is still open",
                    o.issue.issue_id
                )
            } else {
                "applies: generate creates an issue".to_owned()
            };
            RuleExplained {
                seq_no: r.seq_no,
                action_code: r.action_code.clone(),
                view: r.view.clone(),
                filter: r.filter.clone(),
                standalone: r.standalone,
                verdict,
                decision,
            }
        })
        .collect();
    Ok(Explanation {
        credit_class: Some(class),
        rules: explained,
    })
}
