use arrears_domain::aging::{AgeBucket, DueBucket};
use arrears_domain::value::figure_values;
use arrears_domain::{
    Context, Figures, History, Item, ItemFigures, Money, Settings, TranType, Value,
};
use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;

fn date(text: &str) -> NaiveDate {
    arrears_domain::parse_date(text).unwrap()
}

fn ctx(as_of: &str) -> Context {
    Context {
        as_of: date(as_of),
        settings: Settings::default(),
    }
}

fn invoice(tran: &str, due: &str, amount: i64, balance: i64) -> Item {
    Item {
        tran_type: TranType::Invoice,
        tran_date: date(tran),
        due_date: Some(date(due)),
        amount: Money::units(amount),
        balance: Money::units(balance),
        amount_hc: Money::units(amount),
        balance_hc: Money::units(balance),
        closing_date: None,
        excluded_hc: Money::ZERO,
        plan: None,
    }
}

fn paid(tran: &str, due: &str, closed: &str, amount: i64) -> Item {
    Item {
        closing_date: Some(date(closed)),
        ..invoice(tran, due, amount, 0)
    }
}

fn value(f: &Figures, limit: Option<Money>, name: &str) -> Value {
    figure_values(f, limit, &Settings::default())
        .into_iter()
        .find(|(n, _)| *n == name)
        .unwrap()
        .1
}

fn rate(text: &str) -> Value {
    Value::Rate(text.parse::<Decimal>().unwrap())
}

#[test]
fn available_credit_is_limit_less_total_age() {
    let items = [
        invoice("2015-01-01", "2015-01-31", 4_000, 4_000),
        invoice("2015-01-05", "2015-02-04", 6_000, 6_000),
    ];
    let f = Figures::of(&items, &ctx("2015-01-20"));
    assert_eq!(f.total_age(), Money::units(10_000));
    assert_eq!(
        value(&f, Some(Money::units(15_000)), "available_credit"),
        Value::Money(Money::units(5_000))
    );
    assert_eq!(value(&f, None, "available_credit"), Value::None);
}

#[test]
fn future_dated_invoice_is_in_age_future() {
    let items = [invoice("2015-06-01", "2015-07-01", 500, 500)];
    let c = ctx("2015-01-01");
    let f = Figures::of(&items, &c);
    assert_eq!(f.buckets.age[AgeBucket::Future as usize], Money::units(500));
    assert_eq!(
        f.buckets.due[DueBucket::Current as usize],
        Money::units(500)
    );
    assert_eq!(f.buckets.over(0), Money::ZERO);
}

#[test]
fn due_date_days_is_negative_before_the_due_date() {
    let item = invoice("2014-12-11", "2015-01-10", 100, 100);
    let c = ctx("2015-01-07");
    let f = ItemFigures::of(&item, &History::default(), &c);
    assert_eq!(f.due_date_days, -3);
    assert_eq!(f.tran_date_days, 27);
}

#[test]
fn credit_memo_ages_by_its_tran_date_on_both_scales() {
    let memo = Item {
        tran_type: TranType::CreditMemo,
        due_date: None,
        ..invoice("2015-01-01", "2015-01-01", -200, -200)
    };
    let c = ctx("2015-03-15");
    let f = ItemFigures::of(&memo, &History::default(), &c);
    assert_eq!((f.tran_date_days, f.due_date_days), (73, 73));
    assert_eq!((f.age, f.due), (AgeBucket::Age2, DueBucket::Late3));
    let figures = Figures::of(&[memo], &c);
    assert_eq!(
        figures.no_over_due_inv, 0,
        "a credit memo is not an overdue invoice"
    );
}

#[test]
fn percent_paid_is_the_paid_share_of_the_amount() {
    let item = invoice("2015-01-01", "2015-01-31", 1_000, 600);
    assert_eq!(item.percent_paid(), Some("0.40".parse().unwrap()));
}

#[test]
fn avg_days_late_counts_invoices_paid_in_the_last_six_months() {
    let items = [
        paid("2015-01-01", "2015-01-31", "2015-02-10", 1_000), // 10 late
        paid("2015-02-01", "2015-03-03", "2015-03-01", 3_000), // 2 early
        paid("2014-01-01", "2014-01-31", "2014-02-28", 9_000), // outside the window
    ];
    let f = Figures::of(&items, &ctx("2015-04-01"));
    assert_eq!(value(&f, None, "avg_days_late"), rate("4.00"));
    // (1000 × 10 + 3000 × −2) / 4000 = 1
    assert_eq!(value(&f, None, "avg_days_late_weighted"), rate("1.00"));
    assert_eq!(value(&f, None, "avg_days_late_diff"), rate("3.00"));
    // days to pay: 40, 28, 58 → 42
    assert_eq!(value(&f, None, "avg_days_to_pay_total"), rate("42.00"));
}

#[test]
fn exclude_invoices_before_leaves_old_invoices_out_of_adp() {
    let items = [
        paid("2015-01-01", "2015-01-31", "2015-02-10", 1_000),
        paid("2014-01-01", "2014-01-31", "2014-02-28", 9_000),
    ];
    let mut c = ctx("2015-04-01");
    c.settings
        .set("exclude_invoices_before", "2014-06-01")
        .unwrap();
    c.settings.set("size_ranges", "5000").unwrap();
    let f = Figures::of(&items, &c);
    assert_eq!(value(&f, None, "avg_days_to_pay_total"), rate("40.00"));
    assert_eq!(value(&f, None, "avg_days_to_pay_1"), rate("40.00"));
    assert_eq!(value(&f, None, "avg_days_to_pay_2"), Value::None);
}

#[test]
fn cost_of_credit_is_apr_times_balance_times_days_over_365() {
    // 10,000 × 10% × 73 / 365 = 200.00; the future invoice costs nothing yet.
    let items = [
        invoice("2015-01-01", "2015-03-02", 10_000, 10_000),
        invoice("2015-04-01", "2015-05-01", 500, 500),
    ];
    let f = Figures::of(&items, &ctx("2015-03-15"));
    assert_eq!(f.coc_balance(Decimal::from(10)), Money::units(200));
    assert_eq!(f.coc_balance(Decimal::from(8)), Money::units(160));
}

#[test]
fn dso_is_total_age_over_a_year_of_net_sales() {
    let items = [
        invoice("2015-01-01", "2015-01-31", 1_000, 1_000),
        paid("2014-06-01", "2014-07-01", "2014-07-01", 3_000),
        Item {
            tran_type: TranType::CreditMemo,
            due_date: None,
            ..paid("2014-09-01", "2014-09-01", "2014-09-01", -500)
        },
        paid("2013-01-01", "2013-01-31", "2013-02-01", 99_000), // more than a year ago
    ];
    let f = Figures::of(&items, &ctx("2015-03-15"));
    // 1000 / (1000 + 3000 − 500) × 365 = 104.2857…
    assert_eq!(f.net_sales, Money::units(3_500));
    assert_eq!(value(&f, None, "dso"), rate("104.29"));
    assert_eq!(
        Figures::of(
            &[paid("2013-01-01", "2013-01-31", "2013-02-01", 9)],
            &ctx("2015-03-15")
        )
        .dso(),
        None
    );
}

#[test]
fn projected_payment_follows_the_size_range_history() {
    // Pays 5,000–10,000 invoices 3 days late, small ones 20 days late.
    let mut c = ctx("2015-03-01");
    c.settings.set("size_ranges", "5000,10000").unwrap();
    let items = [
        paid("2014-10-01", "2014-10-31", "2014-11-03", 7_500),
        paid("2014-11-01", "2014-12-01", "2014-12-04", 6_000),
        paid("2014-11-01", "2014-12-01", "2014-12-21", 100),
        invoice("2015-02-01", "2015-03-03", 7_000, 7_000),
        invoice("2015-02-01", "2015-03-03", 200, 200),
    ];
    let history = History::of(&items, &c);
    let big = ItemFigures::of(&items[3], &history, &c);
    assert_eq!(big.projection, Some((3, date("2015-03-06"))));
    let small = ItemFigures::of(&items[4], &history, &c);
    assert_eq!(small.projection, Some((20, date("2015-03-23"))));
    let f = Figures::of(&items, &c);
    assert_eq!(
        f.proj_pmts,
        [7_000, 7_000, 7_000, 7_200, 7_200].map(Money::units)
    );
}

#[test]
fn projected_date_is_never_before_the_business_date() {
    let item = invoice("2014-01-01", "2014-01-31", 100, 100);
    let c = ctx("2015-03-01");
    let f = ItemFigures::of(&item, &History::default(), &c);
    assert_eq!(f.projection, Some((0, c.as_of)));
}

fn arb_item() -> impl Strategy<Value = Item> {
    (
        0i64..800,
        -30i64..120,
        prop::bool::ANY,
        -5_000_000i64..50_000_000,
        0u8..4,
    )
        .prop_map(|(age, terms, memo, raw, kind)| {
            let tran = date("2015-01-01") + chrono::Duration::days(age);
            let balance = Money::from_raw(if memo { -raw.abs() } else { raw });
            Item {
                tran_type: if memo {
                    TranType::CreditMemo
                } else {
                    [
                        TranType::Invoice,
                        TranType::FinanceCharge,
                        TranType::DebitMemo,
                    ][kind as usize % 3]
                },
                tran_date: tran,
                due_date: (!memo).then(|| tran + chrono::Duration::days(terms)),
                amount: balance,
                balance,
                amount_hc: balance,
                balance_hc: balance,
                closing_date: balance.is_zero().then_some(tran),
                excluded_hc: Money::ZERO,
                plan: None,
            }
        })
}

proptest! {
    /// Both scales partition the open balance: each adds up to `total_age`, exactly.
    #[test]
    fn buckets_of_each_scale_add_up_to_total_age(items in prop::collection::vec(arb_item(), 0..60)) {
        let f = Figures::of(&items, &ctx("2016-06-30"));
        let open: Money = items.iter().map(|i| i.balance_hc).sum();
        prop_assert_eq!(f.buckets.age.iter().sum::<Money>(), open);
        prop_assert_eq!(f.buckets.due.iter().sum::<Money>(), open);
        prop_assert_eq!(f.total_age(), open);
    }

    /// `over_30` ≥ `over_60` ≥ … holds whenever no credit memo offsets the later buckets.
    #[test]
    fn over_figures_are_cumulative(items in prop::collection::vec(arb_item(), 0..60)) {
        let items: Vec<Item> = items.into_iter().filter(|i| i.balance_hc >= Money::ZERO).collect();
        let f = Figures::of(&items, &ctx("2016-06-30"));
        for n in 0..4 {
            prop_assert!(f.buckets.over(n) >= f.buckets.over(n + 1));
            prop_assert_eq!(f.buckets.over(n) - f.buckets.over(n + 1), f.buckets.due[n + 1]);
        }
    }

    /// The order of the book does not change a single figure.
    #[test]
    fn figures_do_not_depend_on_row_order(mut items in prop::collection::vec(arb_item(), 0..60), seed in any::<u64>()) {
        let c = ctx("2016-06-30");
        let before = Figures::of(&items, &c);
        let n = items.len().max(1);
        items.rotate_left((seed as usize) % n);
        items.reverse();
        prop_assert_eq!(Figures::of(&items, &c), before);
    }

    /// A company's figures are the merge of its customers', however the book is split.
    #[test]
    fn merged_figures_equal_figures_of_the_whole(items in prop::collection::vec(arb_item(), 0..60), cut in 0usize..60) {
        let c = ctx("2016-06-30");
        let cut = cut.min(items.len());
        let mut merged = Figures::of(&items[..cut], &c);
        merged.merge(&Figures::of(&items[cut..], &c));
        let whole = Figures::of(&items, &c);
        prop_assert_eq!(merged.buckets, whole.buckets);
        prop_assert_eq!(merged.net_sales, whole.net_sales);
        prop_assert_eq!(merged.no_over_due_inv, whole.no_over_due_inv);
        prop_assert_eq!(merged.balance_days, whole.balance_days);
    }
}

/// The means are worked in whole numbers; they must give what the quotient of decimals,
/// rounded half away from zero to two places, gives.
fn decimal_mean(num: i128, den: i128) -> Decimal {
    arrears_domain::figures::round2(
        Decimal::from_i128_with_scale(num, 0) / Decimal::from_i128_with_scale(den, 0),
    )
}

proptest! {
    #[test]
    fn means_in_whole_numbers_match_the_decimal_quotient(
        sum in -1_000_000i64..1_000_000,
        count in 1i64..5_000,
    ) {
        let mean = arrears_domain::figures::Mean { sum, count }.value().unwrap();
        let expected = decimal_mean(i128::from(sum), i128::from(count));
        prop_assert_eq!(mean, expected);
    }

    #[test]
    fn weighted_means_in_whole_numbers_match_the_decimal_quotient(
        amount_days in -10_000_000_000_000i128..10_000_000_000_000,
        amount in -100_000_000_000i128..100_000_000_000,
    ) {
        prop_assume!(amount != 0);
        let mean = arrears_domain::figures::WeightedMean { amount_days, amount };
        let expected = decimal_mean(amount_days, amount);
        prop_assert_eq!(mean.value().unwrap(), expected);
    }
}

#[test]
fn means_round_half_away_from_zero_to_two_decimals() {
    let mean = |sum, count| {
        arrears_domain::figures::Mean { sum, count }
            .value()
            .unwrap()
    };
    assert_eq!(mean(10, 4), Decimal::new(250, 2));
    assert_eq!(mean(6, 3), Decimal::from(2));
    assert_eq!(mean(-7, 2), Decimal::new(-350, 2));
    assert_eq!(mean(10, 3), Decimal::new(333, 2));
    assert_eq!(mean(1, 8), Decimal::new(13, 2));
    assert_eq!(mean(-1, 8), Decimal::new(-13, 2));
    assert_eq!(mean(2999, 1000), Decimal::from(3));
    assert_eq!(mean(-2995, 1000), Decimal::new(-300, 2));
}
