//! An item of the book as the figures see it: one invoice, credit memo, finance or debit charge.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

use crate::Money;
use crate::aging::days_between;

/// `tran_type` of `invoices.csv`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TranType {
    Invoice,
    CreditMemo,
    FinanceCharge,
    DebitMemo,
}

impl TranType {
    pub fn code(self) -> &'static str {
        match self {
            TranType::Invoice => "IN",
            TranType::CreditMemo => "CM",
            TranType::FinanceCharge => "FC",
            TranType::DebitMemo => "DM",
        }
    }

    /// `IN`, `FC` and `DM` are invoices for lateness and payment behaviour; a credit memo is not.
    pub fn is_invoice(self) -> bool {
        self != TranType::CreditMemo
    }

    /// Credit memos have no due date; every other type needs one.
    pub fn needs_due_date(self) -> bool {
        self.is_invoice()
    }
}

impl fmt::Display for TranType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for TranType {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        [
            TranType::Invoice,
            TranType::CreditMemo,
            TranType::FinanceCharge,
            TranType::DebitMemo,
        ]
        .into_iter()
        .find(|t| t.code().eq_ignore_ascii_case(text))
        .ok_or_else(|| format!("unknown tran_type {text:?}, expected IN, CM, FC or DM"))
    }
}

/// What the figures need of one item; amounts in home currency unless named otherwise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub tran_type: TranType,
    pub tran_date: NaiveDate,
    pub due_date: Option<NaiveDate>,
    /// Customer currency, for `percent_paid`.
    pub amount: Money,
    /// Customer currency; the item is open while it is not zero.
    pub balance: Money,
    pub amount_hc: Money,
    pub balance_hc: Money,
    /// Set once the balance is zero (section 1 of the contract).
    pub closing_date: Option<NaiveDate>,
    /// Home-currency amount a dispute keeps out of the aging.
    pub excluded_hc: Money,
    /// An instalment of an invoice under a payment plan: where it stands in the plan and the
    /// invoice's original terms; none for a whole item.
    pub plan: Option<Box<crate::plans::PlanPart>>,
}

impl Item {
    pub fn is_open(&self) -> bool {
        !self.balance.is_zero()
    }

    /// The amount that ages: the open balance less what disputes exclude.
    pub fn aged_hc(&self) -> Money {
        if self.is_open() {
            self.balance_hc - self.excluded_hc
        } else {
            Money::ZERO
        }
    }

    /// `percent_paid` = (amount − balance) / amount, two decimals; `None` for a zero amount.
    pub fn percent_paid(&self) -> Option<rust_decimal::Decimal> {
        (!self.amount.is_zero()).then(|| {
            crate::figures::round2(
                (self.amount - self.balance).to_decimal() / self.amount.to_decimal(),
            )
        })
    }

    /// Credit memos have no due date, so they age by transaction date on both scales.
    pub fn due_basis(&self) -> NaiveDate {
        self.due_date.unwrap_or(self.tran_date)
    }

    /// A paid invoice: an `IN`, `FC` or `DM` whose balance is zero, closed on or before `as_of`.
    pub fn paid_by(&self, as_of: NaiveDate) -> Option<Paid> {
        let closed = self.closing_date.filter(|c| *c <= as_of)?;
        if !self.tran_type.is_invoice() || self.is_open() {
            return None;
        }
        Some(Paid {
            closed,
            days_to_pay: days_between(self.tran_date, closed),
            days_paid_late: days_between(self.due_basis(), closed),
        })
    }
}

/// How a paid invoice was paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paid {
    pub closed: NaiveDate,
    /// `days_to_pay` = closing_tran_date − tran_date.
    pub days_to_pay: i64,
    /// `days_paid_late` = closing_tran_date − due_date (negative when early).
    pub days_paid_late: i64,
}

/// What an invoice's payments and the communications tagged to it say of it, as of a
/// business date.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InvoiceStats {
    /// `last_pmt_date`: the latest payment applied to it; `pmt_count`: how many were.
    pub last_pmt_date: Option<NaiveDate>,
    pub pmt_count: i64,
    /// The days of the first and the last communication tagged to it (completed activities).
    pub first_com: Option<NaiveDate>,
    pub last_com: Option<NaiveDate>,
}

impl InvoiceStats {
    /// `days_due_to_1st_com` and `days_due_to_last_com` (communication − due date), and
    /// `days_1st_com_to_pay` and `days_last_com_to_pay` (closing date − communication) once
    /// `item` is paid by `as_of`.
    pub fn days(&self, item: &Item, as_of: NaiveDate) -> [Option<i64>; 4] {
        let due = item.due_basis();
        let closed = item.paid_by(as_of).map(|p| p.closed);
        let between = |from: Option<NaiveDate>, to: Option<NaiveDate>| {
            from.zip(to).map(|(f, t)| days_between(f, t))
        };
        [
            between(Some(due), self.first_com),
            between(Some(due), self.last_com),
            between(self.first_com, closed),
            between(self.last_com, closed),
        ]
    }
}
