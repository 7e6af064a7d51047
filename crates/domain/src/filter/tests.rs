use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;

fn row(view: View, values: &[(&str, Value)]) -> Vec<Value> {
    let catalog = view.catalog();
    let mut row = vec![Value::None; catalog.len()];
    for (name, value) in values {
        let slot = catalog.slot(name).unwrap_or_else(|| panic!("{name}"));
        row[slot] = value.clone();
    }
    row
}

fn money(text: &str) -> Value {
    Value::Money(Money::parse(text).unwrap())
}

fn day(text: &str) -> Value {
    Value::Date(crate::parse_date(text).unwrap())
}

fn matches(text: &str, view: View, values: &[(&str, Value)]) -> bool {
    let filter = Filter::new(text, view).unwrap_or_else(|e| panic!("{text}: {e}"));
    filter.matches(&row(view, values)).unwrap()
}

fn error(text: &str, view: View) -> FilterError {
    Filter::new(text, view).expect_err(text)
}

#[test]
fn contract_examples_match_as_written() {
    let late = [
        ("total_past_due", money("1250.00")),
        ("over_60", money("310.00")),
        ("credit_hold", Value::Bool(false)),
    ];
    let rule = "total_past_due > 500 && over_60 > 0 && !credit_hold";
    assert!(matches(rule, View::Customer, &late));
    let mut held = late.to_vec();
    held[2].1 = Value::Bool(true);
    assert!(!matches(rule, View::Customer, &held));

    let reminder = "tran_type == \"IN\" && balance > 0 && due_date_days == -3";
    let invoice = [
        ("tran_type", Value::Text("IN".into())),
        ("balance", money("10")),
        ("due_date_days", Value::Int(-3)),
    ];
    assert!(matches(reminder, View::Invoice, &invoice));

    let related = "due_date_days >= 15 && customer.customer_class in [\"RETAIL\", \"DEALER\"]";
    let dealer = [
        ("due_date_days", Value::Int(15)),
        ("customer.customer_class", Value::Text("DEALER".into())),
    ];
    assert!(matches(related, View::Invoice, &dealer));
    let govt = [
        ("due_date_days", Value::Int(15)),
        ("customer.customer_class", Value::Text("GOVT".into())),
    ];
    assert!(!matches(related, View::Invoice, &govt));
}

#[test]
fn decimals_compare_exactly() {
    let owing = [("total_past_due", money("500.0001"))];
    assert!(matches("total_past_due > 500", View::Customer, &owing));
    assert!(!matches(
        "total_past_due > 500.0001",
        View::Customer,
        &owing
    ));
    assert!(matches(
        "total_past_due == 500.00010",
        View::Customer,
        &owing
    ));
    assert!(matches(
        "total_past_due < 500.00011",
        View::Customer,
        &owing
    ));
    assert!(matches(
        "total_past_due * 3 == 1500.0003",
        View::Customer,
        &owing
    ));
    let thirds = [("total_age", money("1")), ("over_30", money("3"))];
    assert!(matches(
        "total_age / over_30 * 3 < 1",
        View::Customer,
        &thirds
    ));
    assert!(matches("0.1 + 0.2 == 0.3", View::Customer, &[]));
}

#[test]
fn nulls_equal_only_null_and_order_with_nothing() {
    let none: [(&str, Value); 0] = [];
    assert!(matches("credit_limit == null", View::Customer, &none));
    assert!(!matches("credit_limit != null", View::Customer, &none));
    assert!(!matches("credit_limit > 0", View::Customer, &none));
    assert!(!matches("credit_limit <= 0", View::Customer, &none));
    assert!(matches("credit_limit != 5", View::Customer, &none));
    assert!(matches("!(credit_limit > 0)", View::Customer, &none));
    assert!(!matches(
        "available_credit - 5 < 100 || in_dispute",
        View::Customer,
        &none
    ));
    assert!(matches(
        "customer_class in [\"A\", null]",
        View::Customer,
        &none
    ));
    assert!(!matches("name.startsWith(\"A\")", View::Customer, &none));
    assert!(!matches("!name.startsWith(\"A\")", View::Customer, &none));
}

#[test]
fn dates_compare_with_dates_written_as_text() {
    let opened = [("date_established", day("2015-01-09"))];
    assert!(matches(
        "date_established < \"2015-02-01\"",
        View::Customer,
        &opened
    ));
    assert!(matches(
        "date_established + 3 == \"2015-01-12\"",
        View::Customer,
        &opened
    ));
    assert!(matches(
        "date_established in [\"2015-01-09\", \"2016-01-01\"]",
        View::Customer,
        &opened
    ));
    let invoice = [
        ("due_date", day("2015-03-02")),
        ("tran_date", day("2015-01-01")),
    ];
    assert!(matches(
        "due_date - tran_date == 60",
        View::Invoice,
        &invoice
    ));
    let e = error("due_date > \"March\"", View::Invoice);
    assert_eq!(e.column, 12);
    assert!(e.message.contains("not a date"), "{e}");
}

#[test]
fn string_functions_and_membership() {
    let acme = [
        ("name", Value::Text("Acme Roofing".into())),
        ("status", Value::Text("Active".into())),
    ];
    assert!(matches("name.startsWith(\"Acme\")", View::Customer, &acme));
    assert!(matches("name.endsWith(\"Roofing\")", View::Customer, &acme));
    assert!(matches("name.contains(\"e R\")", View::Customer, &acme));
    assert!(!matches("name.contains(\"acme\")", View::Customer, &acme));
    assert!(matches(
        "status in [\"Active\", \"Hold\"]",
        View::Customer,
        &acme
    ));
    assert!(!matches("status in []", View::Customer, &acme));
    assert!(matches(
        "name + \"!\" == \"Acme Roofing!\"",
        View::Customer,
        &acme
    ));
}

#[test]
fn unknown_fields_suggest_the_nearest_name() {
    let e = error("total_pastdue > 500", View::Customer);
    assert_eq!(e.column, 1);
    assert_eq!(
        e.message,
        "unknown field \"total_pastdue\", did you mean \"total_past_due\"?"
    );
    let e = error("balance > 0 && customer.credit_hld", View::Invoice);
    assert_eq!(e.column, 16);
    assert_eq!(
        e.message,
        "unknown field \"customer.credit_hld\", did you mean \"customer.credit_hold\"?"
    );
    let e = error("tran_type == \"IN\"", View::Customer);
    assert_eq!(e.message, "unknown field \"tran_type\"");
}

#[test]
fn type_errors_name_what_was_mixed() {
    let cases = [
        (
            "name > 5",
            View::Customer,
            8,
            "cannot compare a text with a number",
        ),
        (
            "total_age",
            View::Customer,
            1,
            "must be true or false; this one gives a number",
        ),
        (
            "credit_hold > false",
            View::Customer,
            15,
            "true/false values have no order",
        ),
        ("!total_age", View::Customer, 2, "\"!\" needs true or false"),
        (
            "over_30 > 0 && name",
            View::Customer,
            16,
            "\"&&\" joins true/false values",
        ),
        (
            "name + 1 == \"x\"",
            View::Customer,
            8,
            "cannot add a text and a number",
        ),
        (
            "status in [\"A\", 1]",
            View::Customer,
            17,
            "holds text values only",
        ),
        (
            "status in [name]",
            View::Customer,
            12,
            "holds literal values",
        ),
        ("status in name", View::Customer, 11, "needs a list"),
        (
            "over_30 < null",
            View::Customer,
            11,
            "null can only be compared with == or !=",
        ),
        (
            "name.contains(5)",
            View::Customer,
            1,
            "contains works on text",
        ),
        ("[1] == 1", View::Customer, 1, "a list can only follow"),
    ];
    for (text, view, column, message) in cases {
        let e = error(text, view);
        assert!(e.message.contains(message), "{text}: {e}");
        assert_eq!(e.column, column, "{text}: {e}");
    }
}

#[test]
fn run_time_failures_name_their_column() {
    let zero = [("total_age", money("0")), ("over_30", money("5"))];
    let filter = Filter::new("over_30 / total_age > 0.5", View::Customer).unwrap();
    let e = filter.matches(&row(View::Customer, &zero)).unwrap_err();
    assert_eq!((e.column, e.message.as_str()), (11, "division by zero"));
    let guarded =
        Filter::new("total_age > 0 && over_30 / total_age > 0.5", View::Customer).unwrap();
    assert!(!guarded.matches(&row(View::Customer, &zero)).unwrap());
}

#[test]
fn explain_reports_each_comparison_with_its_values() {
    let filter = Filter::new("total_past_due > 500 && over_60 > 0", View::Customer).unwrap();
    let values = row(
        View::Customer,
        &[("total_past_due", money("1250")), ("over_60", money("310"))],
    );
    let (matched, seen) = filter.explain(&values).unwrap();
    assert!(matched);
    let shown: Vec<String> = seen
        .iter()
        .map(|c| {
            format!(
                "{} {:?} {} {}",
                c.left,
                c.left_value,
                c.op.symbol(),
                c.right
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            "total_past_due Decimal(1250.0000) > 500",
            "over_60 Decimal(310.0000) > 0"
        ]
    );
}

// Generated filters over the customer view, by type, and generated rows to run them on.

const BOOLS: [&str; 3] = ["credit_hold", "in_dispute", "has_promise"];
const INTS: [&str; 4] = [
    "no_over_due_inv",
    "days_to_respond",
    "open_issue_cnt",
    "tag_count",
];
const DECIMALS: [&str; 5] = [
    "total_past_due",
    "over_60",
    "credit_limit",
    "dso",
    "avg_days_late",
];
const TEXTS: [&str; 4] = ["customer_class", "status", "name", "credit_class"];
const DATES: [&str; 3] = [
    "date_established",
    "oldest_issue_date",
    "last_activity_date",
];
const WORDS: [&str; 5] = ["", "A", "RETAIL", "Acme \"Co\"", "Active"];

fn node(kind: ExprKind) -> Expr {
    Expr { column: 1, kind }
}

fn field(names: &'static [&'static str]) -> impl Strategy<Value = Expr> {
    proptest::sample::select(names).prop_map(|n| node(ExprKind::Field(vec![n.to_owned()])))
}

fn binary(op: BinaryOp, l: Expr, r: Expr) -> Expr {
    node(ExprKind::Binary(op, Box::new(l), Box::new(r)))
}

fn decimal_literal() -> impl Strategy<Value = Literal> {
    (0i64..100_000, 1u32..5).prop_map(|(m, s)| Literal::Decimal(Decimal::new(m, s)))
}

fn number() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        field(&INTS),
        field(&DECIMALS),
        (0i64..1000).prop_map(|i| node(ExprKind::Literal(Literal::Int(i)))),
        decimal_literal().prop_map(|l| node(ExprKind::Literal(l))),
        (field(&DATES), field(&DATES)).prop_map(|(a, b)| binary(BinaryOp::Sub, a, b)),
    ];
    leaf.prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            (
                proptest::sample::select(
                    &[BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div][..]
                ),
                inner.clone(),
                inner.clone()
            )
                .prop_map(|(op, l, r)| binary(op, l, r)),
            inner.prop_map(|e| node(ExprKind::Unary(UnaryOp::Neg, Box::new(e)))),
        ]
    })
}

fn text() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        field(&TEXTS),
        proptest::sample::select(&WORDS[..])
            .prop_map(|w| node(ExprKind::Literal(Literal::Text(w.to_owned())))),
    ];
    leaf.prop_recursive(1, 3, 2, |inner| {
        (inner.clone(), inner).prop_map(|(l, r)| binary(BinaryOp::Add, l, r))
    })
}

fn date() -> impl Strategy<Value = Expr> {
    prop_oneof![
        field(&DATES),
        (field(&DATES), 0i64..40).prop_map(|(d, n)| binary(
            BinaryOp::Add,
            d,
            node(ExprKind::Literal(Literal::Int(n)))
        )),
    ]
}

fn comparison_op() -> impl Strategy<Value = BinaryOp> {
    proptest::sample::select(&BinaryOp::COMPARISONS[..])
}

fn leaf() -> impl Strategy<Value = Expr> {
    prop_oneof![
        field(&BOOLS),
        any::<bool>().prop_map(|b| node(ExprKind::Literal(Literal::Bool(b)))),
        (comparison_op(), number(), number()).prop_map(|(op, l, r)| binary(op, l, r)),
        (comparison_op(), text(), text()).prop_map(|(op, l, r)| binary(op, l, r)),
        (comparison_op(), date(), date()).prop_map(|(op, l, r)| binary(op, l, r)),
        (comparison_op(), field(&DATES), 0u32..60).prop_map(|(op, d, n)| {
            let text = format!("2015-01-{:02}", n % 28 + 1);
            binary(op, d, node(ExprKind::Literal(Literal::Text(text))))
        }),
        (field(&DECIMALS), any::<bool>()).prop_map(|(f, eq)| binary(
            if eq { BinaryOp::Eq } else { BinaryOp::Ne },
            f,
            node(ExprKind::Literal(Literal::Null))
        )),
        (
            field(&TEXTS),
            proptest::collection::vec(proptest::sample::select(&WORDS[..]), 0..3)
        )
            .prop_map(|(f, words)| {
                let items = words
                    .into_iter()
                    .map(|w| node(ExprKind::Literal(Literal::Text(w.to_owned()))))
                    .collect();
                binary(BinaryOp::In, f, node(ExprKind::List(items)))
            }),
        (
            proptest::sample::select(
                &[Function::StartsWith, Function::EndsWith, Function::Contains][..]
            ),
            text(),
            text()
        )
            .prop_map(|(f, s, p)| node(ExprKind::Call(f, Box::new(s), Box::new(p)))),
    ]
}

fn condition() -> impl Strategy<Value = Expr> {
    leaf().prop_recursive(3, 16, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(l, r)| binary(BinaryOp::And, l, r)),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| binary(BinaryOp::Or, l, r)),
            inner.prop_map(|e| node(ExprKind::Unary(UnaryOp::Not, Box::new(e)))),
        ]
    })
}

fn value_of(ty: Type) -> BoxedStrategy<Value> {
    let present: BoxedStrategy<Value> = match ty {
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::Int => (-40i64..40).prop_map(Value::Int).boxed(),
        Type::Decimal => prop_oneof![
            (-2_000_000i64..2_000_000).prop_map(|r| Value::Money(Money::from_raw(r))),
            Just(Value::Money(Money::ZERO)),
            (-5000i64..5000).prop_map(|r| Value::Rate(Decimal::new(r, 2))),
        ]
        .boxed(),
        Type::Text => proptest::sample::select(&WORDS[..])
            .prop_map(|w| Value::Text(w.to_owned()))
            .boxed(),
        Type::Date => (0u32..60)
            .prop_map(|n| {
                Value::Date(
                    NaiveDate::from_ymd_opt(2015, 1, 1).unwrap() + chrono::Days::new(u64::from(n)),
                )
            })
            .boxed(),
    };
    prop_oneof![1 => Just(Value::None), 4 => present].boxed()
}

fn customer_row() -> impl Strategy<Value = Vec<Value>> {
    let catalog = View::Customer.catalog();
    (0..catalog.len())
        .map(|slot| value_of(catalog.field_type(slot)))
        .collect::<Vec<_>>()
}

proptest! {
    /// Printing a filter and parsing the print gives the same filter.
    #[test]
    fn printing_then_parsing_gives_the_same_filter(expr in condition()) {
        let printed = expr.to_string();
        let parsed = parse(&printed).map_err(|e| TestCaseError::fail(format!("{printed}: {e}")))?;
        prop_assert_eq!(&parsed, &expr, "{}", printed);
        prop_assert_eq!(parsed.to_string(), printed);
    }

    /// The compiled filter and the direct evaluation of its tree agree on every row.
    #[test]
    fn compiled_filters_agree_with_direct_evaluation(
        expr in condition(),
        rows in proptest::collection::vec(customer_row(), 1..8),
    ) {
        let printed = expr.to_string();
        let filter = Filter::new(&printed, View::Customer)
            .map_err(|e| TestCaseError::fail(format!("{printed}: {e}")))?;
        for row in &rows {
            let compiled = filter.matches(row);
            let direct = evaluate(filter.expr(), View::Customer.catalog(), row, &mut None)
                .map(|v| v == Dynamic::Bool(true));
            prop_assert_eq!(compiled, direct, "{}", printed);
        }
    }

    /// Filters run as one set, sharing the tests they have in common, give on every row what
    /// each gives on its own, in any order they are asked: over a few rows and over batches
    /// of more than one word of 64, whose tests are made over whole columns or over the few
    /// rows still undecided.
    #[test]
    fn a_set_of_filters_agrees_with_each_filter_alone(
        pool in proptest::collection::vec(leaf(), 1..5),
        shapes in proptest::collection::vec(
            (any::<bool>(), proptest::collection::vec(0usize..5, 1..5)),
            1..7,
        ),
        rows in prop_oneof![
            3 => proptest::collection::vec(customer_row(), 1..6),
            1 => proptest::collection::vec(customer_row(), 65..100),
        ],
    ) {
        let filters: Vec<Filter> = shapes
            .iter()
            .map(|(or, picks)| {
                let text = picks
                    .iter()
                    .map(|p| format!("({})", pool[p % pool.len()]))
                    .collect::<Vec<_>>()
                    .join(if *or { " || " } else { " && " });
                Filter::new(&text, View::Customer)
                    .map_err(|e| TestCaseError::fail(format!("{text}: {e}")))
            })
            .collect::<Result<_, _>>()?;
        let set = FilterSet::new(View::Customer, &filters);
        let mut verdicts = Verdicts::default();
        set.run(&rows, &mut verdicts);
        prop_assert_eq!(verdicts.rows(), rows.len());
        for (r, row) in rows.iter().enumerate() {
            for (n, filter) in filters.iter().enumerate() {
                prop_assert_eq!(
                    verdicts.get(n, r).map_err(Clone::clone),
                    filter.matches(row),
                    "{}",
                    filter
                );
            }
        }
    }
}

/// The rungs of a ladder share their first tests: the set makes each once per row.
#[test]
fn a_set_makes_each_shared_test_once() {
    let rungs = [
        "tran_type != \"CM\" && balance > 0 && due_date_days >= 1",
        "tran_type != \"CM\" && balance > 0 && due_date_days >= 5 && due_date_days < 30",
        "balance > 0 && tran_type != \"CM\" && due_date_days >= 30",
        "balance > 0.00001",
    ];
    let filters: Vec<Filter> = rungs
        .iter()
        .map(|t| Filter::new(t, View::Invoice).unwrap())
        .collect();
    let set = FilterSet::new(View::Invoice, &filters);
    assert_eq!(set.len(), 4);
    // tran_type, balance > 0, four day tests and the balance above 0.00001.
    assert_eq!(set.tests(), 7);
    let cases = [
        ("IN", "10.00", 12, [true, true, false, true]),
        ("CM", "10.00", 12, [false, false, false, true]),
        ("IN", "0", 40, [false, false, false, false]),
        ("FC", "0.0001", 40, [true, false, true, true]),
    ];
    let items: Vec<_> = cases
        .iter()
        .map(|(tran_type, balance, days, _)| {
            row(
                View::Invoice,
                &[
                    ("tran_type", Value::Text((*tran_type).into())),
                    ("balance", money(balance)),
                    ("due_date_days", Value::Int(*days)),
                ],
            )
        })
        .collect();
    let mut verdicts = Verdicts::default();
    set.run(&items, &mut verdicts);
    for (r, (tran_type, balance, days, expected)) in cases.iter().enumerate() {
        let got: Vec<bool> = (0..4).map(|n| verdicts.get(n, r).unwrap()).collect();
        assert_eq!(&got, expected, "{tran_type} {balance} {days}");
    }
}

/// Over a batch, a chain stops for each row at its first deciding test: the division of a
/// later test runs only where the earlier ones did not decide, and fails only there.
#[test]
fn a_batch_stops_each_row_where_its_chain_is_decided() {
    let filters: Vec<Filter> = [
        "total_age > 0 && over_60 / total_age > 0.5",
        "over_60 / total_age > 0.5",
        "total_age == 0 || over_60 / total_age > 0.5",
    ]
    .iter()
    .map(|t| Filter::new(t, View::Customer).unwrap())
    .collect();
    let set = FilterSet::new(View::Customer, &filters);
    let rows: Vec<Vec<Value>> = [("0", "0"), ("100.00", "60.00"), ("100.00", "40.00")]
        .iter()
        .map(|(total, over)| {
            row(
                View::Customer,
                &[("total_age", money(total)), ("over_60", money(over))],
            )
        })
        .collect();
    let mut verdicts = Verdicts::default();
    set.run(&rows, &mut verdicts);
    let got = |f: usize| -> Vec<Result<bool, String>> {
        (0..rows.len())
            .map(|r| verdicts.get(f, r).map_err(|e| e.message.clone()))
            .collect()
    };
    assert_eq!(got(0), [Ok(false), Ok(true), Ok(false)]);
    assert_eq!(
        got(1),
        [Err("division by zero".to_owned()), Ok(true), Ok(false)]
    );
    assert_eq!(got(2), [Ok(true), Ok(true), Ok(false)]);
}
