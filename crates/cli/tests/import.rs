//! `arrears import`: the rules of a sync, through the real binary, on the store under test.

mod common;

use common::{COMPANIES, TestDb, field, path, row};

const CUSTOMERS: &str = "company_id,customer_id,name,credit_limit,currency,parent_id\n\
US01,C1,Acme Hardware,15000,USD,\n\
US01,C2,Acme West,,USD,C1\n\
US01,C3,Maple Foods,5000.5,CAD,\n";

const INVOICES: &str = "company_id,customer_id,tran_id,tran_type,tran_date,due_date,amount,balance\n\
US01,C1,I1,IN,2015-01-01,2015-03-02,4000,4000\n\
US01,C1,I2,IN,2015-01-10,2015-02-09,6000,6000\n\
US01,C2,I3,,2015-02-01,2015-03-03,100.25,0\n";

fn book(db: &TestDb) -> String {
    db.import(
        "book",
        &[
            ("companies.csv", COMPANIES),
            ("customers.csv", CUSTOMERS),
            ("invoices.csv", INVOICES),
        ],
        "2015-03-15",
    )
}

#[test]
fn a_good_sync_reports_each_file_and_is_recorded() {
    let db = TestDb::new();
    let summary = book(&db);
    assert!(
        summary.contains("companies.csv 1 rows (1 new, 0 changed, 0 unchanged)"),
        "{summary}"
    );
    assert!(
        summary.contains("customers.csv 3 rows (3 new, 0 changed, 0 unchanged)"),
        "{summary}"
    );
    assert!(
        summary.contains("invoices.csv 3 rows (3 new, 0 changed, 0 unchanged)"),
        "{summary}"
    );
    assert_eq!(summary.lines().count(), 1);
    let syncs = db.ok(&["syncs", "--format", "csv"]);
    assert!(syncs.contains(",2015-03-15,ok,tester,"), "{syncs}");
    assert!(syncs.contains(",invoices.csv,3,3,0,0,0"), "{syncs}");
}

#[test]
fn importing_the_same_folder_twice_changes_nothing() {
    let db = TestDb::new();
    book(&db);
    let before = db.ok(&["aging", "--format", "csv", "--as-of", "2015-03-15"]);
    let again = book(&db);
    assert!(
        again.contains("customers.csv 3 rows (0 new, 0 changed, 3 unchanged)"),
        "{again}"
    );
    assert!(
        again.contains("invoices.csv 3 rows (0 new, 0 changed, 3 unchanged)"),
        "{again}"
    );
    assert_eq!(
        db.ok(&["aging", "--format", "csv", "--as-of", "2015-03-15"]),
        before
    );
}

/// The book again a day later with I2 paid down to 1,000: one changed row, which C1's
/// aging follows; gives the aging of that day.
fn pay_down_i2(db: &TestDb) -> Vec<serde_json::Value> {
    let paid = INVOICES.replace(
        "US01,C1,I2,IN,2015-01-10,2015-02-09,6000,6000",
        "US01,C1,I2,IN,2015-01-10,2015-02-09,6000,1000",
    );
    let summary = db.import("paid", &[("invoices.csv", &paid)], "2015-03-16");
    assert!(
        summary.contains("invoices.csv 3 rows (0 new, 1 changed, 2 unchanged)"),
        "{summary}"
    );
    let rows = db.aging_json(&["--as-of", "2015-03-16"]);
    assert_eq!(
        field(row(&rows, "customer_id", "C1"), "total_age"),
        "5000.00"
    );
    rows
}

#[test]
fn a_changed_row_updates_its_record() {
    let db = TestDb::new();
    book(&db);
    pay_down_i2(&db);
}

#[test]
fn every_problem_is_reported_with_file_line_and_column_and_nothing_is_written() {
    let db = TestDb::new();
    let bad_invoices = "company_id,customer_id,tran_id,tran_type,tran_date,due_date,amount,balance\n\
US01,C1,I1,IN,2024-13-45,2015-03-02,4000,4000\n\
US01,C1,I2,XX,2015-01-10,2015-02-09,6000,6000\n\
US01,C1,I3,IN,2015-01-10,,6000,6000\n\
US01,C9,I4,IN,2015-01-10,2015-02-09,6000,6000\n\
US01,C1,I5,IN,2015-01-10,2015-02-09,12.34567,1\n\
US01,C1,I6,IN,2015-01-10,2015-02-09,1 000,1\n\
US01,C1,I1,IN,2015-01-10,2015-02-09,1,1\n\
US01,C1,I7,IN,2015-01-10,2015-02-09\n\
US01,C3,I8,IN,2015-01-10,2015-02-09,10,10\n\
US01,C1,I9,IN,2015-01-10,2015-02-09,,10\n";
    let dir = db.folder(
        "bad",
        &[
            ("companies.csv", COMPANIES),
            ("customers.csv", CUSTOMERS),
            ("invoices.csv", bad_invoices),
        ],
    );
    let err = db.fails(&["import", path(&dir), "--as-of", "2015-03-15"]);
    for expected in [
        "invoices.csv:2: tran_date: not a date \"2024-13-45\", expected YYYY-MM-DD",
        "invoices.csv:3: tran_type: unknown tran_type \"XX\", expected IN, CM, FC or DM",
        "invoices.csv:4: due_date: required for tran_type IN",
        "invoices.csv:5: customer_id: customer \"C9\" is neither in the store nor in this sync",
        "invoices.csv:6: amount: amount \"12.34567\" has more than 4 decimals",
        "invoices.csv:7: amount: not an amount \"1 000\"",
        "invoices.csv:8: tran_id: duplicate key, first on line 2",
        "invoices.csv:9: (row): row has 6 fields, the header has 8",
        "invoices.csv:10: amount_hc: required when the currency (CAD) is not the company's home currency",
        "invoices.csv:11: amount: required value missing",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in\n{err}");
    }
    assert!(
        err.contains("failed with 11 problem(s); nothing was imported"),
        "{err}"
    );
    assert_eq!(
        db.ok(&["aging", "--format", "csv"]).lines().count(),
        1,
        "nothing was written"
    );
    let syncs = db.ok(&["syncs", "--format", "csv", "--problems"]);
    assert!(syncs.contains(",failed,"), "{syncs}");
    assert!(
        syncs.contains("sync 1: invoices.csv:2: tran_date: not a date"),
        "{syncs}"
    );
}

#[test]
fn missing_required_columns_are_named() {
    let db = TestDb::new();
    let dir = db.folder(
        "cols",
        &[
            ("companies.csv", COMPANIES),
            ("customers.csv", "company_id,name\nUS01,Acme\n"),
        ],
    );
    let err = db.fails(&["import", path(&dir)]);
    assert!(
        err.contains("customers.csv:1: customer_id: required column missing"),
        "{err}"
    );
}

#[test]
fn references_must_exist_in_the_store_or_the_same_folder() {
    let db = TestDb::new();
    let dir = db.folder(
        "refs",
        &[
            (
                "customers.csv",
                "company_id,customer_id,name,parent_id\nZZ,C1,Acme,\n",
            ),
            ("companies.csv", COMPANIES),
            (
                "payments.csv",
                "company_id,customer_id,payment_id,payment_date,amount\nUS01,C7,P1,2015-01-01,10\n",
            ),
            (
                "payment_applications.csv",
                "company_id,payment_id,tran_id,amount\nUS01,P9,I1,10\nUS01,P1,I404,10\n",
            ),
        ],
    );
    let err = db.fails(&["import", path(&dir)]);
    for expected in [
        "customers.csv:2: company_id: company \"ZZ\" is neither in the store nor in this sync",
        "payments.csv:2: customer_id: customer \"C7\" is neither in the store nor in this sync",
        "payment_applications.csv:2: payment_id: payment \"P9\" is neither in the store nor in this sync",
        "payment_applications.csv:3: tran_id: invoice \"I404\" is neither in the store nor in this sync",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in\n{err}");
    }
    let parent = db.folder(
        "parent",
        &[
            ("companies.csv", COMPANIES),
            (
                "customers.csv",
                "company_id,customer_id,name,parent_id\nUS01,C2,Child,C404\n",
            ),
        ],
    );
    let err = db.fails(&["import", path(&parent)]);
    assert!(
        err.contains(
            "customers.csv:2: parent_id: customer \"C404\" is neither in the store nor in this sync"
        ),
        "{err}"
    );
}

#[test]
fn a_later_sync_may_refer_to_what_an_earlier_one_stored() {
    let db = TestDb::new();
    book(&db);
    let summary = db.import(
        "payments",
        &[
            ("payments.csv", "company_id,customer_id,payment_id,payment_date,amount\nUS01,C2,P1,2015-02-20,100.25\n"),
            ("payment_applications.csv", "company_id,payment_id,tran_id,amount,applied_date\nUS01,P1,I3,100.25,2015-02-21\n"),
        ],
        "2015-03-15",
    );
    assert!(
        summary.contains("payment_applications.csv 1 rows (1 new"),
        "{summary}"
    );
}

#[test]
fn bad_utf8_and_bad_booleans_are_reported() {
    let db = TestDb::new();
    let dir = db.folder("enc", &[("companies.csv", COMPANIES)]);
    std::fs::write(
        dir.join("customers.csv"),
        b"company_id,customer_id,name,credit_hold\nUS01,C1,Caf\xe9,maybe\n",
    )
    .unwrap();
    let err = db.fails(&["import", path(&dir)]);
    assert!(
        err.contains("customers.csv:2: name: not valid UTF-8"),
        "{err}"
    );
    assert!(
        err.contains("customers.csv:2: credit_hold: not a boolean \"maybe\""),
        "{err}"
    );
}

#[test]
fn unknown_columns_and_files_are_warnings() {
    let db = TestDb::new();
    let dir = db.folder(
        "warn",
        &[
            (
                "companies.csv",
                "company_id,name,home_currency,colour\nUS01,Demo,USD,red\n",
            ),
            ("notes.csv", "x\n"),
        ],
    );
    let out = db.arrears(&["import", path(&dir)]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: companies.csv:1: colour: unknown column, ignored"),
        "{stderr}"
    );
    assert!(
        stderr.contains("warning: notes.csv: not a sync file, ignored"),
        "{stderr}"
    );
}

#[test]
fn foreign_currency_needs_home_amounts_and_ages_in_home_currency() {
    let db = TestDb::new();
    book(&db);
    db.import(
        "cad",
        &[("invoices.csv", "company_id,customer_id,tran_id,tran_date,due_date,amount,balance,amount_hc,balance_hc\nUS01,C3,I9,2015-03-01,2015-03-31,100,100,73,73\n")],
        "2015-03-15",
    );
    let rows = db.aging_json(&["--as-of", "2015-03-15"]);
    assert_eq!(field(row(&rows, "customer_id", "C3"), "total_age"), "73.00");
    assert_eq!(
        field(row(&rows, "customer_id", "C3"), "available_credit"),
        "4927.50"
    );
}

#[test]
fn credit_memos_are_credits_whatever_their_sign_in_the_file() {
    let db = TestDb::new();
    book(&db);
    db.import(
        "cm",
        &[("invoices.csv", "company_id,customer_id,tran_id,tran_type,tran_date,amount,balance\nUS01,C2,M1,CM,2015-03-01,250,250\n")],
        "2015-03-15",
    );
    let rows = db.aging_json(&["--by", "invoice", "--as-of", "2015-03-15"]);
    let memo = row(&rows, "tran_id", "M1");
    assert_eq!(field(memo, "balance_hc"), "-250.00");
    assert_eq!(field(memo, "due_date_days"), "14");
}

#[test]
fn closing_date_is_the_latest_application_else_the_sync_date() {
    let db = TestDb::new();
    let files = [
        ("companies.csv", COMPANIES),
        (
            "customers.csv",
            "company_id,customer_id,name\nUS01,C1,Acme\n",
        ),
        (
            "invoices.csv",
            "company_id,customer_id,tran_id,tran_date,due_date,amount,balance\n\
US01,C1,I1,2015-01-01,2015-01-31,100,0\n\
US01,C1,I2,2015-01-01,2015-01-31,100,0\n",
        ),
        (
            "payments.csv",
            "company_id,customer_id,payment_id,payment_date,amount\nUS01,C1,P1,2015-02-05,60\nUS01,C1,P2,2015-02-10,40\n",
        ),
        (
            "payment_applications.csv",
            "company_id,payment_id,tran_id,amount,applied_date\nUS01,P1,I1,60,\nUS01,P2,I1,40,2015-02-15\n",
        ),
    ];
    db.import("paid", &files, "2015-03-01");
    // I1 closed 2015-02-15 (45 days to pay, 15 late); I2 closed on the sync date (59 days, 29 late).
    let rows = db.aging_json(&["--as-of", "2015-03-10"]);
    let c1 = row(&rows, "customer_id", "C1");
    assert_eq!(field(c1, "avg_days_to_pay_total"), "52.00");
    assert_eq!(field(c1, "avg_days_late"), "22.00");
    // A later application moves the closing date of an unchanged invoice.
    db.import(
        "late",
        &[
            ("payments.csv", "company_id,customer_id,payment_id,payment_date,amount\nUS01,C1,P3,2015-02-20,100\n"),
            ("payment_applications.csv", "company_id,payment_id,tran_id,amount,applied_date\nUS01,P3,I2,100,2015-02-20\n"),
        ],
        "2015-03-05",
    );
    // I2 now closed 2015-02-20: 50 days to pay, 20 late.
    assert_eq!(c1_days_to_pay(&db), "47.50");
    let rows = db.aging_json(&["--as-of", "2015-03-10"]);
    assert_eq!(
        field(row(&rows, "customer_id", "C1"), "avg_days_late"),
        "17.50"
    );
    // A changed application moves it again; the applications re-sent as they were, with it,
    // move nothing.
    db.import(
        "corrected",
        &[(
            "payment_applications.csv",
            "company_id,payment_id,tran_id,amount,applied_date\n\
             US01,P1,I1,60,\nUS01,P2,I1,40,2015-02-15\nUS01,P3,I2,100,2015-02-25\n",
        )],
        "2015-03-06",
    );
    // I2 now closed 2015-02-25: 55 days to pay, 25 late; I1 still 45 and 15.
    assert_eq!(c1_days_to_pay(&db), "50.00");
    let rows = db.aging_json(&["--as-of", "2015-03-10"]);
    assert_eq!(
        field(row(&rows, "customer_id", "C1"), "avg_days_late"),
        "20.00"
    );
}

#[test]
fn users_and_contacts_import_with_their_rules() {
    let db = TestDb::new();
    let dir = db.folder(
        "users",
        &[
            ("companies.csv", COMPANIES),
            ("users.csv", "user_id,name,role,manager\nc.diaz,Carmen Diaz,collector,mgr\nmgr,Morgan Lee,Manager,\nx,X,boss,\n"),
        ],
    );
    let err = db.fails(&["import", path(&dir)]);
    assert!(
        err.contains("users.csv:4: role: unknown role \"boss\""),
        "{err}"
    );
    let ok = db.import(
        "users2",
        &[
            ("users.csv", "user_id,name,role,manager\nc.diaz,Carmen Diaz,collector,mgr\nmgr,Morgan Lee,Manager,\n"),
            ("companies.csv", COMPANIES),
            ("customers.csv", "company_id,customer_id,name,assigned_user\nUS01,C1,Acme,c.diaz\n"),
            ("contacts.csv", "company_id,customer_id,contact_id,name,is_primary\nUS01,C1,1,Pat,yes\nUS01,C1,2,Sam,no\n"),
        ],
        "2015-03-15",
    );
    assert!(ok.contains("users.csv 2 rows (2 new"), "{ok}");
    assert!(ok.contains("contacts.csv 2 rows (2 new"), "{ok}");
    let rows = db.aging_json(&[]);
    assert_eq!(
        field(row(&rows, "customer_id", "C1"), "assigned_user"),
        "c.diaz"
    );
}

#[test]
fn a_missing_or_empty_folder_is_one_clear_error() {
    let db = TestDb::new();
    let err = db.fails(&["import", "no/such/folder"]);
    assert_eq!(err.trim(), "arrears: no/such/folder: no such folder");
    let empty = db.folder("empty", &[]);
    let err = db.fails(&["import", path(&empty)]);
    assert!(err.contains("no sync files found"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// A store holding the demo book of `customers` customers of 2026-11-23, whose sync files
/// it keeps in its folder's `book`.
fn demo_book(customers: u32) -> TestDb {
    let maker = TestDb::new();
    let customers = customers.to_string();
    maker.ok(&[
        "demo",
        "--customers",
        &customers,
        "--as-of",
        "2026-11-23",
        "--export",
        "book",
    ]);
    maker
}

#[test]
fn a_sync_killed_midway_leaves_the_store_as_it_was() {
    let maker = demo_book(4000);
    let book = maker.dir.path().join("book");
    let db = TestDb::new();
    db.import("first", &[("companies.csv", COMPANIES)], "2026-11-23");
    let before = (
        db.ok(&["aging", "--by", "company", "--format", "csv"]),
        db.ok(&["syncs", "--format", "csv"]),
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_arrears"))
        .args(["import", path(&book), "--quiet"])
        .env("ARREARS_DB", &db.url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the sync ended before it could be killed"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let after = (
        db.ok(&["aging", "--by", "company", "--format", "csv"]),
        db.ok(&["syncs", "--format", "csv"]),
    );
    assert_eq!(after, before);
    let summary = db.ok(&["import", path(&book), "--quiet"]);
    assert!(
        summary.contains("customers.csv 4000 rows (4000 new"),
        "{summary}"
    );
}

/// SQLite's journal mode, read on a connection of its own.
fn journal_mode(db: &TestDb) -> String {
    use sqlx::Connection;
    common::block_on(async {
        let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&mut conn)
            .await
            .unwrap()
    })
}

/// A first book loads whole, whether the sync has the store to itself (on SQLite it then
/// writes under a rollback journal) or another connection holds it open (it keeps its
/// write-ahead log); either way the store is left in its write-ahead log, where readers read
/// while a sync writes, and a second sync over it is told apart from a first. SQLite's cache
/// is kept small, so that the first sync writes pages into the file long before it commits:
/// a read of the store on another connection would then wait for the commit, and fail.
#[test]
fn a_first_book_loads_whole_alone_or_beside_a_reader() {
    let maker = demo_book(300);
    let book = maker.dir.path().join("book");
    let alone = TestDb::new();
    alone.import("first", &[("companies.csv", COMPANIES)], "2026-11-23");
    let import = |db: &TestDb| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_arrears"))
            .args(["import", path(&book), "--quiet", "--as-of", "2026-11-23"])
            .env("ARREARS_DB", &db.url)
            .env("ARREARS_SQLITE_CACHE_KIB", "64")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let summary = import(&alone);
    assert!(
        summary.contains("customers.csv 300 rows (300 new"),
        "{summary}"
    );
    let expected = alone.ok(&["aging", "--by", "customer", "--format", "csv"]);
    assert_eq!(expected.lines().count(), 301, "{expected}");
    let again = import(&alone);
    assert!(again.contains("300 unchanged"), "{again}");
    if alone.is_postgres() {
        return;
    }
    assert_eq!(journal_mode(&alone), "wal");
    let beside = TestDb::new();
    beside.import("first", &[("companies.csv", COMPANIES)], "2026-11-23");
    let reader = common::block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&beside.url).await.unwrap();
        let companies: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM companies")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert!(companies > 0);
        conn
    });
    let summary = import(&beside);
    assert!(
        summary.contains("customers.csv 300 rows (300 new"),
        "{summary}"
    );
    common::block_on(async {
        use sqlx::Connection;
        reader.close().await.unwrap();
    });
    assert_eq!(
        beside.ok(&["aging", "--by", "customer", "--format", "csv"]),
        expected
    );
    assert_eq!(journal_mode(&beside), "wal");
}

#[test]
fn a_cache_size_that_is_not_a_number_is_one_clear_error() {
    let db = TestDb::new();
    if db.is_postgres() {
        return;
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_arrears"))
        .args(["aging"])
        .env("ARREARS_DB", &db.url)
        .env("ARREARS_SQLITE_CACHE_KIB", "lots")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("ARREARS_SQLITE_CACHE_KIB=\"lots\" is not a positive number of KiB"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn a_long_import_on_a_terminal_shows_rows_per_second_and_what_is_left() {
    let maker = demo_book(300);
    let db = TestDb::new();
    let command = format!(
        "{} import {}",
        env!("CARGO_BIN_EXE_arrears"),
        path(&maker.dir.path().join("book"))
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("ARREARS_DB", &db.url)
        .output()
        .expect("script(1) runs the import on a pseudo-terminal");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{shown}");
    assert!(
        shown.contains(".csv: ")
            && shown.contains(" rows, ")
            && shown.contains("rows/s")
            && shown.contains("% read, about"),
        "{shown}"
    );
    assert!(shown.contains("sync 1: companies.csv 3 rows"), "{shown}");
}

#[test]
fn every_file_of_a_whole_book_is_unchanged_the_second_time() {
    let db = TestDb::new();
    db.ok(&[
        "demo",
        "--customers",
        "120",
        "--as-of",
        "2026-11-23",
        "--export",
        "book",
    ]);
    let before = db.ok(&[
        "aging",
        "--by",
        "invoice",
        "--format",
        "csv",
        "--as-of",
        "2026-11-23",
    ]);
    let again = db.ok(&[
        "import",
        path(&db.dir.path().join("book")),
        "--as-of",
        "2026-12-01",
    ]);
    for file in [
        "companies.csv",
        "users.csv",
        "customers.csv",
        "contacts.csv",
        "payments.csv",
        "payment_applications.csv",
        "invoices.csv",
    ] {
        let part = again
            .split("; ")
            .find(|p| p.contains(file))
            .unwrap_or_else(|| panic!("{file} in {again}"));
        assert!(part.contains("(0 new, 0 changed,"), "{part}");
    }
    assert_eq!(
        db.ok(&[
            "aging",
            "--by",
            "invoice",
            "--format",
            "csv",
            "--as-of",
            "2026-11-23"
        ]),
        before
    );
}

#[test]
fn an_application_in_a_later_sync_dates_from_its_stored_payment() {
    let db = TestDb::new();
    db.import(
        "one",
        &[
            ("companies.csv", COMPANIES),
            ("customers.csv", "company_id,customer_id,name\nUS01,C1,Acme\n"),
            ("invoices.csv", "company_id,customer_id,tran_id,tran_date,due_date,amount,balance\nUS01,C1,I1,2015-01-01,2015-01-31,100,0\n"),
            ("payments.csv", "company_id,customer_id,payment_id,payment_date,amount\nUS01,C1,P1,2015-02-04,100\n"),
        ],
        "2015-03-01",
    );
    assert_eq!(c1_days_to_pay(&db), "59.00", "closed on the sync date");
    let summary = db.import(
        "two",
        &[(
            "payment_applications.csv",
            "company_id,payment_id,tran_id,amount\nUS01,P1,I1,100\n",
        )],
        "2015-03-05",
    );
    assert!(
        summary.contains("payment_applications.csv 1 rows (1 new"),
        "{summary}"
    );
    assert_eq!(c1_days_to_pay(&db), "34.00", "closed on the payment's date");
}

#[test]
fn text_keeps_quotes_commas_line_breaks_tabs_and_backslashes() {
    let db = TestDb::new();
    let name = "Smith, Jones & \"Sons\"\nLtd.\tWest\\Branch é";
    let customers = format!(
        "company_id,customer_id,name\nUS01,C1,\"{}\"\n",
        name.replace('"', "\"\"")
    );
    let files = [
        ("companies.csv", COMPANIES),
        ("customers.csv", customers.as_str()),
    ];
    db.import("book", &files, "2015-03-15");
    let rows = db.aging_json(&["--as-of", "2015-03-15"]);
    assert_eq!(field(row(&rows, "customer_id", "C1"), "name"), name);
    let again = db.import("again", &files, "2015-03-15");
    assert!(
        again.contains("customers.csv 1 rows (0 new, 0 changed, 1 unchanged)"),
        "{again}"
    );
}

/// C1's average days to pay its closed invoices, as of 2015-03-10.
/// A closing date a later application moved on an unchanged invoice is the one the invoice's
/// version keeps once the invoice changes: the aging of a day in between pays it then.
#[test]
fn a_moved_closing_date_is_kept_in_the_invoices_next_version() {
    let db = TestDb::new();
    let invoices = |comment: &str| {
        format!(
            "company_id,customer_id,tran_id,tran_date,due_date,amount,balance,comment\n\
             US01,C1,I2,2015-01-01,2015-01-31,100,0,{comment}\n"
        )
    };
    db.import(
        "paid",
        &[
            ("companies.csv", COMPANIES),
            (
                "customers.csv",
                "company_id,customer_id,name\nUS01,C1,Acme\n",
            ),
            ("invoices.csv", &invoices("")),
        ],
        "2015-03-01",
    );
    // Closed on the sync date: 59 days to pay.
    assert_eq!(c1_days_to_pay(&db), "59.00");
    db.import(
        "late",
        &[
            ("payments.csv", "company_id,customer_id,payment_id,payment_date,amount\nUS01,C1,P3,2015-02-20,100\n"),
            ("payment_applications.csv", "company_id,payment_id,tran_id,amount,applied_date\nUS01,P3,I2,100,2015-02-20\n"),
        ],
        "2015-03-05",
    );
    // Closed 2015-02-20: 50 days.
    assert_eq!(c1_days_to_pay(&db), "50.00");
    db.import(
        "noted",
        &[("invoices.csv", &invoices("by cheque"))],
        "2015-03-08",
    );
    for day in ["2015-03-06", "2015-03-10"] {
        let rows = db.aging_json(&["--as-of", day]);
        assert_eq!(
            field(row(&rows, "customer_id", "C1"), "avg_days_to_pay_total"),
            "50.00",
            "as of {day}"
        );
    }
}

fn c1_days_to_pay(db: &TestDb) -> String {
    let rows = db.aging_json(&["--as-of", "2015-03-10"]);
    field(row(&rows, "customer_id", "C1"), "avg_days_to_pay_total")
}

/// The counts of a sync's summary, without its number and time.
fn counts_of(summary: &str) -> Vec<String> {
    summary
        .split("; ")
        .filter(|part| part.contains(".csv"))
        .map(|part| part.rsplit(": ").next().unwrap_or(part).to_owned())
        .collect()
}

/// `file`'s lines with `edit` applied to the data lines (numbered from 1 after the header).
fn edit_lines(dir: &std::path::Path, file: &str, edit: impl Fn(&mut Vec<String>)) {
    let text = std::fs::read_to_string(dir.join(file)).expect("read");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let header = lines.remove(0);
    edit(&mut lines);
    lines.insert(0, header);
    std::fs::write(dir.join(file), lines.join("\n") + "\n").expect("write");
}

#[test]
fn a_resync_that_knows_unchanged_lines_ends_as_one_that_reads_every_row() {
    // Two stores take the same three syncs; one forgets what it remembers of each file before
    // every sync, so it reads every row in full. Their counts and books must agree.
    let (remembering, forgetting) = (TestDb::new(), TestDb::new());
    let demo = [
        "demo",
        "--customers",
        "120",
        "--as-of",
        "2026-11-23",
        "--export",
    ];
    let first = remembering.dir.path().join("first");
    let mut args = demo.to_vec();
    args.push(path(&first));
    TestDb::new().ok(&args);
    let second = remembering.dir.path().join("second");
    let third = remembering.dir.path().join("third");
    for dir in [&second, &third] {
        std::fs::create_dir_all(dir).expect("folder");
        for entry in std::fs::read_dir(&first).expect("list") {
            let entry = entry.expect("entry");
            if entry.path().extension().is_none_or(|e| e != "csv") {
                continue;
            }
            std::fs::copy(entry.path(), dir.join(entry.file_name())).expect("copy");
        }
    }
    for db in [&remembering, &forgetting] {
        db.ok(&["import", path(&first), "--as-of", "2026-11-23"]);
    }
    // Second: invoices paid, commented, removed, moved and added; customers renamed; the
    // applications in the reverse order.
    let edits = |dir: &std::path::Path| {
        edit_lines(dir, "invoices.csv", |lines| {
            for (i, line) in lines.iter_mut().enumerate() {
                if line.contains('"') {
                    continue;
                }
                let mut fields: Vec<String> = line.split(',').map(str::to_owned).collect();
                if i % 11 == 3 {
                    fields[7] = "0.00".into();
                    fields[10] = "0.00".into();
                } else if i % 13 == 5 {
                    let last = fields.len() - 1;
                    fields[last] = "called twice".into();
                }
                *line = fields.join(",");
            }
            lines.remove(5);
            let moved = lines.remove(10);
            lines.push(moved);
            let mut added: Vec<String> = lines[2].split(',').map(str::to_owned).collect();
            added[2] = "NEW-1".into();
            lines.insert(20, added.join(","));
        });
        edit_lines(dir, "customers.csv", |lines| {
            for line in lines.iter_mut().step_by(9).filter(|l| !l.contains('"')) {
                let mut fields: Vec<String> = line.split(',').map(str::to_owned).collect();
                fields[2] = format!("{} Renamed", fields[2]);
                *line = fields.join(",");
            }
        });
        edit_lines(dir, "payment_applications.csv", |lines| lines.reverse());
    };
    edits(&second);
    edits(&third);
    // Third: a payment's date moves, and with it the effective date of its applications.
    edit_lines(&third, "payments.csv", |lines| {
        let mut fields: Vec<String> = lines[0].split(',').map(str::to_owned).collect();
        fields[3] = "2026-11-20".into();
        lines[0] = fields.join(",");
    });
    for (dir, as_of) in [(&second, "2026-11-24"), (&third, "2026-11-25")] {
        let remembered = remembering.ok(&["import", path(dir), "--as-of", as_of]);
        forgetting
            .execute("DELETE FROM line_memory")
            .expect("forget");
        let read = forgetting.ok(&["import", path(dir), "--as-of", as_of]);
        assert_eq!(
            counts_of(&remembered),
            counts_of(&read),
            "{remembered}\n{read}"
        );
        let book = |db: &TestDb| {
            db.ok(&[
                "aging", "--by", "invoice", "--format", "csv", "--as-of", as_of,
            ])
        };
        let (kept, read) = (book(&remembering), book(&forgetting));
        let differ: Vec<(&str, &str)> = (kept.lines().zip(read.lines()))
            .filter(|(a, b)| a != b)
            .take(3)
            .collect();
        assert!(
            differ.is_empty() && kept.lines().count() == read.lines().count(),
            "{as_of}: {differ:#?}"
        );
    }
    let last = remembering.ok(&["syncs", "--format", "csv"]);
    assert!(
        last.contains(",payment_applications.csv,") && last.lines().count() > 3,
        "{last}"
    );
}

/// A re-sync writes the line memory only of the files whose lines changed: that of a file
/// whose every line is unchanged stays the very rows it was (SQLite's rowid, PostgreSQL's
/// row version), and the next sync of the same folder still finds every line unchanged.
#[test]
fn a_resync_writes_the_line_memory_only_of_files_that_changed() {
    let db = demo_book(120);
    let book = db.dir.path().join("book");
    let version = if db.is_postgres() {
        "xmin::text"
    } else {
        "rowid"
    };
    let memory = |db: &TestDb| -> Vec<(String, String)> {
        let sql = format!(
            "SELECT file || ' ' || part || ' ' || {version} || ' ' || {} FROM line_memory \
             ORDER BY file, part",
            if db.is_postgres() {
                "encode(data, 'hex')"
            } else {
                "hex(data)"
            }
        );
        db.strings(&sql)
            .into_iter()
            .map(|row| {
                let (file, rest) = row.split_once(' ').expect("file");
                (file.to_owned(), rest.to_owned())
            })
            .collect()
    };
    let before = memory(&db);
    assert!(
        before.iter().any(|(f, _)| f == "payments.csv"),
        "{before:?}"
    );
    edit_lines(&book, "invoices.csv", |lines| {
        let line = lines.iter_mut().find(|l| !l.contains('"')).expect("line");
        line.push_str(" called");
    });
    let resync = db.ok(&["import", path(&book), "--as-of", "2026-11-24"]);
    assert!(
        resync.contains("invoices.csv") && resync.contains(" 1 changed"),
        "{resync}"
    );
    let after = memory(&db);
    for file in [
        "customers.csv",
        "contacts.csv",
        "payments.csv",
        "payment_applications.csv",
    ] {
        let of = |rows: &[(String, String)]| -> Vec<String> {
            rows.iter()
                .filter(|(f, _)| f == file)
                .map(|(_, r)| r.clone())
                .collect()
        };
        assert_eq!(of(&after), of(&before), "{file}");
    }
    let invoices = |rows: &[(String, String)]| {
        rows.iter()
            .filter(|(f, _)| f == "invoices.csv")
            .map(|(_, r)| r.rsplit(' ').next().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
    };
    assert_ne!(invoices(&after), invoices(&before));
    let again = db.ok(&["import", path(&book), "--as-of", "2026-11-25"]);
    assert_eq!(
        counts_of(&again)
            .iter()
            .filter(|c| !c.contains("(0 new, 0 changed,"))
            .count(),
        0,
        "{again}"
    );
}

#[test]
fn a_key_on_an_unchanged_line_and_on_a_changed_one_is_a_duplicate() {
    let db = TestDb::new();
    book(&db);
    // The changed row after the unchanged one with its key, then before it.
    let after = format!("{INVOICES}US01,C2,I1,IN,2015-01-01,2015-03-02,4000,3000\n");
    let err = db.import_fails("after", &[("invoices.csv", &after)], "2015-03-16");
    assert!(
        err.contains("invoices.csv:5: tran_id: duplicate key, first on line 2"),
        "{err}"
    );
    let before = INVOICES.replace(
        "US01,C1,I1,",
        "US01,C2,I1,IN,2015-01-01,2015-03-02,4000,3000\nUS01,C1,I1,",
    );
    let err = db.import_fails("before", &[("invoices.csv", &before)], "2015-03-16");
    assert!(
        err.contains("invoices.csv:3: tran_id: duplicate key, first on line 2"),
        "{err}"
    );
    // The same line twice: once unchanged, once a duplicate.
    let twice = format!("{INVOICES}US01,C1,I2,IN,2015-01-10,2015-02-09,6000,6000\n");
    let err = db.import_fails("twice", &[("invoices.csv", &twice)], "2015-03-16");
    assert!(
        err.contains("invoices.csv:5: tran_id: duplicate key, first on line 3"),
        "{err}"
    );
}

#[test]
fn an_unchanged_line_is_read_again_when_what_it_means_moved() {
    let db = TestDb::new();
    book(&db);
    // C1's invoices had no currency: their customer's. In euros they need home amounts.
    let euros = CUSTOMERS.replace("Acme Hardware,15000,USD", "Acme Hardware,15000,EUR");
    let err = db.import_fails(
        "euros",
        &[("customers.csv", &euros), ("invoices.csv", INVOICES)],
        "2015-03-16",
    );
    assert!(
        err.contains("invoices.csv:2: amount_hc: required when the currency (EUR)"),
        "{err}"
    );
    // The company's home currency moves: every USD row needs home amounts.
    let cad = COMPANIES.replace("USD", "CAD");
    let err = db.import_fails(
        "cad",
        &[("companies.csv", &cad), ("invoices.csv", INVOICES)],
        "2015-03-16",
    );
    assert!(
        err.contains("invoices.csv:3: amount_hc: required when the currency (USD)"),
        "{err}"
    );
    // Columns in another order give the same lines another meaning: I3's amount and balance
    // trade places.
    let swapped = INVOICES.replacen("amount,balance", "balance,amount", 1);
    let summary = db.import("swapped", &[("invoices.csv", &swapped)], "2015-03-16");
    assert!(
        summary.contains("invoices.csv 3 rows (0 new, 1 changed, 2 unchanged)"),
        "{summary}"
    );
}

#[test]
fn an_unchanged_application_moves_with_its_payments_date() {
    let db = TestDb::new();
    let payments = |date: &str| {
        format!("company_id,customer_id,payment_id,payment_date,amount\nUS01,C1,P1,{date},100\n")
    };
    let applications = "company_id,payment_id,tran_id,amount\nUS01,P1,I1,100\n";
    let files = |payments: &str| {
        vec![
            ("companies.csv", COMPANIES.to_owned()),
            ("customers.csv", "company_id,customer_id,name\nUS01,C1,Acme\n".to_owned()),
            ("invoices.csv", "company_id,customer_id,tran_id,tran_date,due_date,amount,balance\nUS01,C1,I1,2015-01-01,2015-01-31,100,0\n".to_owned()),
            ("payments.csv", payments.to_owned()),
            ("payment_applications.csv", applications.to_owned()),
        ]
    };
    let import = |name: &str, date: &str| {
        let files = files(&payments(date));
        let borrowed: Vec<(&str, &str)> = files.iter().map(|(f, c)| (*f, c.as_str())).collect();
        db.import(name, &borrowed, "2015-03-01")
    };
    import("one", "2015-02-04");
    let summary = import("two", "2015-02-14");
    assert!(
        summary.contains("payment_applications.csv 1 rows (0 new, 1 changed, 0 unchanged)"),
        "{summary}"
    );
    assert_eq!(
        c1_days_to_pay(&db),
        "44.00",
        "closed on the payment's new date"
    );
}

#[test]
fn an_invoice_a_resync_closes_closes_on_its_stored_applications() {
    // I1 was part paid on 2015-02-04; a later sync brings it closed with no new application,
    // its payments and applications unchanged (or not brought at all).
    let invoices = |balance: &str| {
        format!(
            "company_id,customer_id,tran_id,tran_date,due_date,amount,balance\n\
             US01,C1,I1,2015-01-01,2015-01-31,100,{balance}\n\
             US01,C1,I2,2015-01-02,2015-02-01,50,50\n"
        )
    };
    let open = invoices("40");
    let closed = invoices("0");
    let book = [
        ("companies.csv", COMPANIES),
        (
            "customers.csv",
            "company_id,customer_id,name\nUS01,C1,Acme\n",
        ),
        (
            "payments.csv",
            "company_id,customer_id,payment_id,payment_date,amount\nUS01,C1,P1,2015-02-04,60\n",
        ),
        (
            "payment_applications.csv",
            "company_id,payment_id,tran_id,amount\nUS01,P1,I1,60\n",
        ),
    ];
    for brought in [&book[..], &book[..2]] {
        let db = TestDb::new();
        let mut files = book.to_vec();
        files.push(("invoices.csv", &open));
        db.import("one", &files, "2015-03-01");
        let mut files = brought.to_vec();
        files.push(("invoices.csv", &closed));
        let summary = db.import("two", &files, "2015-03-05");
        assert!(
            summary.contains("invoices.csv 2 rows (0 new, 1 changed, 1 unchanged)"),
            "{summary}"
        );
        assert_eq!(
            c1_days_to_pay(&db),
            "34.00",
            "closed on its application's date, not the sync's ({} files)",
            brought.len()
        );
    }
}

/// An item page as the version before wrote it: for each item its customer, `tran_id` and
/// currency after their lengths in two bytes, the row's hash, the `tran_type`, its three
/// dates as day numbers (`i32::MIN` for none) and its four amounts in ten-thousandths, as a
/// literal of `db`'s SQL.
type FirstLayoutItem<'a> = (
    &'a str,
    &'a str,
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    i64,
    i64,
);

fn first_layout_page(db: &TestDb, items: &[FirstLayoutItem<'_>]) -> String {
    use chrono::Datelike;
    let day = |date: Option<&str>| {
        date.map_or(i32::MIN, |d| {
            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .expect("date")
                .num_days_from_ce()
        })
    };
    let mut page = Vec::new();
    for &(customer, tran, tran_date, due_date, closing_date, amount, balance) in items {
        for text in [customer, tran, "USD"] {
            page.extend_from_slice(&(text.len() as u16).to_le_bytes());
            page.extend_from_slice(text.as_bytes());
        }
        page.extend_from_slice(&0i64.to_le_bytes());
        page.push(0);
        for d in [day(Some(tran_date)), day(due_date), day(closing_date)] {
            page.extend_from_slice(&d.to_le_bytes());
        }
        for m in [amount, balance, amount, balance] {
            page.extend_from_slice(&(m * 100).to_le_bytes());
        }
    }
    let hex: String = page.iter().map(|b| format!("{b:02x}")).collect();
    if db.is_postgres() {
        format!("'\\x{hex}'::bytea")
    } else {
        format!("X'{hex}'")
    }
}

#[test]
fn item_pages_the_version_before_wrote_are_read_and_a_sync_rewrites_those_it_changes() {
    let db = TestDb::new();
    book(&db);
    // The store as the version before left it: its item pages in the first layout (amounts
    // in hundredths here).
    let items = [
        (
            "C1",
            "I1",
            "2015-01-01",
            Some("2015-03-02"),
            None,
            400_000,
            400_000,
        ),
        (
            "C1",
            "I2",
            "2015-01-10",
            Some("2015-02-09"),
            None,
            600_000,
            600_000,
        ),
        (
            "C2",
            "I3",
            "2015-02-01",
            Some("2015-03-03"),
            Some("2015-03-15"),
            10_025,
            0,
        ),
    ];
    let page = |customer: &str| arrears_store::pages::page_of(customer);
    db.execute("DELETE FROM item_pages").expect("pages");
    let mut pages: Vec<u32> = items.iter().map(|i| page(i.0)).collect();
    pages.dedup();
    for p in &pages {
        let of_page: Vec<_> = items.iter().copied().filter(|i| page(i.0) == *p).collect();
        let data = first_layout_page(&db, &of_page);
        db.execute(&format!(
            "INSERT INTO item_pages (company_id, page, data) VALUES ('US01', {p}, {data})"
        ))
        .expect("first layout");
    }
    let rows = db.aging_json(&["--as-of", "2015-03-15"]);
    assert_eq!(
        field(row(&rows, "customer_id", "C1"), "total_age"),
        "10000.00"
    );
    assert_eq!(
        field(row(&rows, "customer_id", "C1"), "total_past_due"),
        "10000.00"
    );
    // C2's only invoice is paid: it still counts in its sales and days to pay.
    let c2 = |rows: &[serde_json::Value]| {
        let c2 = row(rows, "customer_id", "C2");
        (
            field(c2, "net_credit_sales"),
            field(c2, "avg_days_to_pay_total"),
        )
    };
    assert_eq!(c2(&rows), ("100.25".to_owned(), "42.00".to_owned()));
    let invoices = db.aging_json(&["--by", "invoice", "--as-of", "2015-03-15"]);
    assert_eq!(field(row(&invoices, "tran_id", "I1"), "balance"), "4000.00");

    let rows = pay_down_i2(&db);
    assert_eq!(c2(&rows), ("100.25".to_owned(), "42.00".to_owned()));
    let invoices = db.aging_json(&["--by", "invoice", "--as-of", "2015-03-16"]);
    assert_eq!(field(row(&invoices, "tran_id", "I2"), "balance"), "1000.00");
    // C1's page is now in the present layout (it starts with two zero bytes, "P" and 2); a
    // page the sync did not change keeps the layout it had.
    let present = |p: u32| {
        let starts = if db.is_postgres() {
            "substring(data from 1 for 4) = '\\x00005032'::bytea"
        } else {
            "substr(data, 1, 4) = X'00005032'"
        };
        db.execute(&format!(
            "UPDATE item_pages SET page = page WHERE company_id = 'US01' AND page = {p} AND {starts}"
        ))
        .expect("layout")
    };
    assert_eq!(present(page("C1")), 1);
    if page("C2") != page("C1") {
        assert_eq!(present(page("C2")), 0);
    }
}
