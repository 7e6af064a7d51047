//! Lists of customers and invoices as My Accounts and the API show them: the filter language
//! of the rules, a sort on any field, and pages.

use std::collections::BTreeMap;

use arrears_domain::filter::{Catalog, Cell, Filter, Row, View};
use arrears_domain::rules::CustomerFacts;
use arrears_domain::{Money, Value};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Map, Number};

use crate::WebError;

/// The most rows one page may hold.
pub const MAX_PER_PAGE: usize = 500;
pub const DEFAULT_PER_PAGE: usize = 50;

/// What a list was asked for: `filter`, `sort`, `page` (from 1), `per_page`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ListQuery {
    pub filter: Option<String>,
    pub sort: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

/// A checked list query.
pub struct Listing {
    pub view: View,
    pub filter: Option<Filter>,
    /// The sorted field's slot, and whether descending.
    pub sort: Option<(usize, bool)>,
    pub page: usize,
    pub per_page: usize,
}

impl ListQuery {
    /// Checks the query against a view's fields.
    pub fn check(&self, view: View) -> Result<Listing, WebError> {
        let catalog = view.catalog();
        let filter = match self.filter.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(
                Filter::new(text, view).map_err(|e| WebError::Invalid(format!("filter: {e}")))?,
            ),
        };
        let sort = match self.sort.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => {
                let (name, descending) = match text.strip_prefix('-') {
                    Some(name) => (name, true),
                    None => (text, false),
                };
                let slot = catalog
                    .slot(name)
                    .ok_or_else(|| WebError::Invalid(unknown_field("sort", name, catalog)))?;
                Some((slot, descending))
            }
        };
        let number = |name: &str, text: Option<&str>, default: usize| match text.map(str::trim) {
            None | Some("") => Ok(default),
            Some(t) => t.parse::<usize>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                WebError::BadRequest(format!("{name}: expected a whole number from 1, not {t:?}"))
            }),
        };
        let page = number("page", self.page.as_deref(), 1)?;
        let per_page = number("per_page", self.per_page.as_deref(), DEFAULT_PER_PAGE)?;
        if per_page > MAX_PER_PAGE {
            return Err(WebError::BadRequest(format!(
                "per_page: at most {MAX_PER_PAGE}, not {per_page}"
            )));
        }
        Ok(Listing {
            view,
            filter,
            sort,
            page,
            per_page,
        })
    }
}

/// `unknown field "x"`, with the nearest field's name when there is one.
pub fn unknown_field(what: &str, name: &str, catalog: &Catalog) -> String {
    match catalog.nearest(name) {
        Some(near) => format!("{what}: unknown field {name:?}, did you mean {near:?}?"),
        None => format!("{what}: unknown field {name:?}"),
    }
}

/// One page of a list, how many rows matched in all, and per company (amounts add up only
/// within one home currency) the sums of the money fields asked for over all of them.
pub struct Page<T> {
    pub rows: Vec<T>,
    pub total: usize,
    pub sums: BTreeMap<String, Vec<Option<Money>>>,
}

/// The rows a listing keeps, in its order (positions in the rows given), and per company
/// the sums of the money fields asked for.
#[derive(Clone, Debug, Default)]
pub struct Selected {
    pub order: Vec<usize>,
    pub sums: BTreeMap<String, Vec<Option<Money>>>,
}

impl Listing {
    /// Filters and sorts `rows`, summing the fields in `sum` that hold money.
    pub fn select<T: Row>(&self, rows: &[T], sum: &[usize]) -> Result<Selected, WebError> {
        let mut order = Vec::with_capacity(rows.len());
        for (i, r) in rows.iter().enumerate() {
            let keep = match &self.filter {
                Some(f) => f
                    .matches(r)
                    .map_err(|e| WebError::Invalid(format!("filter: {e}")))?,
                None => true,
            };
            if keep {
                order.push(i);
            }
        }
        if let Some((slot, descending)) = self.sort {
            // Each row's key is read once; the sort then only compares.
            let mut keyed: Vec<(Cell<'_>, usize)> =
                order.iter().map(|&i| (rows[i].cell(slot), i)).collect();
            keyed.sort_by(|(a, _), (b, _)| {
                let order = a.sort_order(b);
                match (descending, a, b) {
                    // Nulls stay last both ways.
                    (true, Cell::Null, _) | (true, _, Cell::Null) => order,
                    (true, ..) => order.reverse(),
                    _ => order,
                }
            });
            order = keyed.into_iter().map(|(_, i)| i).collect();
        }
        let mut sums: BTreeMap<String, Vec<Option<Money>>> = BTreeMap::new();
        let company = self.view.catalog().slot("company_id").unwrap_or(0);
        for row in order.iter().map(|&i| &rows[i]).filter(|_| !sum.is_empty()) {
            let key = match row.cell(company) {
                Cell::Text(t) => t.to_owned(),
                _ => String::new(),
            };
            let sums = sums.entry(key).or_insert_with(|| vec![None; sum.len()]);
            for (total, slot) in sums.iter_mut().zip(sum) {
                if let Cell::Money(m) = row.cell(*slot) {
                    *total = Some(total.unwrap_or_default() + m);
                }
            }
        }
        Ok(Selected { order, sums })
    }

    /// The positions in a list of `total` rows that this listing's page shows.
    pub fn window(&self, total: usize) -> std::ops::Range<usize> {
        let start = (self.page - 1).saturating_mul(self.per_page).min(total);
        let end = start.saturating_add(self.per_page).min(total);
        start..end
    }

    /// Filters, sorts and pages `rows`, summing the fields in `sum` that hold money.
    pub fn apply<T: Row>(&self, rows: Vec<T>, sum: &[usize]) -> Result<Page<T>, WebError> {
        let selected = self.select(&rows, sum)?;
        let window = self.window(selected.order.len());
        let wanted: Vec<usize> = selected.order[window].to_vec();
        let mut slots: Vec<Option<T>> = rows.into_iter().map(Some).collect();
        let rows = wanted.iter().filter_map(|&i| slots[i].take()).collect();
        Ok(Page {
            rows,
            total: selected.order.len(),
            sums: selected.sums,
        })
    }
}

/// A customer on the business date, as lists filter, sort and show it.
pub struct Dated<'a> {
    pub facts: &'a CustomerFacts,
    pub as_of: NaiveDate,
}

impl Row for Dated<'_> {
    fn cell(&self, slot: usize) -> Cell<'_> {
        self.facts.cell(slot, self.as_of)
    }
}

/// The customers on the business date.
pub fn dated(customers: Vec<&CustomerFacts>, as_of: NaiveDate) -> Vec<Dated<'_>> {
    customers
        .into_iter()
        .map(|facts| Dated { facts, as_of })
        .collect()
}

/// A value as JSON: numbers as exact decimal literals, dates as `YYYY-MM-DD`.
pub fn json_value(value: &Value) -> serde_json::Value {
    match value {
        Value::None => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Int(_) | Value::Money(_) | Value::Rate(_) => value
            .to_string()
            .parse::<Number>()
            .map_or(serde_json::Value::Null, serde_json::Value::Number),
        Value::Text(t) => serde_json::Value::String(t.clone()),
        Value::Date(d) => serde_json::Value::String(d.to_string()),
    }
}

/// Every field of a row of `view`, by name (the invoice view without its `customer.` fields).
pub fn json_row(view: View, row: &dyn Row) -> serde_json::Value {
    let catalog = view.catalog();
    let mut map = Map::new();
    for slot in 0..catalog.len() {
        let name = catalog.name(slot);
        if !name.starts_with("customer.") {
            map.insert(name.to_owned(), json_value(&row.cell(slot).to_value()));
        }
    }
    serde_json::Value::Object(map)
}

/// A page of a list as the API answers it: `{"items": [...], "total": N}`.
pub fn json_page<T: Row>(view: View, page: &Page<T>) -> serde_json::Value {
    let items: Vec<serde_json::Value> = page.rows.iter().map(|row| json_row(view, row)).collect();
    serde_json::json!({ "items": items, "total": page.total })
}
