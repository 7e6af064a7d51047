//! The command line's own behaviour: bad input, the store, settings, syncs and the demo.

mod common;

use common::{COMPANIES, TestDb, field, path, row};

#[test]
fn a_bad_flag_is_one_line_and_exit_status_2() {
    let db = TestDb::new();
    let out = db.arrears(&["aging", "--by", "planet"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("invalid value 'planet' for '--by"), "{err}");
    let err = db.fails(&["aging", "--as-of", "2015-02-30"]);
    assert!(
        err.contains("not a date \"2015-02-30\", expected YYYY-MM-DD"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn an_unreachable_database_is_one_clear_line() {
    let db = TestDb::new();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_arrears"))
        .args(["--db", "postgres://nobody:secret@127.0.0.1:1/none", "aging"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("arrears: cannot open the database postgres://nobody:***@127.0.0.1:1/none"),
        "{err}"
    );
    assert!(!err.contains("secret"));
    let missing = db.dir.path().join("no/such/dir/arrears.db");
    let err = db.fails(&["--db", path(&missing), "aging"]);
    assert!(
        err.starts_with("arrears: cannot open the database"),
        "{err}"
    );
}

#[test]
fn a_store_from_a_newer_version_is_refused_and_left_alone() {
    let db = TestDb::new();
    db.ok(&["syncs"]);
    let bump = "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
                VALUES (9999, 'from the future', true, '\\x00', 0)";
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        if db.is_postgres() {
            let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
            sqlx::Executor::execute(&mut c, bump).await.unwrap();
        } else {
            let mut c = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            sqlx::Executor::execute(&mut c, bump.replace("'\\x00'", "x'00'").as_str())
                .await
                .unwrap();
        }
    });
    let err = db.fails(&["aging"]);
    assert!(
        err.contains("was written by a newer version of Arrears (schema version 9999)"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);
}

#[test]
fn settings_are_checked_listed_and_restored() {
    let db = TestDb::new();
    let all = db.ok(&["settings", "get"]);
    assert!(all.contains("aging_units = 30,60,90,120"), "{all}");
    assert!(all.contains("credit_apr = 10"), "{all}");
    db.ok(&["settings", "set", "size_ranges", "1000, 5000"]);
    assert_eq!(
        db.ok(&["settings", "get", "size_ranges"]).trim(),
        "1000.00,5000.00"
    );
    let err = db.fails(&["settings", "set", "aging_units", "30,20,90,120"]);
    assert!(
        err.contains("setting aging_units: aging units must be positive and increasing"),
        "{err}"
    );
    let err = db.fails(&["settings", "set", "colour", "red"]);
    assert!(err.contains("unknown setting \"colour\""), "{err}");
    db.ok(&["settings", "set", "size_ranges", ""]);
    assert_eq!(db.ok(&["settings", "get", "size_ranges"]).trim(), "");
}

#[test]
fn adp_by_size_range_and_exclude_invoices_before_work_from_the_settings() {
    let db = TestDb::new();
    db.import(
        "book",
        &[
            ("companies.csv", COMPANIES),
            ("customers.csv", "company_id,customer_id,name\nUS01,C1,Acme\n"),
            (
                "invoices.csv",
                "company_id,customer_id,tran_id,tran_date,due_date,amount,balance\n\
US01,C1,I1,2014-01-01,2014-01-31,500,0\n\
US01,C1,I2,2015-01-01,2015-01-31,8000,0\n\
US01,C1,I3,2015-01-01,2015-01-31,300,0\n\
US01,C1,I4,2015-02-01,2015-03-03,7000,7000\n",
            ),
            ("payments.csv", "company_id,customer_id,payment_id,payment_date,amount\nUS01,C1,P1,2014-02-10,500\nUS01,C1,P2,2015-02-03,8000\nUS01,C1,P3,2015-02-20,300\n"),
            ("payment_applications.csv", "company_id,payment_id,tran_id,amount\nUS01,P1,I1,500\nUS01,P2,I2,8000\nUS01,P3,I3,300\n"),
        ],
        "2015-03-15",
    );
    db.ok(&["settings", "set", "size_ranges", "1000,5000"]);
    let c = |db: &TestDb| {
        row(
            &db.aging_json(&["--as-of", "2015-03-15"]),
            "customer_id",
            "C1",
        )
        .clone()
    };
    let all = c(&db);
    // Days to pay: 40, 33, 50; late: 10, 3, 20.
    assert_eq!(field(&all, "avg_days_to_pay_total"), "41.00");
    assert_eq!(field(&all, "avg_days_to_pay_1"), "45.00");
    assert_eq!(field(&all, "avg_days_to_pay_2"), "");
    assert_eq!(field(&all, "avg_days_to_pay_3"), "33.00");
    // Only I2 and I3 closed in the last six months: (3 + 20) / 2, weighted (8000×3 + 300×20) / 8300.
    assert_eq!(field(&all, "avg_days_late"), "11.50");
    assert_eq!(field(&all, "avg_days_late_weighted"), "3.61");
    assert_eq!(field(&all, "avg_days_late_diff"), "7.89");
    // I4 (7000, the 5000+ range) is projected 3 days late: due 03-03 + 3 is before today, so today.
    let inv = db.aging_json(&["--by", "invoice", "--as-of", "2015-03-15"]);
    assert_eq!(field(row(&inv, "tran_id", "I4"), "proj_pmt_days"), "3");
    assert_eq!(
        field(row(&inv, "tran_id", "I4"), "proj_pmt_date"),
        "2015-03-15"
    );
    assert_eq!(field(&all, "proj_pmts_7"), "7000.00");
    db.ok(&["settings", "set", "exclude_invoices_before", "2014-06-01"]);
    assert_eq!(field(&c(&db), "avg_days_to_pay_total"), "41.50");
}

#[test]
fn the_demo_is_deterministic_and_keeps_its_files_when_asked() {
    let a = TestDb::new();
    let out = a.ok(&[
        "demo",
        "--customers",
        "40",
        "--seed",
        "7",
        "--as-of",
        "2026-11-23",
        "--export",
        "book",
    ]);
    assert!(out.contains("40 customers"), "{out}");
    for file in [
        "companies.csv",
        "users.csv",
        "customers.csv",
        "contacts.csv",
        "invoices.csv",
        "payments.csv",
        "payment_applications.csv",
    ] {
        assert!(a.dir.path().join("book").join(file).exists(), "{file}");
    }
    let b = TestDb::new();
    b.ok(&[
        "demo",
        "--customers",
        "40",
        "--seed",
        "7",
        "--as-of",
        "2026-11-23",
    ]);
    let args = ["aging", "--format", "csv", "--as-of", "2026-11-23"];
    let aging = a.ok(&args);
    assert_eq!(aging, b.ok(&args));
    assert_eq!(aging.lines().count(), 41);
    let companies = a.aging_json(&["--by", "company", "--as-of", "2026-11-23"]);
    assert_eq!(companies.len(), 3, "several companies and currencies");
    let invoices = std::fs::read_to_string(a.dir.path().join("book/invoices.csv")).unwrap();
    for kind in [",CM,", ",FC,", ",IN,"] {
        assert!(invoices.contains(kind), "demo has {kind}");
    }
    let customers = std::fs::read_to_string(a.dir.path().join("book/customers.csv")).unwrap();
    assert!(
        customers.lines().any(|l| l.contains(",CAD,")),
        "foreign-currency customers"
    );
    let rows = a.aging_json(&["--as-of", "2026-11-23"]);
    let any = |what: &str, test: &dyn Fn(&serde_json::Value) -> bool| {
        assert!(rows.iter().any(test), "{what}")
    };
    any("child accounts of a parent", &|r| {
        !field(r, "parent_id").is_empty()
    });
    any("customers assigned to collectors", &|r| {
        field(r, "assigned_user").starts_with("c.")
    });
    any("an unassigned pool", &|r| {
        field(r, "assigned_user").is_empty()
    });
    any("future-dated invoices", &|r| {
        field(r, "age_future") != "0.00"
    });
    any("late payers", &|r| field(r, "no_over_due_inv") != "0");
    let users = std::fs::read_to_string(a.dir.path().join("book/users.csv")).unwrap();
    for role in [",admin,", ",manager,", ",collector,mgr.lee,", ",inquiry,"] {
        assert!(users.contains(role), "a user with role {role}");
    }
    assert!(a.ok(&["syncs", "--format", "csv"]).contains(",demo,"));
}

#[test]
fn syncs_lists_newest_first_with_counts_per_file() {
    let db = TestDb::new();
    db.import("one", &[("companies.csv", COMPANIES)], "2015-01-01");
    db.import("two", &[("companies.csv", COMPANIES)], "2015-01-02");
    let out = db.ok(&["syncs", "--format", "json"]);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(field(&rows[0], "sync_id"), "2");
    assert_eq!(field(&rows[0], "unchanged"), "1");
    assert_eq!(field(&rows[1], "inserted"), "1");
    assert_eq!(field(&rows[1], "run_by"), "tester");
}

#[test]
fn a_reader_that_stops_early_ends_the_command_quietly() {
    use std::io::Read;
    let db = TestDb::new();
    // A failed sync with thousands of problems: far more than a pipe holds.
    let mut invoices =
        String::from("company_id,customer_id,tran_id,tran_date,due_date,amount,balance\n");
    for n in 0..3000 {
        invoices.push_str(&format!("US01,C1,I{n},2015-13-45,2015-02-01,1,1\n"));
    }
    let dir = db.folder(
        "bad",
        &[("companies.csv", COMPANIES), ("invoices.csv", &invoices)],
    );
    db.fails(&["import", path(&dir)]);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_arrears"))
        .args(["syncs", "--problems"])
        .env("ARREARS_DB", &db.url)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 64];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.trim().is_empty(), "nothing to say: {stderr}");
}
