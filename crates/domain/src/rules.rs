//! Credit class rules over the book: what a rule sees of a customer and of each open item,
//! which matching rules apply, and the dates and words of the actions they create.

use std::fmt::Write as _;
use std::sync::OnceLock;

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;

use crate::aging::days_between;
use crate::disputes::OpenDispute;
use crate::filter::{
    CUSTOMER_TEXTS, CUSTOMER_WORK, Cell, Comparison, Dynamic, INVOICE_PAYMENTS, INVOICE_TEXTS, Row,
    View,
};
use crate::promises::PromiseFigures;
use crate::value::{Num, figure_names, item_names};
use crate::{InvoiceStats, Item, Money};

/// A customer as a customer-view rule sees it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CustomerFacts {
    pub company_id: String,
    pub customer_id: String,
    pub name: String,
    /// `parent_id` … `bureau_score_3`, as [`CUSTOMER_TEXTS`] lists them.
    pub texts: [Option<String>; CUSTOMER_TEXTS.len()],
    pub credit_limit: Option<Money>,
    pub credit_hold: bool,
    pub date_established: Option<NaiveDate>,
    pub days_to_respond: Option<i64>,
    /// Every customer figure, as [`figure_names`] lists them.
    pub figures: Box<[Num]>,
    pub work: Work,
}

impl CustomerFacts {
    pub fn text(&self, column: &str) -> Option<&str> {
        CUSTOMER_TEXTS
            .iter()
            .position(|c| *c == column)
            .and_then(|i| self.texts[i].as_deref())
    }
}

/// What a customer's issues and activities say, as of the business date.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Work {
    pub open_issue_cnt: i64,
    pub oldest_issue_date: Option<NaiveDate>,
    /// The latest completed activity: its date and action code.
    pub last_activity_date: Option<NaiveDate>,
    pub last_activity_code: Option<String>,
    /// Start of the latest open activity.
    pub latest_open_activity: Option<NaiveDate>,
    /// Respond-by date of the oldest open activity.
    pub oldest_open_due: Option<NaiveDate>,
    /// Tags on the customer's open items.
    pub tag_count: i64,
    pub in_dispute: bool,
    pub has_promise: bool,
    /// Open disputes, disputes ever opened, and the highest severity open (1 is highest).
    pub dispute_cnt: i64,
    pub dispute_cnt_total: i64,
    pub dispute_severity: Option<i64>,
    /// Expected payments and promises: open, kept and broken.
    pub promises: PromiseFigures,
    /// The credit score range its `credit_score` falls in.
    pub score_range: Option<String>,
}

/// One open item as an invoice-view rule sees it, with its customer.
pub struct ItemFacts<'a> {
    pub tran_id: &'a str,
    pub currency: &'a str,
    pub item: &'a Item,
    /// `payment_terms` … `udf5`, as [`INVOICE_TEXTS`] lists them, when a rule needs them.
    pub texts: Option<&'a [Option<String>; 10]>,
    /// The item's figures, as [`item_names`] lists them.
    pub figures: &'a [Num],
    pub tag_count: i64,
    /// The amount in dispute (invoice currency) and its most severe dispute.
    pub dispute: Option<(Money, &'a OpenDispute)>,
    pub has_promise: bool,
    /// Its payments and tagged communications, when they were read.
    pub stats: Option<&'a InvoiceStats>,
    pub customer: &'a CustomerFacts,
}

/// Where a slot of a view's catalog takes its value from.
#[derive(Clone, Copy, Debug)]
enum Source {
    CompanyId,
    CustomerId,
    Name,
    Text(usize),
    CreditLimit,
    CreditHold,
    DateEstablished,
    EstablishedDays,
    DaysToRespond,
    Figure(usize),
    Work(WorkField),
    TranId,
    TranType,
    TranDate,
    DueDate,
    Amount,
    Balance,
    Currency,
    AmountHc,
    BalanceHc,
    ItemText(usize),
    ClosingDate,
    ItemFigure(usize),
    TagCount,
    InDispute,
    HasPromise,
    DisputeAmount,
    ReasonCode,
    Severity,
    PaySched,
    Instalment,
    OrigDueDate,
    OrigAmount,
    OrigAmountHc,
    LastPmtDate,
    PmtCount,
    /// `days_due_to_1st_com`, `days_due_to_last_com`, `days_1st_com_to_pay`,
    /// `days_last_com_to_pay`.
    ComDays(usize),
    Customer(usize),
    /// Not a field of the view (a test checks that every catalog name has a source).
    Missing,
}

fn customer_source(name: &str) -> Option<Source> {
    Some(match name {
        "company_id" => Source::CompanyId,
        "customer_id" => Source::CustomerId,
        "name" => Source::Name,
        "credit_limit" => Source::CreditLimit,
        "credit_hold" => Source::CreditHold,
        "date_established" => Source::DateEstablished,
        "date_established_days" => Source::EstablishedDays,
        "days_to_respond" => Source::DaysToRespond,
        _ => {
            if let Some(i) = CUSTOMER_TEXTS.iter().position(|c| *c == name) {
                Source::Text(i)
            } else if CUSTOMER_WORK.iter().any(|(c, _)| *c == name) {
                Source::Work(WorkField::of(name)?)
            } else {
                Source::Figure(figure_names().iter().position(|c| *c == name)?)
            }
        }
    })
}

fn invoice_source(name: &str) -> Option<Source> {
    if let Some(field) = name.strip_prefix("customer.") {
        let slot = View::Customer.catalog().slot(field)?;
        return Some(Source::Customer(slot));
    }
    Some(match name {
        "company_id" => Source::CompanyId,
        "customer_id" => Source::CustomerId,
        "tran_id" => Source::TranId,
        "tran_type" => Source::TranType,
        "tran_date" => Source::TranDate,
        "due_date" => Source::DueDate,
        "amount" => Source::Amount,
        "balance" => Source::Balance,
        "currency" => Source::Currency,
        "amount_hc" => Source::AmountHc,
        "balance_hc" => Source::BalanceHc,
        "closing_date" => Source::ClosingDate,
        "tag_count" => Source::TagCount,
        "in_dispute" => Source::InDispute,
        "has_promise" => Source::HasPromise,
        "dispute_amount" => Source::DisputeAmount,
        "reason_code" => Source::ReasonCode,
        "severity" => Source::Severity,
        "pay_sched" => Source::PaySched,
        "instalment" => Source::Instalment,
        "orig_due_date" => Source::OrigDueDate,
        "orig_tran_amt" => Source::OrigAmount,
        "orig_tran_amt_hc" => Source::OrigAmountHc,
        "last_pmt_date" => Source::LastPmtDate,
        "pmt_count" => Source::PmtCount,
        "days_due_to_1st_com" => Source::ComDays(0),
        "days_due_to_last_com" => Source::ComDays(1),
        "days_1st_com_to_pay" => Source::ComDays(2),
        "days_last_com_to_pay" => Source::ComDays(3),
        _ => match INVOICE_TEXTS.iter().position(|c| *c == name) {
            Some(i) => Source::ItemText(i),
            None => Source::ItemFigure(item_names().iter().position(|c| *c == name)?),
        },
    })
}

/// The source of every slot of a view, worked out once.
fn sources(view: View) -> &'static [Source] {
    static CUSTOMER: OnceLock<Vec<Source>> = OnceLock::new();
    static INVOICE: OnceLock<Vec<Source>> = OnceLock::new();
    let (cell, find): (_, fn(&str) -> Option<Source>) = match view {
        View::Customer => (&CUSTOMER, customer_source),
        View::Invoice => (&INVOICE, invoice_source),
        View::Action => return &[],
    };
    cell.get_or_init(|| {
        view.catalog()
            .names()
            .map(|n| find(n).unwrap_or(Source::Missing))
            .collect()
    })
}

/// Where one slot of a view takes its value from; a slot past the catalog is no field (null).
fn source_of(view: View, slot: usize) -> Source {
    sources(view).get(slot).copied().unwrap_or(Source::Missing)
}

fn text_cell(t: &Option<String>) -> Cell<'_> {
    t.as_deref().map_or(Cell::Null, Cell::Text)
}

fn date_cell(d: Option<NaiveDate>) -> Cell<'static> {
    d.map_or(Cell::Null, Cell::Date)
}

impl CustomerFacts {
    fn source_cell(&self, source: Source, as_of: NaiveDate) -> Cell<'_> {
        match source {
            Source::CompanyId => Cell::Text(&self.company_id),
            Source::CustomerId => Cell::Text(&self.customer_id),
            Source::Name => Cell::Text(&self.name),
            Source::Text(i) => text_cell(&self.texts[i]),
            Source::CreditLimit => self.credit_limit.map_or(Cell::Null, Cell::Money),
            Source::CreditHold => Cell::Bool(self.credit_hold),
            Source::DateEstablished => date_cell(self.date_established),
            Source::EstablishedDays => self
                .date_established
                .map_or(Cell::Null, |d| Cell::Int(days_between(d, as_of))),
            Source::DaysToRespond => self.days_to_respond.map_or(Cell::Null, Cell::Int),
            Source::Figure(i) => self.figures.get(i).map_or(Cell::Null, Num::cell),
            Source::Work(i) => self.work_cell(i, as_of),
            _ => Cell::Null,
        }
    }

    fn work_cell(&self, field: WorkField, as_of: NaiveDate) -> Cell<'_> {
        let w = &self.work;
        let since =
            |d: Option<NaiveDate>| d.map_or(Cell::Null, |d| Cell::Int(days_between(d, as_of)));
        match field {
            WorkField::OpenIssueCnt => Cell::Int(w.open_issue_cnt),
            WorkField::OldestIssueDate => date_cell(w.oldest_issue_date),
            WorkField::LastActivityDate => date_cell(w.last_activity_date),
            WorkField::LastActivityDays | WorkField::DaysSinceClosedActivity => {
                since(w.last_activity_date)
            }
            WorkField::LastActivityCode => text_cell(&w.last_activity_code),
            WorkField::DaysSinceOpenActivity => since(w.latest_open_activity),
            WorkField::OldestDueDateDays => since(w.oldest_open_due),
            WorkField::TagCount => Cell::Int(w.tag_count),
            WorkField::InDispute => Cell::Bool(w.in_dispute),
            WorkField::HasPromise => Cell::Bool(w.has_promise),
            WorkField::DisputeCnt => Cell::Int(w.dispute_cnt),
            WorkField::DisputeCntTotal => Cell::Int(w.dispute_cnt_total),
            WorkField::DisputeSeverity => w.dispute_severity.map_or(Cell::Null, Cell::Int),
            WorkField::ExpectedPayDays => {
                w.promises.expected_pay_days.map_or(Cell::Null, Cell::Int)
            }
            WorkField::ActualPayDays => w.promises.actual_pay_days.map_or(Cell::Null, Cell::Int),
            WorkField::Broken(n) => Cell::Int(w.promises.broken[n]),
            WorkField::PromiseKeptRate => w.promises.kept_rate().map_or(Cell::Null, Cell::Decimal),
            WorkField::ScoreRange => text_cell(&w.score_range),
        }
    }
}

/// A work figure of the customer view, resolved from its name once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WorkField {
    OpenIssueCnt,
    OldestIssueDate,
    LastActivityDate,
    LastActivityDays,
    LastActivityCode,
    DaysSinceOpenActivity,
    DaysSinceClosedActivity,
    OldestDueDateDays,
    TagCount,
    InDispute,
    HasPromise,
    DisputeCnt,
    DisputeCntTotal,
    DisputeSeverity,
    ExpectedPayDays,
    ActualPayDays,
    /// `broken_promise_90d`, `_6m`, `_1y`, `_2y`.
    Broken(usize),
    PromiseKeptRate,
    ScoreRange,
}

impl WorkField {
    fn of(name: &str) -> Option<WorkField> {
        Some(match name {
            "open_issue_cnt" => WorkField::OpenIssueCnt,
            "oldest_issue_date" => WorkField::OldestIssueDate,
            "last_activity_date" => WorkField::LastActivityDate,
            "last_activity_days" => WorkField::LastActivityDays,
            "last_activity_code" => WorkField::LastActivityCode,
            "days_since_open_activity" => WorkField::DaysSinceOpenActivity,
            "days_since_closed_activity" => WorkField::DaysSinceClosedActivity,
            "oldest_due_date_days" => WorkField::OldestDueDateDays,
            "tag_count" => WorkField::TagCount,
            "in_dispute" => WorkField::InDispute,
            "has_promise" => WorkField::HasPromise,
            "dispute_cnt" => WorkField::DisputeCnt,
            "dispute_cnt_total" => WorkField::DisputeCntTotal,
            "dispute_severity" => WorkField::DisputeSeverity,
            "expected_pay_days" => WorkField::ExpectedPayDays,
            "actual_pay_days" => WorkField::ActualPayDays,
            "broken_promise_90d" => WorkField::Broken(0),
            "broken_promise_6m" => WorkField::Broken(1),
            "broken_promise_1y" => WorkField::Broken(2),
            "broken_promise_2y" => WorkField::Broken(3),
            "promise_kept_rate" => WorkField::PromiseKeptRate,
            "score_range" => WorkField::ScoreRange,
            _ => return None,
        })
    }
}

/// A customer on a business date: the row a customer-view rule reads.
pub struct CustomerRow<'a> {
    pub facts: &'a CustomerFacts,
    pub as_of: NaiveDate,
}

impl Row for CustomerRow<'_> {
    fn cell(&self, slot: usize) -> Cell<'_> {
        self.facts.cell(slot, self.as_of)
    }

    /// Where the slot's values are is worked out once for the column.
    fn column<'r>(rows: &'r [Self], slot: usize, which: &[u32], out: &mut Vec<Cell<'r>>) {
        let source = source_of(View::Customer, slot);
        let at = |r: &u32| &rows[*r as usize];
        match source {
            Source::Figure(n) => out.extend(
                which
                    .iter()
                    .map(|r| at(r).facts.figures.get(n).map_or(Cell::Null, Num::cell)),
            ),
            _ => out.extend(which.iter().map(|r| {
                let row = at(r);
                row.facts.source_cell(source, row.as_of)
            })),
        }
    }
}

impl CustomerFacts {
    /// The value in one slot of the customer view on `as_of`.
    pub fn cell(&self, slot: usize, as_of: NaiveDate) -> Cell<'_> {
        self.source_cell(source_of(View::Customer, slot), as_of)
    }
}

/// An open item on a business date: the row an invoice-view rule reads.
pub struct ItemRow<'a> {
    pub facts: &'a ItemFacts<'a>,
    pub as_of: NaiveDate,
}

impl Row for ItemRow<'_> {
    fn cell(&self, slot: usize) -> Cell<'_> {
        self.source_cell(source_of(View::Invoice, slot))
    }

    /// Where the slot's values are is worked out once for the column.
    fn column<'r>(rows: &'r [Self], slot: usize, which: &[u32], out: &mut Vec<Cell<'r>>) {
        let source = source_of(View::Invoice, slot);
        let at = |r: &u32| &rows[*r as usize];
        match source {
            Source::ItemFigure(n) => out.extend(
                which
                    .iter()
                    .map(|r| at(r).facts.figures.get(n).map_or(Cell::Null, Num::cell)),
            ),
            Source::TranType => {
                out.extend(
                    which
                        .iter()
                        .map(|r| Cell::Text(at(r).facts.item.tran_type.code())),
                );
            }
            Source::Balance => {
                out.extend(which.iter().map(|r| Cell::Money(at(r).facts.item.balance)));
            }
            Source::BalanceHc => {
                out.extend(
                    which
                        .iter()
                        .map(|r| Cell::Money(at(r).facts.item.balance_hc)),
                );
            }
            _ => out.extend(which.iter().map(|r| at(r).source_cell(source))),
        }
    }
}

impl ItemRow<'_> {
    /// The value `source` gives for this item.
    fn source_cell(&self, source: Source) -> Cell<'_> {
        let f = self.facts;
        let i = f.item;
        match source {
            Source::CompanyId => Cell::Text(&f.customer.company_id),
            Source::CustomerId => Cell::Text(&f.customer.customer_id),
            Source::TranId => Cell::Text(f.tran_id),
            Source::TranType => Cell::Text(i.tran_type.code()),
            Source::TranDate => Cell::Date(i.tran_date),
            Source::DueDate => date_cell(i.due_date),
            Source::Amount => Cell::Money(i.amount),
            Source::Balance => Cell::Money(i.balance),
            Source::Currency => Cell::Text(f.currency),
            Source::AmountHc => Cell::Money(i.amount_hc),
            Source::BalanceHc => Cell::Money(i.balance_hc),
            Source::ItemText(n) => f.texts.map_or(Cell::Null, |t| text_cell(&t[n])),
            Source::ClosingDate => date_cell(i.closing_date),
            Source::ItemFigure(n) => f.figures.get(n).map_or(Cell::Null, Num::cell),
            Source::TagCount => Cell::Int(f.tag_count),
            Source::InDispute => Cell::Bool(f.dispute.is_some()),
            Source::HasPromise => Cell::Bool(f.has_promise),
            Source::DisputeAmount => Cell::Money(f.dispute.map_or(Money::ZERO, |(a, _)| a)),
            Source::ReasonCode => f
                .dispute
                .map_or(Cell::Null, |(_, d)| Cell::Text(&d.reason_code)),
            Source::Severity => f.dispute.map_or(Cell::Null, |(_, d)| Cell::Int(d.severity)),
            Source::PaySched => Cell::Bool(i.plan.is_some()),
            Source::Instalment => i
                .plan
                .as_deref()
                .map_or(Cell::Null, |p| Cell::Int(i64::from(p.no))),
            Source::OrigDueDate => i
                .plan
                .as_deref()
                .map_or(Cell::Null, |p| date_cell(p.orig_due_date)),
            Source::OrigAmount => i
                .plan
                .as_deref()
                .map_or(Cell::Null, |p| Cell::Money(p.orig_amount)),
            Source::OrigAmountHc => i
                .plan
                .as_deref()
                .map_or(Cell::Null, |p| Cell::Money(p.orig_amount_hc)),
            Source::LastPmtDate => f.stats.map_or(Cell::Null, |s| date_cell(s.last_pmt_date)),
            Source::PmtCount => f.stats.map_or(Cell::Null, |s| Cell::Int(s.pmt_count)),
            Source::ComDays(n) => f
                .stats
                .and_then(|s| s.days(i, self.as_of)[n])
                .map_or(Cell::Null, Cell::Int),
            Source::Customer(s) => f
                .customer
                .source_cell(source_of(View::Customer, s), self.as_of),
            _ => Cell::Null,
        }
    }
}

/// Whether an invoice-view rule needs what item pages do not hold: the invoice text columns,
/// or the figures of its payments and tagged communications.
pub fn needs_invoice_details(filter: &crate::filter::Filter) -> bool {
    filter.view() == View::Invoice
        && filter.expr().fields().into_iter().any(|path| match path {
            [name] => {
                INVOICE_TEXTS.contains(&name.as_str())
                    || INVOICE_PAYMENTS.iter().any(|(n, _)| n == name)
            }
            _ => false,
        })
}

/// Marks in `read` the customer text columns (of [`CUSTOMER_TEXTS`]) that `filter` reads, in
/// either view: a run reads only those of a million customers.
pub fn customer_texts_read(filter: &crate::filter::Filter, read: &mut [bool]) {
    for path in filter.expr().fields() {
        let name = match (filter.view(), path) {
            (View::Customer, [name]) => name,
            (_, [customer, name]) if customer == "customer" => name,
            _ => continue,
        };
        let text = CUSTOMER_TEXTS.iter().position(|c| c == name);
        if let Some(slot) = text.and_then(|i| read.get_mut(i)) {
            *slot = true;
        }
    }
}

/// A rule as the ladder sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rung {
    pub seq_no: i64,
    pub standalone: bool,
}

/// Of the rules that match a customer, those that apply: every standalone one, and of the
/// others (the ladder) only the one with the highest sequence number. Gives positions in
/// `matched`.
pub fn applying(matched: &[Rung]) -> Vec<usize> {
    let top = matched
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.standalone)
        .max_by_key(|(_, r)| r.seq_no)
        .map(|(i, _)| i);
    matched
        .iter()
        .enumerate()
        .filter(|(i, r)| r.standalone || Some(*i) == top)
        .map(|(i, _)| i)
        .collect()
}

/// Days to respond: the rule's, else the customer's, else the credit class's, else the site's.
pub fn days_to_respond(
    rule: Option<i64>,
    customer: Option<i64>,
    class: Option<i64>,
    site: u32,
) -> u32 {
    rule.or(customer)
        .or(class)
        .and_then(|d| u32::try_from(d).ok())
        .unwrap_or(site)
}

/// When a customer-contact action starts: on the business date, unless the customer was
/// contacted less than `frequency` days before it; then that contact's date plus `frequency`.
pub fn contact_start(
    as_of: NaiveDate,
    last_contact: Option<NaiveDate>,
    frequency: Option<i64>,
) -> NaiveDate {
    let (Some(last), Some(n)) = (last_contact, frequency.filter(|n| *n > 0)) else {
        return as_of;
    };
    let earliest = u64::try_from(n)
        .ok()
        .and_then(|n| last.checked_add_days(Days::new(n)))
        .unwrap_or(as_of);
    earliest.max(as_of)
}

/// A value as a reason prints it: amounts with thousands separators and two decimals.
pub fn show(value: &Dynamic) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

/// Writes `value` as [`show`] prints it.
fn write_value(out: &mut String, value: &Dynamic) {
    // Writing to a `String` cannot fail.
    let _ = match value {
        Dynamic::Null => write!(out, "null"),
        Dynamic::Bool(b) => write!(out, "{b}"),
        Dynamic::Int(i) => write!(out, "{i}"),
        Dynamic::Decimal(d) => {
            write_grouped(out, *d);
            Ok(())
        }
        Dynamic::Text(t) => write!(out, "{t:?}"),
        Dynamic::Date(d) => write!(out, "{d}"),
    };
}

/// Writes an amount with thousands separators and at least two decimals.
fn write_grouped(out: &mut String, d: Decimal) {
    let scale = d.normalize().scale().max(2);
    if d.is_sign_negative() && !d.is_zero() {
        out.push('-');
    }
    // The digits go in first; the separators are then put between the whole part's groups.
    let start = out.len();
    let _ = write!(out, "{:.*}", scale as usize, d.abs());
    let whole = out[start..].find('.').unwrap_or(out.len() - start);
    let mut at = start + whole;
    while at > start + 3 {
        at -= 3;
        out.insert(at, ',');
    }
}

/// Whether one side of a comparison is a literal, shown as written without its value.
fn is_literal(text: &str) -> bool {
    text.starts_with('"')
        || matches!(text, "true" | "false" | "null")
        || (text.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.')
            && Decimal::from_str_exact(text).is_ok())
}

/// Writes one comparison as [`describe`] gives it.
fn write_comparison(out: &mut String, c: &Comparison) {
    let side = |out: &mut String, text: &str, value: &Dynamic| {
        out.push_str(text);
        if !is_literal(text) {
            out.push(' ');
            write_value(out, value);
        }
    };
    side(out, &c.left, &c.left_value);
    out.push(' ');
    out.push_str(c.op.symbol());
    out.push(' ');
    side(out, &c.right, &c.right_value);
}

/// One comparison with the value it read: `total_past_due 1,250.00 > 500`.
pub fn describe(c: &Comparison) -> String {
    let mut out = String::new();
    write_comparison(&mut out, c);
    out
}

/// The comparisons that held, as `total_past_due 1,250.00 > 500; over_60 310.00 > 0`.
pub fn reason(seen: &[Comparison]) -> String {
    let mut out = String::new();
    for c in seen.iter().filter(|c| c.held) {
        if !out.is_empty() {
            out.push_str("; ");
        }
        write_comparison(&mut out, c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::Filter;

    fn day(text: &str) -> NaiveDate {
        crate::parse_date(text).unwrap()
    }

    #[test]
    fn every_field_of_both_views_has_a_source() {
        for view in [View::Customer, View::Invoice] {
            let names: Vec<&str> = view.catalog().names().collect();
            let found = match view {
                View::Customer => names.iter().map(|n| customer_source(n)).collect::<Vec<_>>(),
                View::Invoice => names.iter().map(|n| invoice_source(n)).collect(),
                View::Action => Vec::new(),
            };
            for (name, source) in names.iter().zip(found) {
                assert!(source.is_some(), "{name} has no source");
            }
        }
    }

    /// A column read at once gives, slot by slot and row by row, what each row's cell gives,
    /// in both views, over figures, texts, work, dates and the item's own fields.
    #[test]
    fn columns_give_what_cells_give() {
        let as_of = day("2015-03-15");
        let customer = |n: i64| CustomerFacts {
            company_id: "US01".into(),
            customer_id: format!("C{n}"),
            name: format!("Customer {n}"),
            texts: std::array::from_fn(|i| (i as i64 % 3 != n % 3).then(|| format!("t{i}-{n}"))),
            credit_limit: (n % 2 == 0).then(|| Money::units(1000 * n)),
            credit_hold: n % 3 == 0,
            date_established: (n % 4 != 0).then(|| day("2014-01-01") + Days::new(n as u64 * 40)),
            days_to_respond: Some(n),
            figures: (0..figure_names().len() as i64)
                .map(|f| match (f + n) % 4 {
                    0 => Num::None,
                    1 => Num::Int(f * n),
                    2 => Num::Money(Money::units(f - n)),
                    _ => Num::Rate(f * 7 - n),
                })
                .collect(),
            work: Work {
                open_issue_cnt: n,
                last_activity_date: (n % 2 == 1).then(|| day("2015-02-01")),
                last_activity_code: Some(format!("CALL{n}")),
                in_dispute: n % 2 == 0,
                ..Work::default()
            },
        };
        let customers: Vec<CustomerFacts> = (0..5).map(customer).collect();
        let items: Vec<Item> = (0..6)
            .map(|n: i64| Item {
                tran_type: if n % 2 == 0 {
                    crate::TranType::Invoice
                } else {
                    crate::TranType::CreditMemo
                },
                tran_date: day("2015-01-01") + Days::new(n as u64),
                due_date: (n % 3 != 0).then(|| day("2015-02-01")),
                amount: Money::units(100 + n),
                balance: Money::units(50 - n),
                amount_hc: Money::units(200 + n),
                balance_hc: Money::units(70 - n),
                closing_date: None,
                excluded_hc: Money::ZERO,
                plan: None,
            })
            .collect();
        let figures: Vec<Vec<Num>> = (0..6)
            .map(|n: i64| {
                (0..item_names().len() as i64)
                    .map(|f| {
                        if (f + n) % 3 == 0 {
                            Num::None
                        } else {
                            Num::Int(f - n)
                        }
                    })
                    .collect()
            })
            .collect();
        let item_facts: Vec<ItemFacts<'_>> = items
            .iter()
            .zip(&figures)
            .enumerate()
            .map(|(n, (item, figures))| ItemFacts {
                tran_id: "IN1",
                currency: "USD",
                item,
                texts: None,
                figures,
                tag_count: n as i64,
                dispute: None,
                has_promise: n % 2 == 0,
                stats: None,
                customer: &customers[n % customers.len()],
            })
            .collect();
        let rows: Vec<CustomerRow<'_>> = customers
            .iter()
            .map(|facts| CustomerRow { facts, as_of })
            .collect();
        let item_rows: Vec<ItemRow<'_>> = item_facts
            .iter()
            .map(|facts| ItemRow { facts, as_of })
            .collect();
        fn check<R: Row>(rows: &[R], view: View) {
            // Every row, and a pick out of order with a row twice.
            let all: Vec<u32> = (0..rows.len() as u32).collect();
            for which in [all, vec![3, 0, 3, 1]] {
                for slot in 0..view.catalog().len() {
                    let mut column = Vec::new();
                    R::column(rows, slot, &which, &mut column);
                    let cells: Vec<Cell<'_>> =
                        which.iter().map(|&r| rows[r as usize].cell(slot)).collect();
                    assert_eq!(column, cells, "{:?}", view.catalog().names().nth(slot));
                }
            }
        }
        check(&rows, View::Customer);
        check(&item_rows, View::Invoice);
    }

    /// A rate in hundredths (`dso` 400.00) compares with a constant as exactly as a decimal
    /// would, at the boundary and past the range of ten-thousandths.
    #[test]
    fn rates_compare_exactly_without_a_decimal() {
        let dso = figure_names().iter().position(|f| *f == "dso").unwrap();
        let with = |rate: i64| CustomerFacts {
            figures: {
                let mut v = vec![Num::None; figure_names().len()];
                v[dso] = Num::Rate(rate);
                v.into()
            },
            ..CustomerFacts::default()
        };
        let as_of = day("2015-03-15");
        for (filter, rates) in [
            (
                "dso > 400",
                [(40000, false), (40001, true), (i64::MAX, true)],
            ),
            (
                "dso >= 400.00",
                [(40000, true), (39999, false), (i64::MIN, false)],
            ),
            (
                "dso == 400.0",
                [(40000, true), (40001, false), (i64::MAX, false)],
            ),
            (
                "dso < 400.005",
                [(40000, true), (40001, false), (i64::MIN, true)],
            ),
        ] {
            let compiled = Filter::new(filter, View::Customer).unwrap();
            for (rate, expected) in rates {
                let facts = with(rate);
                let row = CustomerRow {
                    facts: &facts,
                    as_of,
                };
                assert_eq!(
                    row.cell(View::Customer.catalog().slot("dso").unwrap()),
                    Cell::Rate(rate)
                );
                let direct = crate::filter::evaluate(
                    compiled.expr(),
                    View::Customer.catalog(),
                    &row,
                    &mut None,
                )
                .unwrap();
                assert_eq!(compiled.matches(&row), Ok(expected), "{filter} at {rate}");
                assert_eq!(
                    direct == crate::filter::Dynamic::Bool(true),
                    expected,
                    "{filter} at {rate}"
                );
            }
        }
    }

    #[test]
    fn the_highest_matching_rung_applies_with_every_standalone_rule() {
        let rung = |seq_no, standalone| Rung { seq_no, standalone };
        let matched = [
            rung(10, false),
            rung(5, true),
            rung(30, false),
            rung(20, false),
            rung(99, true),
        ];
        assert_eq!(applying(&matched), [1, 2, 4]);
        assert_eq!(applying(&[rung(10, true)]), [0]);
        assert!(applying(&[]).is_empty());
    }

    #[test]
    fn days_to_respond_take_the_rule_then_customer_then_class_then_site() {
        assert_eq!(days_to_respond(Some(1), Some(2), Some(3), 4), 1);
        assert_eq!(days_to_respond(None, Some(2), Some(3), 4), 2);
        assert_eq!(days_to_respond(None, None, Some(3), 4), 3);
        assert_eq!(days_to_respond(None, None, None, 4), 4);
    }

    #[test]
    fn contact_frequency_moves_the_start() {
        let today = day("2015-03-10");
        assert_eq!(
            contact_start(today, Some(day("2015-03-09")), Some(3)),
            day("2015-03-12")
        );
        assert_eq!(
            contact_start(today, Some(day("2015-03-07")), Some(3)),
            today
        );
        assert_eq!(
            contact_start(today, Some(day("2015-03-01")), Some(3)),
            today
        );
        assert_eq!(contact_start(today, None, Some(3)), today);
        assert_eq!(contact_start(today, Some(day("2015-03-09")), None), today);
    }

    #[test]
    fn reasons_name_the_figures_that_matched() {
        let facts = CustomerFacts {
            figures: {
                let mut v = vec![Num::None; figure_names().len()];
                let at = |n: &str| figure_names().iter().position(|f| *f == n).unwrap();
                v[at("total_past_due")] = Num::Money(Money::units(1250));
                v[at("over_60")] = Num::Money(Money::units(310));
                v.into()
            },
            ..CustomerFacts::default()
        };
        let row = CustomerRow {
            facts: &facts,
            as_of: day("2015-03-15"),
        };
        let filter = Filter::new("total_past_due > 500 && over_60 > 0", View::Customer).unwrap();
        let (matched, seen) = filter.explain(&row).unwrap();
        assert!(matched);
        assert_eq!(
            reason(&seen),
            "total_past_due 1,250.00 > 500; over_60 310.00 > 0"
        );
        assert!(filter.matches(&row).unwrap());
    }

    #[test]
    fn only_invoice_rules_naming_texts_or_payment_figures_need_invoice_details() {
        let needs =
            |text: &str, view: View| needs_invoice_details(&Filter::new(text, view).unwrap());
        assert!(needs(
            r#"balance > 0 && customer_po == "X1""#,
            View::Invoice
        ));
        assert!(needs("pmt_count >= 1", View::Invoice));
        assert!(!needs(
            r#"balance > 0 && customer.status == "HOLD""#,
            View::Invoice
        ));
        assert!(!needs(r#"status == "HOLD""#, View::Customer));
    }

    #[test]
    fn a_filter_names_the_customer_texts_it_reads_in_either_view() {
        let read = |text: &str, view: View| {
            let mut read = [false; CUSTOMER_TEXTS.len()];
            customer_texts_read(&Filter::new(text, view).unwrap(), &mut read);
            CUSTOMER_TEXTS
                .iter()
                .zip(read)
                .filter(|(_, r)| *r)
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            read(
                r#"customer_class in ["RETAIL", "DEALER"] && total_past_due > 0 || !(status == "X")"#,
                View::Customer
            ),
            ["customer_class", "status"]
        );
        assert_eq!(
            read(
                r#"balance > 0 && customer.payment_terms == "N30" && currency == "EUR""#,
                View::Invoice
            ),
            ["payment_terms"]
        );
        assert!(read("total_past_due > 500 && over_60 > 0", View::Customer).is_empty());
    }

    #[test]
    fn amounts_print_grouped() {
        assert_eq!(
            show(&Dynamic::Decimal(Decimal::new(125_000_000, 4))),
            "12,500.00"
        );
        assert_eq!(
            show(&Dynamic::Decimal(Decimal::new(-12_345_678_912, 4))),
            "-1,234,567.8912"
        );
        assert_eq!(show(&Dynamic::Decimal(Decimal::new(5, 1))), "0.50");
        assert_eq!(show(&Dynamic::Decimal(Decimal::ZERO)), "0.00");
    }
}
