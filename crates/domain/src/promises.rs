//! Expected payments and promises to pay (section 5 of the contract): what a customer said it
//! would pay and by when, matched against the payments applied to its invoices; kept, broken or
//! still open on a business date; and the customer figures they give.

use std::collections::HashMap;

use chrono::{Days, Months, NaiveDate};
use rust_decimal::Decimal;

use crate::Money;
use crate::aging::days_between;
use crate::figures::round2;

/// An expected payment: an amount by a date, recorded on a business date. A promise to pay
/// when `promise` is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expected {
    pub amount: Money,
    pub date: NaiveDate,
    /// The business date it was recorded on: payments before it do not count.
    pub entered_on: NaiveDate,
    pub promise: bool,
    /// Cancelled by a user: neither kept nor broken, and no longer expected.
    pub cancelled: bool,
}

/// A payment towards an expected payment: applied to one of its invoices (or, with none
/// tagged, made by the customer) on a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub date: NaiveDate,
    pub amount: Money,
}

/// Where an expected payment stands on a business date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// Its date has not passed and it is not yet paid in full.
    Open,
    /// Paid in full by its date.
    Kept,
    /// A promise not paid in full by its date: broken on the day after.
    Broken,
    /// An expected payment (not a promise) not paid in full by its date.
    Missed,
    Cancelled,
}

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Kept => "kept",
            Status::Broken => "broken",
            Status::Missed => "missed",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn parse(code: &str) -> Option<Status> {
        [
            Status::Open,
            Status::Kept,
            Status::Broken,
            Status::Missed,
            Status::Cancelled,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }
}

/// What the payments say of an expected payment on a business date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Matched {
    pub status: Status,
    /// Paid towards it from the day it was recorded up to the business date.
    pub actual_amount: Money,
    /// The day the payments reached its amount; the last payment's day while they fall short.
    pub actual_date: Option<NaiveDate>,
}

impl Expected {
    /// Matches the receipts (any order) as of `as_of`: those dated from the day it was
    /// recorded up to `as_of` count.
    pub fn matched(&self, receipts: &[Receipt], as_of: NaiveDate) -> Matched {
        let mut counted: Vec<Receipt> = receipts
            .iter()
            .filter(|r| r.date >= self.entered_on && r.date <= as_of)
            .copied()
            .collect();
        counted.sort_by_key(|r| r.date);
        let mut actual_amount = Money::ZERO;
        let mut actual_date = None;
        let mut paid_on = None;
        for r in &counted {
            actual_amount += r.amount;
            actual_date = Some(r.date);
            if paid_on.is_none() && actual_amount >= self.amount {
                paid_on = Some(r.date);
            }
        }
        let actual_date = paid_on.or(actual_date);
        let status = if self.cancelled {
            Status::Cancelled
        } else if paid_on.is_some_and(|d| d <= self.date) {
            Status::Kept
        } else if as_of > self.date {
            if self.promise {
                Status::Broken
            } else {
                Status::Missed
            }
        } else {
            Status::Open
        };
        Matched {
            status,
            actual_amount,
            actual_date,
        }
    }

    /// The day a broken promise broke: the day after its date.
    pub fn broken_on(&self) -> NaiveDate {
        self.date + Days::new(1)
    }

    /// `expected_pay_days`: days from the business date to the expected date.
    pub fn expected_pay_days(&self, as_of: NaiveDate) -> i64 {
        days_between(as_of, self.date)
    }
}

/// `actual_pay_days`: days from the expected (promised) date to the day it was paid.
pub fn actual_pay_days(expected: &Expected, m: &Matched) -> Option<i64> {
    (m.actual_amount >= expected.amount)
        .then_some(m.actual_date)
        .flatten()
        .map(|d| days_between(expected.date, d))
}

/// The broken-promise windows: 90 days, 6 months, 1 year, 2 years.
pub const BROKEN_NAMES: [&str; 4] = [
    "broken_promise_90d",
    "broken_promise_6m",
    "broken_promise_1y",
    "broken_promise_2y",
];

/// The first day inside each broken-promise window that ends on `as_of`.
fn window_starts(as_of: NaiveDate) -> [NaiveDate; 4] {
    let back = |months: u32| {
        as_of
            .checked_sub_months(Months::new(months))
            .unwrap_or(NaiveDate::MIN)
    };
    [as_of - Days::new(90), back(6), back(12), back(24)].map(|d| d.succ_opt().unwrap_or(d))
}

/// A customer's promise figures on a business date.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PromiseFigures {
    /// A promise still open.
    pub has_promise: bool,
    /// Days to the earliest open expected payment.
    pub expected_pay_days: Option<i64>,
    /// Of the latest expected payment paid in full: days from its date to its payment.
    pub actual_pay_days: Option<i64>,
    /// Promises broken within 90 days, 6 months, 1 year, 2 years up to the business date.
    pub broken: [i64; 4],
    pub kept: i64,
    pub broken_total: i64,
}

impl PromiseFigures {
    /// Works out the figures from a customer's expected payments and their receipts.
    pub fn of<'a>(
        expected: impl IntoIterator<Item = (&'a Expected, &'a [Receipt])>,
        as_of: NaiveDate,
    ) -> PromiseFigures {
        let starts = window_starts(as_of);
        let mut f = PromiseFigures::default();
        let mut latest_paid: Option<(NaiveDate, i64)> = None;
        for (e, receipts) in expected {
            if e.entered_on > as_of {
                continue;
            }
            let m = e.matched(receipts, as_of);
            match m.status {
                Status::Open => {
                    f.has_promise |= e.promise;
                    let days = e.expected_pay_days(as_of);
                    f.expected_pay_days = Some(f.expected_pay_days.map_or(days, |d| d.min(days)));
                }
                Status::Kept => f.kept += i64::from(e.promise),
                Status::Broken => {
                    f.broken_total += 1;
                    let on = e.broken_on();
                    for (n, start) in starts.iter().enumerate() {
                        if on >= *start && on <= as_of {
                            f.broken[n] += 1;
                        }
                    }
                }
                Status::Missed | Status::Cancelled => {}
            }
            if m.status != Status::Cancelled
                && let Some(days) = actual_pay_days(e, &m)
                && latest_paid.is_none_or(|(d, _)| e.date >= d)
            {
                latest_paid = Some((e.date, days));
            }
        }
        f.actual_pay_days = latest_paid.map(|(_, days)| days);
        f
    }

    /// `promise_kept_rate`: promises kept of those decided (kept or broken), as a fraction
    /// with two decimals; none before any is decided.
    pub fn kept_rate(&self) -> Option<Decimal> {
        let decided = self.kept + self.broken_total;
        (decided > 0).then(|| round2(Decimal::from(self.kept) / Decimal::from(decided)))
    }
}

/// One expected payment with the invoices it was tagged to and the payments towards it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub expected_id: i64,
    pub expected: Expected,
    pub tagged: Vec<String>,
    pub receipts: Vec<Receipt>,
}

/// The expected payments of a book, by company and customer.
#[derive(Clone, Debug, Default)]
pub struct Promises {
    by_customer: HashMap<String, HashMap<String, Vec<Entry>>>,
}

impl Promises {
    pub fn new(entries: impl IntoIterator<Item = (String, String, Entry)>) -> Promises {
        let mut by_customer: HashMap<String, HashMap<String, Vec<Entry>>> = HashMap::new();
        for (company, customer, entry) in entries {
            by_customer
                .entry(company)
                .or_default()
                .entry(customer)
                .or_default()
                .push(entry);
        }
        Promises { by_customer }
    }

    pub fn is_empty(&self) -> bool {
        self.by_customer.is_empty()
    }

    /// A customer's expected payments.
    pub fn of(&self, company: &str, customer: &str) -> &[Entry] {
        self.by_customer
            .get(company)
            .and_then(|c| c.get(customer))
            .map_or(&[], Vec::as_slice)
    }

    /// A customer's promise figures on `as_of`.
    pub fn figures(&self, company: &str, customer: &str, as_of: NaiveDate) -> PromiseFigures {
        PromiseFigures::of(
            self.of(company, customer)
                .iter()
                .map(|e| (&e.expected, e.receipts.as_slice())),
            as_of,
        )
    }

    /// Whether an open promise on `as_of` is tagged to the invoice.
    pub fn promised(&self, company: &str, customer: &str, tran_id: &str, as_of: NaiveDate) -> bool {
        self.of(company, customer).iter().any(|e| {
            e.expected.promise
                && e.expected.entered_on <= as_of
                && e.tagged.iter().any(|t| t == tran_id)
                && e.expected.matched(&e.receipts, as_of).status == Status::Open
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        crate::parse_date(text).unwrap()
    }

    fn promise(amount: i64, date: &str, entered: &str) -> Expected {
        Expected {
            amount: Money::units(amount),
            date: day(date),
            entered_on: day(entered),
            promise: true,
            cancelled: false,
        }
    }

    fn paid(date: &str, amount: i64) -> Receipt {
        Receipt {
            date: day(date),
            amount: Money::units(amount),
        }
    }

    #[test]
    fn a_promise_paid_in_full_by_its_date_is_kept() {
        let p = promise(1000, "2015-01-03", "2014-12-20");
        let receipts = [paid("2015-01-02", 400), paid("2015-01-03", 600)];
        let m = p.matched(&receipts, day("2015-01-10"));
        assert_eq!(m.status, Status::Kept);
        assert_eq!(m.actual_amount, Money::units(1000));
        assert_eq!(m.actual_date, Some(day("2015-01-03")));
        assert_eq!(actual_pay_days(&p, &m), Some(0));
    }

    #[test]
    fn a_promise_paid_late_is_broken_and_actual_pay_days_counts_the_lateness() {
        // The glossary: promised for 1/3/2015, received 1/5/2015, Actual Pay Days 2.
        let p = promise(500, "2015-01-03", "2015-01-01");
        let receipts = [paid("2015-01-05", 500)];
        let m = p.matched(&receipts, day("2015-01-06"));
        assert_eq!(m.status, Status::Broken);
        assert_eq!(m.actual_date, Some(day("2015-01-05")));
        assert_eq!(actual_pay_days(&p, &m), Some(2));
        assert_eq!(p.broken_on(), day("2015-01-04"));
    }

    #[test]
    fn a_promise_is_open_until_the_day_after_its_date() {
        let p = promise(500, "2015-01-03", "2015-01-01");
        let short = [paid("2015-01-02", 499)];
        assert_eq!(p.matched(&short, day("2015-01-03")).status, Status::Open);
        let m = p.matched(&short, day("2015-01-04"));
        assert_eq!(m.status, Status::Broken);
        assert_eq!(m.actual_amount, Money::units(499));
        assert_eq!(actual_pay_days(&p, &m), None);
    }

    #[test]
    fn payments_before_the_promise_was_made_or_after_the_business_date_do_not_count() {
        let p = promise(100, "2015-01-10", "2015-01-05");
        let receipts = [paid("2015-01-04", 100), paid("2015-01-09", 100)];
        assert_eq!(p.matched(&receipts, day("2015-01-08")).status, Status::Open);
        assert_eq!(p.matched(&receipts, day("2015-01-09")).status, Status::Kept);
    }

    #[test]
    fn an_expected_payment_that_is_not_a_promise_is_missed_not_broken() {
        let mut e = promise(100, "2015-01-10", "2015-01-05");
        e.promise = false;
        assert_eq!(e.matched(&[], day("2015-01-11")).status, Status::Missed);
        let f = PromiseFigures::of([(&e, &[][..])], day("2015-01-11"));
        assert_eq!(f.broken, [0; 4]);
        assert!(!f.has_promise);
    }

    #[test]
    fn expected_pay_days_counts_to_the_earliest_open_expected_payment() {
        // The glossary: an expected payment tomorrow has Expected Pay Days 1.
        let tomorrow = promise(100, "2015-01-06", "2015-01-01");
        let later = promise(100, "2015-01-20", "2015-01-01");
        let f = PromiseFigures::of([(&later, &[][..]), (&tomorrow, &[][..])], day("2015-01-05"));
        assert_eq!(f.expected_pay_days, Some(1));
        assert!(f.has_promise);
    }

    #[test]
    fn broken_promises_count_in_each_window_and_the_kept_rate_follows() {
        let as_of = day("2016-01-31");
        let none: &[Receipt] = &[];
        let recent = promise(10, "2016-01-10", "2016-01-01"); // broken 2016-01-11
        let four_months = promise(10, "2015-09-30", "2015-09-01"); // broken 2015-10-01
        let last_year = promise(10, "2015-03-01", "2015-02-01"); // broken 2015-03-02
        let old = promise(10, "2014-03-01", "2014-02-01"); // broken 2014-03-02
        let kept = promise(10, "2015-12-01", "2015-11-01");
        let kept_receipts = [paid("2015-11-20", 10)];
        let f = PromiseFigures::of(
            [
                (&recent, none),
                (&four_months, none),
                (&last_year, none),
                (&old, none),
                (&kept, &kept_receipts[..]),
            ],
            as_of,
        );
        assert_eq!(f.broken, [1, 2, 3, 4]);
        assert_eq!(f.kept, 1);
        assert_eq!(f.kept_rate(), Some(Decimal::new(20, 2)));
        assert_eq!(f.actual_pay_days, Some(-11));
        assert!(!f.has_promise);
    }

    #[test]
    fn window_edges_are_inclusive_of_the_last_day_in() {
        let as_of = day("2015-04-01");
        // 90 days back from 2015-04-01 is 2015-01-01: a promise broken that day is out,
        // one broken the day after is in.
        let out = promise(10, "2014-12-31", "2014-12-01");
        let inside = promise(10, "2015-01-01", "2014-12-01");
        let f = PromiseFigures::of([(&out, &[][..]), (&inside, &[][..])], as_of);
        assert_eq!(f.broken[0], 1);
        assert_eq!(f.broken[1], 2);
    }

    #[test]
    fn an_invoice_is_promised_while_an_open_promise_is_tagged_to_it() {
        let entry = Entry {
            expected_id: 1,
            expected: promise(100, "2015-01-10", "2015-01-05"),
            tagged: vec!["INV-1".into()],
            receipts: vec![paid("2015-01-08", 100)],
        };
        let book = Promises::new([("C1".to_owned(), "A".to_owned(), entry)]);
        let promised = |tran: &str, as_of: &str| book.promised("C1", "A", tran, day(as_of));
        assert!(promised("INV-1", "2015-01-06"));
        assert!(!promised("INV-2", "2015-01-06"));
        assert!(!promised("INV-1", "2015-01-04"), "not yet recorded");
        assert!(!promised("INV-1", "2015-01-08"), "kept");
        assert!(book.figures("C1", "A", day("2015-01-06")).has_promise);
        assert_eq!(
            book.figures("C1", "B", day("2015-01-06")),
            PromiseFigures::default()
        );
    }

    #[test]
    fn cancelled_and_not_yet_recorded_expected_payments_count_for_nothing() {
        let mut c = promise(10, "2015-01-01", "2014-12-01");
        c.cancelled = true;
        let future = promise(10, "2015-03-01", "2015-02-01");
        let f = PromiseFigures::of([(&c, &[][..]), (&future, &[][..])], day("2015-01-20"));
        assert_eq!(f, PromiseFigures::default());
        assert_eq!(f.kept_rate(), None);
    }
}
