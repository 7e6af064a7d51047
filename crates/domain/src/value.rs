//! Named figures: the values a report prints and a filter compares.

use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::aging::Buckets;
use crate::figures::{Figures, ItemFigures};
use crate::promises::{BROKEN_NAMES, PromiseFigures};
use crate::{Item, Money, Settings};

/// One value of a named column or figure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    None,
    Text(String),
    Bool(bool),
    Int(i64),
    Money(Money),
    /// A rate printed with two decimals.
    Rate(Decimal),
    Date(NaiveDate),
}

impl Value {
    /// JSON and CSV print numbers as exact decimal text.
    pub fn is_number(&self) -> bool {
        matches!(self, Value::Int(_) | Value::Money(_) | Value::Rate(_))
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::None => f.pad(""),
            Value::Text(t) => f.pad(t),
            Value::Bool(b) => f.pad(if *b { "true" } else { "false" }),
            Value::Int(i) if f.width().is_none() => write!(f, "{i}"),
            Value::Int(i) => f.pad(&i.to_string()),
            Value::Money(m) => m.fmt(f),
            Value::Rate(r) => f.pad(&format!("{r:.2}")),
            Value::Date(d) => f.pad(&d.to_string()),
        }
    }
}

/// A figure as a customer's facts keep it, in sixteen bytes: rates (which carry two
/// decimals) as hundredths.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Num {
    #[default]
    None,
    Int(i64),
    Money(Money),
    /// Hundredths.
    Rate(i64),
    /// A rate with more than two decimals, or too large for hundredths.
    Exact(Box<Decimal>),
}

impl Num {
    /// The figure as a filter reads it.
    pub fn cell(&self) -> crate::filter::Cell<'static> {
        use crate::filter::Cell;
        match self {
            Num::None => Cell::Null,
            Num::Int(i) => Cell::Int(*i),
            Num::Money(m) => Cell::Money(*m),
            Num::Rate(h) => Cell::Rate(*h),
            Num::Exact(d) => Cell::Decimal(**d),
        }
    }
}

impl From<Value> for Num {
    /// Figures are numbers; anything else is kept as nothing.
    fn from(v: Value) -> Num {
        match v {
            Value::Int(i) => Num::Int(i),
            Value::Money(m) => Num::Money(m),
            Value::Rate(r) => {
                let hundredths = (r.scale() <= 2)
                    .then(|| r.checked_mul(Decimal::ONE_HUNDRED))
                    .flatten()
                    .and_then(|h| i64::try_from(h).ok());
                hundredths.map_or_else(|| Num::Exact(Box::new(r)), Num::Rate)
            }
            Value::None | Value::Text(_) | Value::Bool(_) | Value::Date(_) => Num::None,
        }
    }
}

impl From<Option<Money>> for Value {
    fn from(m: Option<Money>) -> Value {
        m.map_or(Value::None, Value::Money)
    }
}

impl From<Option<Decimal>> for Value {
    fn from(r: Option<Decimal>) -> Value {
        r.map_or(Value::None, Value::Rate)
    }
}

impl From<Option<i64>> for Value {
    fn from(i: Option<i64>) -> Value {
        i.map_or(Value::None, Value::Int)
    }
}

/// Names of the invoice-date buckets, in order.
pub const AGE_NAMES: [&str; 6] = [
    "age_future",
    "age_current",
    "age_1",
    "age_2",
    "age_3",
    "age_4",
];
/// Names of the due-date buckets, in order.
pub const DUE_NAMES: [&str; 6] = [
    "due_current",
    "due_age_1",
    "due_age_2",
    "due_age_3",
    "due_age_4",
    "due_age_5",
];
/// Names of the cumulative lateness figures, in order.
pub const OVER_NAMES: [&str; 5] = ["over_current", "over_30", "over_60", "over_90", "over_120"];
/// Names of the projected receipts, in order.
pub const PROJ_NAMES: [&str; 5] = [
    "proj_pmts_7",
    "proj_pmts_14",
    "proj_pmts_21",
    "proj_pmts_28",
    "proj_pmts_35",
];
/// Names of ADP by size range.
pub const ADP_NAMES: [&str; 7] = [
    "avg_days_to_pay_1",
    "avg_days_to_pay_2",
    "avg_days_to_pay_3",
    "avg_days_to_pay_4",
    "avg_days_to_pay_5",
    "avg_days_to_pay_6",
    "avg_days_to_pay_7",
];

fn bucket_values(b: &Buckets, out: &mut Vec<(&'static str, Value)>) {
    for (name, amount) in AGE_NAMES.iter().zip(b.age) {
        out.push((name, Value::Money(amount)));
    }
    for (name, amount) in DUE_NAMES.iter().zip(b.due) {
        out.push((name, Value::Money(amount)));
    }
    for (n, name) in OVER_NAMES.iter().enumerate() {
        out.push((name, Value::Money(b.over(n))));
    }
}

/// Every figure of sections 3 and 5 for a customer, packed as its facts keep them.
pub fn packed_figures(f: &Figures, credit_limit: Option<Money>, settings: &Settings) -> Box<[Num]> {
    figure_values(f, credit_limit, settings)
        .into_iter()
        .map(|(_, v)| Num::from(v))
        .collect()
}

/// Every figure of sections 3 and 5 for a customer (or a company, without a credit limit).
pub fn figure_values(
    f: &Figures,
    credit_limit: Option<Money>,
    settings: &Settings,
) -> Vec<(&'static str, Value)> {
    let mut out = Vec::with_capacity(48);
    out.push(("total_age", Value::Money(f.total_age())));
    out.push(("total_past_due", Value::Money(f.buckets.over(0))));
    out.push(("credit_limit", credit_limit.into()));
    out.push((
        "available_credit",
        credit_limit.map(|l| l - f.total_age()).into(),
    ));
    bucket_values(&f.buckets, &mut out);
    out.push(("no_over_due_inv", Value::Int(f.no_over_due_inv as i64)));
    out.push(("oldest_tran_date_days", f.oldest_tran_date_days.into()));
    out.push(("avg_days_late", f.late.value().into()));
    out.push(("avg_days_late_weighted", f.late_weighted.value().into()));
    out.push(("avg_days_late_diff", f.avg_days_late_diff().into()));
    out.push(("avg_days_count_total", Value::Int(f.late.count)));
    out.push(("avg_days_to_pay_total", f.to_pay.value().into()));
    for (name, mean) in ADP_NAMES.iter().zip(f.to_pay_by_size) {
        out.push((name, mean.value().into()));
    }
    out.push((
        "coc_balance",
        Value::Money(f.coc_balance(settings.credit_apr)),
    ));
    out.push(("net_credit_sales", Value::Money(f.net_sales)));
    out.push(("dso", f.dso().into()));
    for (name, amount) in PROJ_NAMES.iter().zip(f.proj_pmts) {
        out.push((name, Value::Money(amount)));
    }
    out
}

/// A customer's promise figures (section 5 of the contract).
pub fn promise_values(p: &PromiseFigures) -> Vec<(&'static str, Value)> {
    let mut out = vec![
        ("has_promise", Value::Bool(p.has_promise)),
        ("expected_pay_days", p.expected_pay_days.into()),
        ("actual_pay_days", p.actual_pay_days.into()),
    ];
    for (name, n) in BROKEN_NAMES.iter().zip(p.broken) {
        out.push((name, Value::Int(n)));
    }
    out.push(("promise_kept_rate", p.kept_rate().into()));
    out
}

/// The names [`promise_values`] gives, in order.
pub fn promise_names() -> Vec<&'static str> {
    promise_values(&PromiseFigures::default())
        .into_iter()
        .map(|(n, _)| n)
        .collect()
}

/// The figures of one open item.
pub fn item_values(item: &Item, f: &ItemFigures) -> Vec<(&'static str, Value)> {
    let mut b = Buckets::default();
    b.add(f.age, f.due, f.aged_hc);
    let mut out = vec![
        ("tran_date_days", Value::Int(f.tran_date_days)),
        ("due_date_days", Value::Int(f.due_date_days)),
        ("percent_paid", item.percent_paid().into()),
        ("aged_hc", Value::Money(f.aged_hc)),
        ("excluded_hc", Value::Money(item.excluded_hc)),
    ];
    bucket_values(&b, &mut out);
    let (days, date) = f
        .projection
        .map_or((None, None), |(d, date)| (Some(d), Some(date)));
    out.push(("proj_pmt_days", days.into()));
    out.push(("proj_pmt_date", date.map_or(Value::None, Value::Date)));
    out
}

/// The names [`figure_values`] gives, in order.
pub fn figure_names() -> Vec<&'static str> {
    figure_values(&Figures::default(), None, &Settings::default())
        .into_iter()
        .map(|(n, _)| n)
        .collect()
}

/// The names [`item_values`] gives, in order.
pub fn item_names() -> Vec<&'static str> {
    let day = NaiveDate::MIN;
    let item = Item {
        tran_type: crate::TranType::Invoice,
        tran_date: day,
        due_date: Some(day),
        amount: Money::ZERO,
        balance: Money::ZERO,
        amount_hc: Money::ZERO,
        balance_hc: Money::ZERO,
        closing_date: None,
        excluded_hc: Money::ZERO,
        plan: None,
    };
    let ctx = crate::Context {
        as_of: day,
        settings: Settings::default(),
    };
    let figures = ItemFigures::of(&item, &crate::History::default(), &ctx);
    item_values(&item, &figures)
        .into_iter()
        .map(|(n, _)| n)
        .collect()
}
