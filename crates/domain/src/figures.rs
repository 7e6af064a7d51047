//! The figures of sections 3 and 5 of the contract, for one customer or a whole company.

use chrono::{Days, Months, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::aging::{AgeBucket, Buckets, DueBucket, age_bucket, days_between, due_bucket};
use crate::{Item, Money, Settings};

/// The business date and the settings every figure is computed with.
#[derive(Clone, Debug)]
pub struct Context {
    pub as_of: NaiveDate,
    pub settings: Settings,
}

/// Days of the projected-receipt horizons: `proj_pmts_7` … `proj_pmts_35`.
pub const PROJECTION_DAYS: [u64; 5] = [7, 14, 21, 28, 35];

/// A running mean of whole days.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mean {
    pub sum: i64,
    pub count: i64,
}

impl Mean {
    fn add(&mut self, days: i64) {
        self.sum += days;
        self.count += 1;
    }

    fn merge(&mut self, other: Mean) {
        self.sum += other.sum;
        self.count += other.count;
    }

    /// The mean to two decimals; `None` with nothing counted.
    pub fn value(self) -> Option<Decimal> {
        if self.count == 0 {
            return None;
        }
        ratio2(i128::from(self.sum), i128::from(self.count))
    }
}

/// A running mean of days weighted by amounts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WeightedMean {
    /// Σ amount × days, in ten-thousandths.
    pub amount_days: i128,
    /// Σ amount, in ten-thousandths.
    pub amount: i128,
}

impl WeightedMean {
    fn add(&mut self, amount: Money, days: i64) {
        self.amount_days += i128::from(amount.raw()) * i128::from(days);
        self.amount += i128::from(amount.raw());
    }

    fn merge(&mut self, other: WeightedMean) {
        self.amount_days += other.amount_days;
        self.amount += other.amount;
    }

    pub fn value(self) -> Option<Decimal> {
        if self.amount == 0 {
            return None;
        }
        ratio2(self.amount_days, self.amount)
    }
}

/// `num ÷ den` rounded half away from zero to a whole number; `den` is not zero.
fn div_round(num: i128, den: i128) -> Option<i128> {
    let (q, r) = (num.checked_div(den)?, num.checked_rem(den)?);
    let half_or_more = r.checked_abs()?.checked_mul(2)? >= den.checked_abs()?;
    Some(if half_or_more {
        q + num.signum() * den.signum()
    } else {
        q
    })
}

/// `num ÷ den` to two decimals, rounded as [`round2`] rounds the quotient of the two as
/// decimals, but worked in whole numbers (a mean of days is taken for every customer and
/// invoice a run looks at). `None` only past what a decimal holds (a quotient of some
/// 10^26), where dividing the two as decimals fails too.
fn ratio2(num: i128, den: i128) -> Option<Decimal> {
    let hundredths = div_round(num.checked_mul(100)?, den)?;
    Decimal::try_from_i128_with_scale(hundredths, 2).ok()
}

/// Rounds to two decimals, half away from zero, as every rate of section 5.
pub fn round2(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// How one customer has paid: the basis of its projected payments.
#[derive(Clone, Debug, Default)]
pub struct History {
    all: Mean,
    by_size: [Mean; 7],
}

impl History {
    pub fn of(items: &[Item], ctx: &Context) -> History {
        let mut history = History::default();
        for item in items {
            if let Some(paid) = item.paid_by(ctx.as_of) {
                history.all.add(paid.days_paid_late);
                if let Some(range) = ctx.settings.size_ranges.range_of(item.amount_hc) {
                    history.by_size[range].add(paid.days_paid_late);
                }
            }
        }
        history
    }

    /// `proj_pmt_days`: mean lateness in the invoice's size range, else overall, else 0.
    fn projected_days(&self, amount_hc: Money, ctx: &Context) -> i64 {
        let in_range = ctx
            .settings
            .size_ranges
            .range_of(amount_hc)
            .map(|r| self.by_size[r]);
        let mean = in_range.filter(|m| m.count > 0).unwrap_or(self.all);
        if mean.count == 0 {
            return 0;
        }
        div_round(i128::from(mean.sum), i128::from(mean.count))
            .and_then(|whole| i64::try_from(whole).ok())
            .unwrap_or(0)
    }
}

/// The figures of one open item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemFigures {
    pub tran_date_days: i64,
    pub due_date_days: i64,
    pub age: AgeBucket,
    pub due: DueBucket,
    /// The amount that ages (balance_hc less any excluded amount).
    pub aged_hc: Money,
    /// Projected lateness and payment date; invoices only.
    pub projection: Option<(i64, NaiveDate)>,
}

impl ItemFigures {
    pub fn of(item: &Item, history: &History, ctx: &Context) -> ItemFigures {
        let tran_date_days = days_between(item.tran_date, ctx.as_of);
        let due_date_days = days_between(item.due_basis(), ctx.as_of);
        let projection = match (item.tran_type.is_invoice(), item.due_date) {
            (true, Some(due)) => {
                let days = history.projected_days(item.amount_hc, ctx);
                let date = due
                    .checked_add_signed(chrono::Duration::days(days))
                    .map_or(ctx.as_of, |d| d.max(ctx.as_of));
                Some((days, date))
            }
            _ => None,
        };
        ItemFigures {
            tran_date_days,
            due_date_days,
            age: age_bucket(tran_date_days, ctx.settings.aging_units),
            due: due_bucket(due_date_days, ctx.settings.due_aging_units),
            aged_hc: item.aged_hc(),
            projection,
        }
    }
}

/// The dates every item of a customer is compared with, worked out once.
struct Window {
    /// Paid invoices closed after this count toward `avg_days_late`.
    six_months_ago: NaiveDate,
    /// Items dated after this count toward net credit sales.
    year_ago: NaiveDate,
    /// The last day of each `proj_pmts_*` horizon.
    horizons: [Option<NaiveDate>; 5],
}

impl Window {
    fn of(ctx: &Context) -> Window {
        Window {
            six_months_ago: ctx
                .as_of
                .checked_sub_months(Months::new(6))
                .unwrap_or(NaiveDate::MIN),
            year_ago: ctx
                .as_of
                .checked_sub_days(Days::new(365))
                .unwrap_or(NaiveDate::MIN),
            horizons: PROJECTION_DAYS.map(|d| ctx.as_of.checked_add_days(Days::new(d))),
        }
    }
}

/// Additive figures of a customer, a company or a book; rates are derived at the end.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    pub buckets: Buckets,
    /// `no_over_due_inv`.
    pub no_over_due_inv: u64,
    /// `oldest_tran_date_days`.
    pub oldest_tran_date_days: Option<i64>,
    /// Basis of `avg_days_late`.
    pub late: Mean,
    /// Basis of `avg_days_late_weighted`.
    pub late_weighted: WeightedMean,
    /// Basis of `avg_days_to_pay_total`.
    pub to_pay: Mean,
    /// Basis of `avg_days_to_pay_1` … `_7`.
    pub to_pay_by_size: [Mean; 7],
    /// Σ aged balance × `tran_date_days` (ten-thousandths × days): the exact basis of `coc_balance`.
    pub balance_days: i128,
    /// Net credit sales of the 365 days up to the business date.
    pub net_sales: Money,
    /// `proj_pmts_7` … `proj_pmts_35`, cumulative.
    pub proj_pmts: [Money; 5],
}

impl Figures {
    /// The figures of one customer's items.
    pub fn of(items: &[Item], ctx: &Context) -> Figures {
        let history = History::of(items, ctx);
        let window = Window::of(ctx);
        let mut figures = Figures::default();
        for item in items {
            figures.add_paid(item, ctx, &window);
            figures.add_sale(item, ctx, &window);
            if item.is_open() {
                let f = ItemFigures::of(item, &history, ctx);
                figures.add_item(item, &f, &window);
            }
        }
        figures
    }

    fn add_paid(&mut self, item: &Item, ctx: &Context, window: &Window) {
        let Some(paid) = item.paid_by(ctx.as_of) else {
            return;
        };
        if paid.closed > window.six_months_ago {
            self.late.add(paid.days_paid_late);
            self.late_weighted.add(item.amount_hc, paid.days_paid_late);
        }
        if ctx
            .settings
            .exclude_invoices_before
            .is_none_or(|from| item.tran_date >= from)
        {
            self.to_pay.add(paid.days_to_pay);
            if let Some(range) = ctx.settings.size_ranges.range_of(item.amount_hc) {
                self.to_pay_by_size[range].add(paid.days_to_pay);
            }
        }
    }

    fn add_sale(&mut self, item: &Item, ctx: &Context, window: &Window) {
        // An invoice under a payment plan is one sale, of its original amount.
        let sale = match item.plan.as_deref() {
            None => item.amount_hc,
            Some(part) if part.no == 1 => part.orig_amount_hc,
            Some(_) => return,
        };
        if item.tran_date > window.year_ago && item.tran_date <= ctx.as_of {
            self.net_sales += sale;
        }
    }

    /// Adds one open item whose figures are `f`.
    pub fn add_open(&mut self, item: &Item, f: &ItemFigures, ctx: &Context) {
        self.add_item(item, f, &Window::of(ctx));
    }

    fn add_item(&mut self, item: &Item, f: &ItemFigures, window: &Window) {
        let amount = f.aged_hc;
        if amount.is_zero() {
            return;
        }
        self.buckets.add(f.age, f.due, amount);
        if item.tran_type.is_invoice() {
            // An invoice under a payment plan counts once, by its oldest open instalment.
            if f.due_date_days > 0 && item.plan.as_deref().is_none_or(|p| p.lead) {
                self.no_over_due_inv += 1;
            }
            self.oldest_tran_date_days = Some(
                self.oldest_tran_date_days
                    .map_or(f.tran_date_days, |o| o.max(f.tran_date_days)),
            );
        }
        if f.tran_date_days > 0 {
            self.balance_days += i128::from(amount.raw()) * i128::from(f.tran_date_days);
        }
        if let Some((_, date)) = f.projection {
            for (slot, end) in self.proj_pmts.iter_mut().zip(window.horizons) {
                if end.is_some_and(|end| date <= end) {
                    *slot += amount;
                }
            }
        }
    }

    /// Adds another customer's figures, for company and book totals.
    pub fn merge(&mut self, other: &Figures) {
        self.buckets.merge(&other.buckets);
        self.no_over_due_inv += other.no_over_due_inv;
        self.oldest_tran_date_days = match (self.oldest_tran_date_days, other.oldest_tran_date_days)
        {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self.late.merge(other.late);
        self.late_weighted.merge(other.late_weighted);
        self.to_pay.merge(other.to_pay);
        for (mine, theirs) in self.to_pay_by_size.iter_mut().zip(other.to_pay_by_size) {
            mine.merge(theirs);
        }
        self.balance_days += other.balance_days;
        self.net_sales += other.net_sales;
        for (mine, theirs) in self.proj_pmts.iter_mut().zip(other.proj_pmts) {
            *mine += theirs;
        }
    }

    pub fn total_age(&self) -> Money {
        self.buckets.total()
    }

    /// `coc_balance` = Σ balance × credit_apr / 100 × tran_date_days / 365, rounded to cents once.
    pub fn coc_balance(&self, credit_apr: Decimal) -> Money {
        let balance_days = Decimal::from_i128_with_scale(self.balance_days, 4);
        let cost = balance_days
            .checked_mul(credit_apr)
            .and_then(|c| c.checked_div(Decimal::from(36_500)));
        cost.and_then(Money::from_decimal_cents)
            .unwrap_or(Money::ZERO)
    }

    /// `dso` = total_age ÷ net credit sales × 365; `None` unless sales are positive.
    pub fn dso(&self) -> Option<Decimal> {
        if self.net_sales <= Money::ZERO {
            return None;
        }
        let (age, sales) = (
            i128::from(self.total_age().raw()),
            i128::from(self.net_sales.raw()),
        );
        age.checked_mul(365).and_then(|days| ratio2(days, sales))
    }

    /// `avg_days_late_diff` = ADL − weighted ADL.
    pub fn avg_days_late_diff(&self) -> Option<Decimal> {
        Some(self.late.value()? - self.late_weighted.value()?)
    }
}
