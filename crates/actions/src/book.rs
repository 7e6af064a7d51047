//! The customers and open items with every figure a rule can read, as the web pages and the
//! API show them: the same facts the rules judge, so a page never disagrees with a rule.

use std::collections::{BTreeMap, HashMap};

use arrears_domain::disputes::Disputes;
use arrears_domain::filter::{Filter, View};
use arrears_domain::plans::{self, Plans};
use arrears_domain::rules::{
    CustomerFacts, CustomerRow as FactsRow, ItemFacts, ItemRow, needs_invoice_details,
};
use arrears_domain::then::Then;
use arrears_domain::{Context, Figures, Item, Money, Value};
use arrears_store::{CustomerRow, RuleRow, Scope, Store, Viewer};
use chrono::NaiveDate;

use crate::{
    ActionsError, Detail, Known, Rule, Setup, Verdict, facts, item_facts, judge, open_items,
};

/// Customers with their facts, and the figures of all of them together.
#[derive(Debug, Default)]
pub struct Seen {
    /// Ordered by company and id.
    pub customers: Vec<CustomerFacts>,
    /// Per company and assigned user (none: the unassigned pool): amounts add up only
    /// within one home currency, and a user's scope is a set of assigned users.
    pub totals: BTreeMap<(String, Option<String>), Figures>,
}

/// The customers in `scope` that `viewer` sees (all when none), with their facts as of
/// `as_of`.
pub async fn customer_facts(
    store: &Store,
    scope: Scope<'_>,
    viewer: Option<Viewer<'_>>,
    as_of: NaiveDate,
) -> Result<Seen, ActionsError> {
    let ctx = Context {
        as_of,
        settings: store.settings().await?,
    };
    let customers = store.customer_rows(scope, viewer).await?;
    if customers.is_empty() {
        return Ok(Seen::default());
    }
    let work = Known::load(store, false, as_of, scope).await?;
    let mut index: HashMap<(&str, &str), usize> = HashMap::with_capacity(customers.len());
    for (i, c) in customers.iter().enumerate() {
        index.insert((c.company_id.as_str(), c.customer_id.as_str()), i);
    }
    let mut out: Vec<Option<CustomerFacts>> = vec![None; customers.len()];
    let mut totals: BTreeMap<(String, Option<String>), Figures> = BTreeMap::new();
    let mut decide = |company: &str, customer: &str, items: &[Item], ids: &[(&str, &str)]| {
        if let Some(&i) = index.get(&(company, customer)) {
            let (items, ids) = work.adjust(company, customer, items, ids);
            let open = open_items(company, customer, &items, &ids, &work, &ctx);
            let figures = Figures::of(&items, &ctx);
            let user = customers[i].text("assigned_user").map(str::to_owned);
            totals
                .entry((company.to_owned(), user))
                .or_default()
                .merge(&figures);
            out[i] = Some(facts(&customers[i], &figures, &open, &work, &ctx));
        }
    };
    match scope {
        Scope {
            company: Some(company),
            customer: Some(customer),
        } => {
            let (items, ids) = split(store.items_of(company, customer).await?);
            decide(company, customer, &items, &borrowed(&ids));
        }
        _ => store.customer_items(scope.company, &mut decide).await?,
    }
    let customers = customers
        .iter()
        .zip(out)
        .map(|(c, f)| f.unwrap_or_else(|| facts(c, &Figures::default(), &[], &work, &ctx)))
        .collect();
    Ok(Seen { customers, totals })
}

/// The customers a customer-view filter matched, by company and id, and those it failed on
/// (a division by zero), with why.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Matched {
    pub customers: Vec<(String, String)>,
    pub errors: Vec<String>,
}

/// Runs a customer-view `filter` over the customers of one company, or of all, as of `as_of`:
/// the same facts My Accounts filters.
pub async fn matching_customers(
    store: &Store,
    company: Option<&str>,
    filter: &Filter,
    as_of: NaiveDate,
) -> Result<Matched, ActionsError> {
    let seen = customer_facts(store, Scope::company(company), None, as_of).await?;
    let mut out = Matched::default();
    for facts in &seen.customers {
        let row = FactsRow { facts, as_of };
        match filter.matches(&row) {
            Ok(true) => out
                .customers
                .push((facts.company_id.clone(), facts.customer_id.clone())),
            Ok(false) => {}
            Err(e) => out
                .errors
                .push(format!("{} {}: {e}", facts.company_id, facts.customer_id)),
        }
    }
    Ok(out)
}

/// One customer's facts as of `as_of`, when it exists and `viewer` sees it.
pub async fn one_customer_facts(
    store: &Store,
    company: &str,
    customer: &str,
    viewer: Option<Viewer<'_>>,
    as_of: NaiveDate,
) -> Result<Option<CustomerFacts>, ActionsError> {
    let scope = Scope::customer(company, customer);
    Ok(customer_facts(store, scope, viewer, as_of)
        .await?
        .customers
        .into_iter()
        .next())
}

/// One customer (when `viewer` sees it) and its open items, each as the values of the
/// invoice view's fields in catalog order, by transaction date and id.
pub async fn open_items_of(
    store: &Store,
    company: &str,
    customer: &str,
    viewer: Option<Viewer<'_>>,
    as_of: NaiveDate,
) -> Result<Option<(CustomerFacts, Vec<Vec<Value>>)>, ActionsError> {
    let scope = Scope::customer(company, customer);
    let Some(facts_of) = one_customer_facts(store, company, customer, viewer, as_of).await? else {
        return Ok(None);
    };
    let ctx = Context {
        as_of,
        settings: store.settings().await?,
    };
    let work = Known::load(store, true, as_of, scope).await?;
    let (items, ids) = split(store.items_of(company, customer).await?);
    let ids = borrowed(&ids);
    let (items, ids) = work.adjust(company, customer, &items, &ids);
    let mut open = open_items(company, customer, &items, &ids, &work, &ctx);
    open.sort_by(|a, b| (a.item.tran_date, a.tran_id).cmp(&(b.item.tran_date, b.tran_id)));
    let catalog = View::Invoice.catalog();
    let rows = open
        .iter()
        .map(|o| {
            let facts = ItemFacts {
                tran_id: o.tran_id,
                currency: o.currency,
                item: o.item,
                texts: o.texts,
                figures: &o.figures,
                tag_count: o.tag_count,
                dispute: o.dispute,
                has_promise: o.has_promise,
                stats: o.stats,
                customer: &facts_of,
            };
            let row = ItemRow {
                facts: &facts,
                as_of,
            };
            (0..catalog.len())
                .map(|slot| arrears_domain::filter::Row::cell(&row, slot).to_value())
                .collect()
        })
        .collect();
    Ok(Some((facts_of, rows)))
}

type Ids = Vec<(String, String)>;

pub(crate) fn split(stored: Vec<(Item, String, String)>) -> (Vec<Item>, Ids) {
    stored
        .into_iter()
        .map(|(item, tran, currency)| (item, (tran, currency)))
        .unzip()
}

pub(crate) fn borrowed(ids: &Ids) -> Vec<(&str, &str)> {
    ids.iter().map(|(t, c)| (t.as_str(), c.as_str())).collect()
}

/// A customer a filter matched, with the open items it tagged (invoice view).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Match {
    pub company_id: String,
    pub customer_id: String,
    pub name: String,
    pub tagged: Vec<(String, Money)>,
    /// The figures that made it match.
    pub reason: String,
}

/// What a filter matches among the customers of one credit class: every match counted, the
/// first ones kept.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Preview {
    /// Customers of the class looked at.
    pub examined: usize,
    pub matched: usize,
    pub first: Vec<Match>,
    /// Customers the filter failed on (a division by zero), with why.
    pub errors: Vec<String>,
}

/// Runs `filter` over the customers whose rules come from `class` of `company`, as of
/// `as_of`, as a rule of that view would: what a rule editor shows before saving.
pub async fn preview(
    store: &Store,
    company: &str,
    class: &str,
    filter: Filter,
    as_of: NaiveDate,
    keep: usize,
) -> Result<Preview, ActionsError> {
    let setup = Setup::load(store).await?;
    let ctx = Context {
        as_of,
        settings: setup.settings.clone(),
    };
    let scope = Scope::company(Some(company));
    let customers: Vec<CustomerRow> = store
        .customer_rows(scope, None)
        .await?
        .into_iter()
        .filter(|c| setup.class_of(company, c.text("credit_class")).as_deref() == Some(class))
        .collect();
    let rule = Rule {
        needs_details: needs_invoice_details(&filter),
        row: RuleRow {
            company_id: company.to_owned(),
            credit_class: class.to_owned(),
            seq_no: 0,
            action_code: String::new(),
            view: filter.view().name().to_owned(),
            filter: filter.to_string(),
            standalone: false,
            create_if_exists: false,
            auto_close: false,
            days_to_respond: None,
            override_user: None,
            followup_days: None,
            followup_user: None,
            active: true,
        },
        filter,
    };
    let work = Known::load(store, rule.needs_details, as_of, scope).await?;
    let index: HashMap<&str, usize> = customers
        .iter()
        .enumerate()
        .map(|(i, c)| (c.customer_id.as_str(), i))
        .collect();
    let mut verdicts: Vec<Option<Verdict>> = vec![None; customers.len()];
    let judge_one = |c: &CustomerRow, items: &[Item], ids: &[(&str, &str)]| {
        let (items, ids) = work.adjust(company, &c.customer_id, items, ids);
        let open = open_items(company, &c.customer_id, &items, &ids, &work, &ctx);
        let facts = facts(c, &Figures::of(&items, &ctx), &open, &work, &ctx);
        judge(
            &rule,
            &facts,
            &item_facts(&open, &facts),
            as_of,
            Detail::Reason,
        )
    };
    store
        .customer_items(Some(company), |_, customer, items, ids| {
            if let Some(&i) = index.get(customer) {
                verdicts[i] = Some(judge_one(&customers[i], items, ids));
            }
        })
        .await?;
    let mut out = Preview {
        examined: customers.len(),
        ..Preview::default()
    };
    for (c, verdict) in customers.iter().zip(verdicts) {
        let v = verdict.unwrap_or_else(|| judge_one(c, &[], &[]));
        if let Some(e) = v.error {
            out.errors
                .push(format!("{} {}: {e}", c.company_id, c.customer_id));
        } else if v.matched {
            out.matched += 1;
            if out.first.len() < keep {
                out.first.push(Match {
                    company_id: c.company_id.clone(),
                    customer_id: c.customer_id.clone(),
                    name: c.name.clone(),
                    tagged: v.tagged,
                    reason: v.reason,
                });
            }
        }
    }
    Ok(out)
}

/// The figures of the whole book on each of `days` per company and assigned user (none: the
/// unassigned pool): the aging alone, without the facts rules need, in one read of the book.
pub async fn totals_by_user(
    store: &Store,
    days: &[NaiveDate],
) -> Result<Vec<BTreeMap<(String, Option<String>), Figures>>, ActionsError> {
    let settings = store.settings().await?;
    let contexts: Vec<Context> = days
        .iter()
        .map(|&as_of| Context {
            as_of,
            settings: settings.clone(),
        })
        .collect();
    let customers = store.customers(None).await?;
    let users: HashMap<(&str, &str), Option<&str>> = customers
        .iter()
        .map(|c| {
            (
                (c.company_id.as_str(), c.customer_id.as_str()),
                c.assigned_user.as_deref(),
            )
        })
        .collect();
    let mut overlays = Vec::with_capacity(days.len());
    for day in days {
        overlays.push((
            Then::new(store.invoices_then(Scope::company(None), *day).await?),
            Plans::new(store.plans_in_force(Scope::company(None), *day).await?),
            Disputes::new(store.open_disputes(Scope::company(None), *day).await?),
        ));
    }
    let mut totals: Vec<BTreeMap<(String, Option<String>), Figures>> =
        vec![BTreeMap::new(); days.len()];
    store
        .customer_items(None, |company, customer, items, ids| {
            let user = users.get(&(company, customer)).copied().flatten();
            for ((day, ctx), (then, plans, disputes)) in
                totals.iter_mut().zip(&contexts).zip(&overlays)
            {
                let (items, _) =
                    plans::adjust(then, plans, disputes, company, customer, items, ids);
                day.entry((company.to_owned(), user.map(str::to_owned)))
                    .or_default()
                    .merge(&Figures::of(&items, ctx));
            }
        })
        .await?;
    Ok(totals)
}
