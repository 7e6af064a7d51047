//! The customers and open items with every figure a rule can read, as the web pages and the
//! API show them: the same facts the rules judge, so a page never disagrees with a rule.

use std::collections::{BTreeMap, HashMap};

use arrears_domain::filter::View;
use arrears_domain::rules::{CustomerFacts, ItemFacts, ItemRow};
use arrears_domain::{Context, Figures, Item, Value};
use arrears_store::{Scope, Store, Viewer};
use chrono::NaiveDate;

use crate::{ActionsError, Known, facts, open_items};

/// Customers with their facts, and the figures of all of them together.
#[derive(Debug, Default)]
pub struct Seen {
    /// Ordered by company and id.
    pub customers: Vec<CustomerFacts>,
    /// Per company: amounts add up only within one home currency.
    pub totals: BTreeMap<String, Figures>,
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
    let mut totals: BTreeMap<String, Figures> = BTreeMap::new();
    let mut decide = |company: &str, customer: &str, items: &[Item], ids: &[(&str, &str)]| {
        if let Some(&i) = index.get(&(company, customer)) {
            let open = open_items(company, items, ids, &work, &ctx);
            let figures = Figures::of(items, &ctx);
            totals
                .entry(company.to_owned())
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
    let Some(facts_of) = customer_facts(store, scope, viewer, as_of)
        .await?
        .customers
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    let ctx = Context {
        as_of,
        settings: store.settings().await?,
    };
    let work = Known::load(store, true, as_of, scope).await?;
    let (items, ids) = split(store.items_of(company, customer).await?);
    let ids = borrowed(&ids);
    let mut open = open_items(company, &items, &ids, &work, &ctx);
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
                in_dispute: false,
                has_promise: false,
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

fn split(stored: Vec<(Item, String, String)>) -> (Vec<Item>, Ids) {
    stored
        .into_iter()
        .map(|(item, tran, currency)| (item, (tran, currency)))
        .unzip()
}

fn borrowed(ids: &Ids) -> Vec<(&str, &str)> {
    ids.iter().map(|(t, c)| (t.as_str(), c.as_str())).collect()
}
