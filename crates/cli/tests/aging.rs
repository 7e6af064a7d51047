//! `arrears aging`: the figures of sections 3 and 5 through the real binary, on the store under test.

mod common;

use common::{COMPANIES, TestDb, field, row};
use proptest::prelude::*;

/// The glossary's book: an invoice of 2015-01-01 on Net60, a credit memo, a future invoice.
fn glossary(db: &TestDb) {
    db.import(
        "glossary",
        &[
            ("companies.csv", COMPANIES),
            ("customers.csv", "company_id,customer_id,name,credit_limit,payment_terms\nUS01,GEHITACHI,GE Hitachi,15000,Net60\nUS01,C2,Acme,,Net30\n"),
            (
                "invoices.csv",
                "company_id,customer_id,tran_id,tran_type,tran_date,due_date,amount,balance\n\
US01,GEHITACHI,I100,IN,2015-01-01,2015-03-02,7000,7000\n\
US01,GEHITACHI,I101,IN,2015-02-15,2015-04-16,3000,3000\n\
US01,C2,I200,IN,2014-12-18,2015-03-18,500,200\n\
US01,C2,M1,CM,2015-01-01,,-50,-50\n\
US01,C2,I201,IN,2015-06-01,2015-07-01,900,900\n",
            ),
        ],
        "2015-03-15",
    );
}

#[test]
fn glossary_invoice_is_73_days_old_in_age_2_and_13_days_late_in_due_age_1() {
    let db = TestDb::new();
    glossary(&db);
    let rows = db.aging_json(&["--by", "invoice", "--as-of", "2015-03-15"]);
    let i = row(&rows, "tran_id", "I100");
    assert_eq!(field(i, "tran_date_days"), "73");
    assert_eq!(field(i, "due_date_days"), "13");
    assert_eq!(field(i, "age_2"), "7000.00");
    assert_eq!(field(i, "due_age_1"), "7000.00");
    assert_eq!(field(i, "age_current"), "0.00");
}

#[test]
fn due_date_days_is_minus_3_three_days_before_the_due_date() {
    let db = TestDb::new();
    glossary(&db);
    let rows = db.aging_json(&["--by", "invoice", "--as-of", "2015-03-15"]);
    let i = row(&rows, "tran_id", "I200");
    assert_eq!(field(i, "due_date_days"), "-3");
    assert_eq!(field(i, "due_current"), "200.00");
    assert_eq!(field(i, "percent_paid"), "0.60");
}

#[test]
fn available_credit_is_15000_less_10000() {
    let db = TestDb::new();
    glossary(&db);
    let rows = db.aging_json(&["--as-of", "2015-03-15"]);
    let c = row(&rows, "customer_id", "GEHITACHI");
    assert_eq!(field(c, "total_age"), "10000.00");
    assert_eq!(field(c, "credit_limit"), "15000.00");
    assert_eq!(field(c, "available_credit"), "5000.00");
    assert_eq!(field(c, "total_past_due"), "7000.00");
    assert_eq!(field(c, "no_over_due_inv"), "1");
    assert_eq!(field(c, "oldest_tran_date_days"), "73");
    assert_eq!(
        field(row(&rows, "customer_id", "C2"), "available_credit"),
        ""
    );
}

#[test]
fn future_dated_items_are_in_age_future_and_credit_memos_age_by_tran_date() {
    let db = TestDb::new();
    glossary(&db);
    let rows = db.aging_json(&["--by", "invoice", "--as-of", "2015-03-15"]);
    assert_eq!(field(row(&rows, "tran_id", "I201"), "age_future"), "900.00");
    let memo = row(&rows, "tran_id", "M1");
    assert_eq!(field(memo, "tran_date_days"), "73");
    assert_eq!(field(memo, "due_date_days"), "73");
    assert_eq!(field(memo, "due_age_3"), "-50.00");
    let customers = db.aging_json(&["--as-of", "2015-03-15"]);
    let c2 = row(&customers, "customer_id", "C2");
    assert_eq!(field(c2, "age_future"), "900.00");
    assert_eq!(field(c2, "total_age"), "1050.00");
    assert_eq!(field(c2, "over_60"), "-50.00");
    assert_eq!(field(c2, "no_over_due_inv"), "0");
}

#[test]
fn aging_units_are_settings_of_both_scales() {
    let db = TestDb::new();
    glossary(&db);
    db.ok(&["settings", "set", "aging_units", "15,45,75,105"]);
    db.ok(&["settings", "set", "due_aging_units", "10,20,30,40"]);
    assert_eq!(
        db.ok(&["settings", "get", "aging_units"]).trim(),
        "15,45,75,105"
    );
    let rows = db.aging_json(&["--by", "invoice", "--as-of", "2015-03-15"]);
    let i = row(&rows, "tran_id", "I100");
    assert_eq!(field(i, "age_2"), "7000.00", "73 days falls in 46–75");
    assert_eq!(field(i, "due_age_2"), "7000.00", "13 days falls in 11–20");
    assert_eq!(field(i, "over_30"), "7000.00");
    assert_eq!(field(i, "over_60"), "0.00");
}

#[test]
fn credit_apr_sets_the_cost_of_credit() {
    let db = TestDb::new();
    glossary(&db);
    let coc = |db: &TestDb| {
        field(
            row(
                &db.aging_json(&["--as-of", "2015-03-15"]),
                "customer_id",
                "GEHITACHI",
            ),
            "coc_balance",
        )
    };
    // 7000 × 10% × 73/365 + 3000 × 10% × 28/365 = 140 + 23.0137 = 163.01
    assert_eq!(coc(&db), "163.01");
    db.ok(&["settings", "set", "credit_apr", "8"]);
    assert_eq!(coc(&db), "130.41");
}

#[test]
fn the_company_option_keeps_one_company_and_refuses_an_unknown_one() {
    let db = TestDb::new();
    glossary(&db);
    db.import(
        "second",
        &[
            (
                "companies.csv",
                "company_id,name,home_currency\nCA01,Demo Canada,CAD\n",
            ),
            (
                "customers.csv",
                "company_id,customer_id,name\nCA01,K1,Maple\n",
            ),
        ],
        "2015-03-15",
    );
    let rows = db.aging_json(&["--company", "CA01"]);
    assert_eq!(rows.len(), 1);
    assert_eq!(field(&rows[0], "customer_id"), "K1");
    let err = db.fails(&["aging", "--company", "XX"]);
    assert_eq!(
        err.trim(),
        "arrears: --company: no company \"XX\" in the store"
    );
}

#[test]
fn company_rows_total_their_customers() {
    let db = TestDb::new();
    glossary(&db);
    let rows = db.aging_json(&["--by", "company", "--as-of", "2015-03-15"]);
    let us = row(&rows, "company_id", "US01");
    assert_eq!(field(us, "customers"), "2");
    assert_eq!(field(us, "total_age"), "11050.00");
    assert_eq!(field(us, "available_credit"), "");
}

#[test]
fn csv_and_table_formats_print_the_same_figures() {
    let db = TestDb::new();
    glossary(&db);
    let csv = db.ok(&[
        "aging",
        "--format",
        "csv",
        "--as-of",
        "2015-03-15",
        "--columns",
        "customer_id,total_age,due_age_1,dso",
    ]);
    // DSO: 1050 / (500 − 50) × 365 and 10000 / 10000 × 365; the future invoice is no sale yet.
    assert_eq!(
        csv,
        "customer_id,total_age,due_age_1,dso\nC2,1050.00,0.00,851.67\nGEHITACHI,10000.00,7000.00,365.00\n"
    );
    let table = db.ok(&["aging", "--as-of", "2015-03-15"]);
    insta::assert_snapshot!("glossary_table", table);
    let err = db.fails(&["aging", "--columns", "total_pastdue"]);
    assert!(err.contains("no column \"total_pastdue\""), "{err}");
}

/// One invoice row of a generated book.
fn invoice_line(n: usize, age: u32, terms: u32, cents: u32, open: bool) -> String {
    let tran =
        chrono::NaiveDate::from_ymd_opt(2015, 6, 30).unwrap() - chrono::Days::new(u64::from(age));
    let due = tran + chrono::Days::new(u64::from(terms));
    let amount = format!("{}.{:02}", cents / 100, cents % 100);
    let balance = if open { amount.clone() } else { "0".into() };
    format!("US01,C{},I{n},IN,{tran},{due},{amount},{balance}\n", n % 3)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    /// However the book is ordered and split across syncs, the aging is the same.
    #[test]
    fn aging_does_not_depend_on_row_order_or_how_syncs_split_the_book(
        lines in prop::collection::vec((0u32..400, 0u32..90, 1u32..5_000_000, any::<bool>()), 1..25),
        cut in 0usize..25,
    ) {
        let header = "company_id,customer_id,tran_id,tran_type,tran_date,due_date,amount,balance\n";
        let rows: Vec<String> = lines.iter().enumerate().map(|(n, (a, t, c, o))| invoice_line(n, *a, *t, *c, *o)).collect();
        let customers = "company_id,customer_id,name\nUS01,C0,A\nUS01,C1,B\nUS01,C2,C\n";
        let whole = TestDb::new();
        whole.import("whole", &[("companies.csv", COMPANIES), ("customers.csv", customers), ("invoices.csv", &(header.to_owned() + &rows.concat()))], "2015-06-30");
        let split = TestDb::new();
        let cut = cut.min(rows.len());
        let mut reversed = rows.clone();
        reversed.reverse();
        let (first, second) = reversed.split_at(cut);
        split.import("one", &[("companies.csv", COMPANIES), ("customers.csv", customers), ("invoices.csv", &(header.to_owned() + &first.concat()))], "2015-06-30");
        split.import("two", &[("invoices.csv", &(header.to_owned() + &second.concat()))], "2015-06-30");
        let args = ["aging", "--format", "csv", "--as-of", "2015-06-30"];
        prop_assert_eq!(whole.ok(&args), split.ok(&args));
        let by_invoice = ["aging", "--by", "invoice", "--format", "csv", "--as-of", "2015-06-30"];
        prop_assert_eq!(whole.ok(&by_invoice), split.ok(&by_invoice));
    }
}
