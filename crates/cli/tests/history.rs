//! The event log beyond a customer's own records: every change to the setup (by a sync, the
//! admin pages or the API), the issues each generate run opens and closes, the admins' history
//! page, its CSV export and `/api/v1/events`; and the aging of a past date, which later syncs and
//! later work never change.

mod common;

use common::web::{AS_OF, CUSTOMERS, Client, Server, book, signed_in, token};
use common::{TestDb, field};
use serde_json::Value;

/// The log from the command line, narrowed by `extra`.
fn history(db: &TestDb, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["history", "--format", "json"];
    args.extend_from_slice(extra);
    let out = db.ok(&args);
    serde_json::from_str::<Value>(&out)
        .unwrap_or_else(|e| panic!("{e}: {out}"))
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// A logged record, before or after, as JSON.
fn record(event: &Value, which: &str) -> Value {
    match event[which].as_str() {
        Some(text) => serde_json::from_str(text).unwrap(),
        None => Value::Null,
    }
}

#[test]
fn every_setup_change_is_logged_with_who_the_record_before_and_after() {
    let db = book();
    // The first sync created the setup: each row's creation is logged, with nothing before.
    let rules = history(&db, &["--entity", "rule"]);
    assert_eq!(rules.len(), 2, "{rules:#?}");
    let first = &rules[0];
    assert_eq!(field(first, "action"), "create");
    assert_eq!(field(first, "company_id"), "US01");
    assert_eq!(field(first, "entity_id"), "STANDARD/10");
    assert_eq!(field(first, "business_date"), AS_OF);
    assert_eq!(first["before"], Value::Null);
    assert_eq!(record(first, "after")["filter"], "total_past_due > 0");
    assert_eq!(record(first, "after")["standalone"], false);
    for (entity, count) in [
        ("company", 1),
        ("user", 7),
        ("credit_class", 1),
        ("action_code", 2),
    ] {
        let created = history(&db, &["--entity", entity])
            .iter()
            .filter(|e| field(e, "action") == "create")
            .count();
        assert_eq!(created, count, "{entity}");
    }

    // A sync that changes a credit class logs the class before and after; the same files
    // again change nothing and log nothing.
    let classes = "company_id,credit_class,description,days_to_respond\n\
                   US01,STANDARD,Standard terms (net 30),4\n";
    let calendar = "company_id,date,description\nUS01,2015-12-25,Christmas\n";
    let files = [("credit_classes.csv", classes), ("calendar.csv", calendar)];
    db.import("classes", &files, "2015-03-14");
    db.import("classes-again", &files, "2015-03-15");
    let changed = history(&db, &["--entity", "credit_class"]);
    assert_eq!(changed.len(), 2, "{changed:#?}");
    let update = &changed[1];
    assert_eq!(field(update, "action"), "update");
    assert_eq!(field(update, "entity_id"), "STANDARD");
    assert_eq!(field(update, "business_date"), "2015-03-14");
    assert_eq!(record(update, "before")["description"], "Standard terms");
    assert_eq!(record(update, "before")["days_to_respond"], Value::Null);
    assert_eq!(
        record(update, "after")["description"],
        "Standard terms (net 30)"
    );
    assert_eq!(record(update, "after")["days_to_respond"], 4);
    let days = history(&db, &["--entity", "calendar_day"]);
    assert_eq!(days.len(), 1);
    assert_eq!(field(&days[0], "entity_id"), "2015-12-25");

    // A sync that fails logs nothing.
    let before = history(&db, &[]).len();
    let bad = db.folder(
        "bad",
        &[(
            "rules.csv",
            "company_id,credit_class,seq_no,action_code,view,filter\n\
             US01,STANDARD,10,CALL,customer,total_pastdue > 0\n",
        )],
    );
    db.fails(&["import", common::path(&bad), "--as-of", AS_OF]);
    assert_eq!(history(&db, &[]).len(), before);

    // Through the API and the admin pages: a rule, a user, a password, access.
    let server = Server::start(&db, AS_OF);
    let mut api = Client::with_token(&server, &token(&db, "ada"));
    let saved = api.post_json(
        "/api/v1/rules",
        r#"{"company_id": "US01", "credit_class": "STANDARD", "seq_no": 10,
            "action_code": "CALL", "view": "customer", "filter": "total_past_due > 100"}"#,
    );
    assert_eq!(saved.status, 200, "{}", saved.body);
    let mut ada = signed_in(&server, "ada");
    let csrf = ada.get("/admin/users").csrf();
    let user = ada.post(
        "/admin/users",
        &[
            ("csrf", &csrf),
            ("user_id", "cole"),
            ("name", "Cole Collins"),
            ("email", "cole@example.com"),
            ("role", "collector"),
            ("manager", "max"),
        ],
    );
    assert_eq!(user.status, 303, "{}", user.body);
    for (path, form) in [
        (
            "/admin/users/disable",
            [("user_id", "carl"), ("disabled", "yes")],
        ),
        (
            "/admin/users/password",
            [("user_id", "carl"), ("password", "a much longer secret 9")],
        ),
    ] {
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend(form);
        assert_eq!(ada.post(path, &fields).status, 303, "{path}");
    }
    server.stop();

    let rules = history(&db, &["--entity", "rule"]);
    let edited = rules.last().unwrap();
    assert_eq!(field(edited, "user_id"), "ada");
    assert_eq!(field(edited, "action"), "update");
    assert_eq!(record(edited, "before")["filter"], "total_past_due > 0");
    assert_eq!(record(edited, "after")["filter"], "total_past_due > 100");
    let users = history(&db, &["--entity", "user", "--from", "2015-03-13"]);
    let moved = users
        .iter()
        .find(|e| field(e, "entity_id") == "cole" && field(e, "action") == "update")
        .unwrap_or_else(|| panic!("{users:#?}"));
    assert_eq!(record(moved, "before")["manager"], "mia");
    assert_eq!(record(moved, "after")["manager"], "max");
    assert_eq!(record(moved, "after")["name"], "Cole Collins");
    let carl: Vec<(String, String)> = users
        .iter()
        .filter(|e| field(e, "entity_id") == "carl" && field(e, "user_id") == "ada")
        .map(|e| (field(e, "action"), field(e, "after")))
        .collect();
    assert_eq!(
        carl,
        [
            ("disable".to_owned(), r#"{"disabled":true}"#.to_owned()),
            (
                "set_password".to_owned(),
                r#"{"password":"set"}"#.to_owned()
            ),
        ]
    );
    // The hash never reaches the log.
    let everything = db.ok(&["history", "--format", "csv"]);
    assert!(!everything.contains("$argon2"), "a password hash is logged");
}

#[test]
fn each_issue_a_generate_run_opens_or_closes_is_logged() {
    let db = book();
    let out = db.ok(&["actions", "generate", "--as-of", AS_OF, "--format", "json"]);
    let run: Vec<Value> = serde_json::from_str(&out).unwrap();
    let created = run
        .iter()
        .filter(|c| field(c, "change") == "create")
        .count();
    assert_eq!(created, 4, "C1, C2, C3 twice: {run:#?}");
    let issues = history(&db, &["--entity", "issue"]);
    assert_eq!(issues.len(), created, "{issues:#?}");
    let c3: Vec<&Value> = issues
        .iter()
        .filter(|e| field(e, "customer_id") == "C3")
        .collect();
    assert_eq!(c3.len(), 2, "CALL and the standalone ESC: {c3:#?}");
    for e in &c3 {
        assert_eq!(field(e, "action"), "create");
        assert_eq!(
            field(e, "user_id"),
            field(&record(e, "after"), "created_by")
        );
        let after = record(e, "after");
        assert_eq!(after["is_open"], true);
        assert_eq!(after["assigned_user"], "carl");
        assert!(after["reason"].as_str().unwrap().contains(" > "), "{after}");
    }
    // Each first activity too, inside its issue's record.
    let activities: Vec<Value> = c3
        .iter()
        .map(|e| record(e, "after")["activity"].clone())
        .collect();
    assert_eq!(activities.len(), 2, "{c3:#?}");
    for a in &activities {
        assert_eq!(a["activity_type"], "Phone");
        assert_eq!(a["assigned_user"], "carl");
        assert_eq!(a["is_open"], true);
    }

    // C2 pays in full: the next run closes its issue, and the closing is logged.
    db.ok(&["settings", "set", "close_when_paid", "true"]);
    db.import(
        "paid",
        &[(
            "invoices.csv",
            "company_id,customer_id,tran_id,tran_type,tran_date,due_date,amount,balance\n\
             US01,C2,I3,IN,2015-01-10,2015-02-09,1250.50,0\n",
        )],
        "2015-03-16",
    );
    db.ok(&["actions", "generate", "--as-of", "2015-03-16"]);
    let c2: Vec<Value> = history(&db, &["--customer", "C2", "--entity", "issue"]);
    let closed = c2.last().unwrap();
    assert_eq!(field(closed, "action"), "close", "{c2:#?}");
    assert_eq!(field(closed, "business_date"), "2015-03-16");
    assert_eq!(record(closed, "before")["is_open"], true);
    assert_eq!(record(closed, "after")["is_open"], false);
    assert_eq!(record(closed, "after")["closed_date"], "2015-03-16");
    assert_eq!(field(closed, "entity_id"), field(&c2[0], "entity_id"));
    // The log is never rewritten, whatever the store is asked.
    for sql in ["UPDATE events SET action = 'x'", "DELETE FROM events"] {
        assert!(db.execute(sql).is_err(), "{sql} was allowed");
    }
}

#[test]
fn admins_read_filter_and_export_the_whole_log() {
    let db = book();
    db.ok(&["actions", "generate", "--as-of", AS_OF]);
    let customers = CUSTOMERS.replace("US01,C4,Delta Supply,,", "US01,C4,Delta Supply,,cara");
    db.import("reassigned", &[("customers.csv", &customers)], "2015-03-14");
    db.ok(&["settings", "set", "credit_apr", "9"]);
    let server = Server::start(&db, AS_OF);
    let mut ada = signed_in(&server, "ada");
    let page = ada.get("/admin/history");
    assert_eq!(page.status, 200);
    let total = history(&db, &[]).len();
    assert!(
        page.body.contains(&format!("{total} changes")),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("setting credit_apr set"),
        "{}",
        page.body
    );
    // Narrowed to the rules of one company on one day.
    let rules = ada.get("/admin/history?company_id=US01&entity=rule&from=2015-03-13&to=2015-03-13");
    assert!(rules.body.contains("2 changes"), "{}", rules.body);
    assert!(rules.body.contains("rule STANDARD/20 create"));
    assert!(!rules.body.contains("setting credit_apr"));
    assert!(rules.body.contains(
        r#"href="/admin/history.csv?company_id=US01&#38;entity=rule&#38;from=2015-03-13&#38;to=2015-03-13""#
    ), "{}", rules.body);
    let bad = ada.get("/admin/history?from=13/03/2015");
    assert!(
        bad.body
            .contains("from: expected YYYY-MM-DD, not &#34;13/03/2015&#34;"),
        "{}",
        bad.body
    );

    // The export: every matching event, oldest first, as the command line prints them.
    let (status, csv) = ada.get_bytes("/admin/history.csv?entity=rule");
    assert_eq!(status, 200);
    let csv = String::from_utf8(csv).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "event_id,at,business_date,user_id,company_id,customer_id,entity,entity_id,action,before,after"
    );
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[1].contains(",rule,STANDARD/10,create,,"), "{csv}");
    let (_, all) = ada.get_bytes("/admin/history.csv");
    assert_eq!(String::from_utf8(all).unwrap().lines().count(), total + 1);

    // The API pages it, oldest first, with the total.
    let mut api = Client::with_token(&server, &token(&db, "ada"));
    let first = api.get("/api/v1/events?per_page=2").json();
    assert_eq!(first["total"], total);
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let second = api.get("/api/v1/events?per_page=2&page=2").json();
    assert!(second["items"][0]["event_id"].as_i64() > first["items"][1]["event_id"].as_i64());
    let c4 = api
        .get("/api/v1/events?company_id=US01&customer_id=C4&entity=customer")
        .json();
    assert_eq!(
        c4["total"], 0,
        "customer rows come from the ERP, not the log"
    );
    let issues = api.get("/api/v1/events?entity=issue&to=2015-03-13").json();
    assert_eq!(issues["total"], history(&db, &["--entity", "issue"]).len());
    for (query, problem) in [
        ("per_page=501", "per_page: at most 500, not 501"),
        ("to=yesterday", "to: expected YYYY-MM-DD, not \"yesterday\""),
        (
            "from=2015-03-14&to=2015-03-13",
            "from: 2015-03-14 is after to (2015-03-13)",
        ),
    ] {
        let answer = api.get(&format!("/api/v1/events?{query}"));
        assert_eq!(answer.status, 400, "{query}");
        assert_eq!(answer.json()["error"], problem);
    }
    // Nobody else reads it.
    let mut cole = Client::with_token(&server, &token(&db, "cole"));
    assert_eq!(cole.get("/api/v1/events").status, 403);
    assert_eq!(
        signed_in(&server, "mia").get("/admin/history.csv").status,
        403
    );
}

#[test]
fn the_aging_of_a_past_date_is_what_it_was_that_day() {
    let db = book();
    let that_day = |db: &TestDb| {
        (
            db.aging_json(&["--as-of", AS_OF]),
            db.aging_json(&["--as-of", AS_OF, "--by", "invoice"]),
            db.aging_json(&["--as-of", AS_OF, "--by", "company"]),
        )
    };
    let before = that_day(&db);
    assert_eq!(field(&before.2[0], "customers"), "5");
    // Later work: a raised credit limit, a new customer, payments applied after the day, a
    // new invoice, a dispute kept out of the aging and a payment plan, all made on later
    // business dates.
    db.import(
        "later",
        &[
            (
                "customers.csv",
                "company_id,customer_id,name,credit_limit,assigned_user\n\
                 US01,C1,Acme Tools,25000,cole\n\
                 US01,C6,Fresh Start,,cole\n",
            ),
            (
                "payments.csv",
                "company_id,customer_id,payment_id,payment_date,amount\n\
                 US01,C1,P1,2015-03-20,1000\n",
            ),
            (
                "payment_applications.csv",
                "company_id,payment_id,tran_id,applied_date,amount\n\
                 US01,P1,I1,2015-03-20,1000\n",
            ),
            (
                "invoices.csv",
                "company_id,customer_id,tran_id,tran_type,tran_date,due_date,amount,balance\n\
                 US01,C1,I1,IN,2015-01-02,2015-02-01,2500,1500\n\
                 US01,C3,I9,IN,2015-03-18,2015-04-17,900,900\n\
                 US01,C6,I10,IN,2015-03-18,2015-04-17,400,400\n",
            ),
            (
                "reason_codes.csv",
                "company_id,reason_code,description,severity\nUS01,PRICE,Wrong price,2\n",
            ),
        ],
        "2015-03-20",
    );
    let server = Server::start(&db, "2015-03-20");
    let mut api = Client::with_token(&server, &token(&db, "ada"));
    let dispute = api.post_json(
        "/api/v1/customers/US01/C2/disputes",
        r#"{"tran_id": "I3", "amount": "250.50", "reason_code": "PRICE", "exclude_from_aging": true}"#,
    );
    assert_eq!(dispute.status, 201, "{}", dispute.body);
    let plan = api.post_json(
        "/api/v1/customers/US01/C3/payment-plans",
        r#"{"tran_id": "I4", "instalments": [{"due_date": "2015-04-30", "amount": "2500"},
                                             {"due_date": "2015-05-31", "amount": "2500"}]}"#,
    );
    assert_eq!(plan.status, 201, "{}", plan.body);
    server.stop();
    let after = that_day(&db);
    assert_eq!(after, before);
    // While today's aging shows all of it.
    let today = db.aging_json(&["--as-of", "2015-03-20"]);
    let c1 = today
        .iter()
        .find(|r| field(r, "customer_id") == "C1")
        .unwrap();
    assert_eq!(field(c1, "total_age"), "9000.00");
    assert_eq!(field(c1, "available_credit"), "16000.00");
    assert!(today.iter().any(|r| field(r, "customer_id") == "C6"));
    let company = db.aging_json(&["--as-of", "2015-03-20", "--by", "company"]);
    assert_eq!(field(&company[0], "customers"), "6");
}

/// A later sync that moves a stored invoice's closing date (an application it brings to an
/// invoice closed before, which it does not send again) leaves the closing date that the day
/// knew: the days the invoice took to pay, and the figures made of them, stay what they were.
#[test]
fn a_closing_date_moved_later_leaves_the_past_day_as_it_was() {
    let db = TestDb::new();
    db.import(
        "book",
        &[
            (
                "companies.csv",
                "company_id,name,home_currency\nUS01,Demo Inc.,USD\n",
            ),
            (
                "customers.csv",
                "company_id,customer_id,name\nUS01,C1,Acme Tools\n",
            ),
            (
                "invoices.csv",
                "company_id,customer_id,tran_id,tran_type,tran_date,due_date,amount,balance\n\
                 US01,C1,I1,IN,2015-01-02,2015-02-01,2500,0\n\
                 US01,C1,I2,IN,2015-03-01,2015-03-31,700,700\n",
            ),
            (
                "payments.csv",
                "company_id,customer_id,payment_id,payment_date,amount\n\
                 US01,C1,P1,2015-02-10,2500\n",
            ),
            (
                "payment_applications.csv",
                "company_id,payment_id,tran_id,applied_date,amount\n\
                 US01,P1,I1,2015-02-10,2500\n",
            ),
        ],
        "2015-03-13",
    );
    let that_day = |db: &TestDb| {
        (
            db.aging_json(&["--as-of", "2015-03-13"]),
            db.aging_json(&["--as-of", "2015-03-13", "--by", "invoice"]),
        )
    };
    let before = that_day(&db);
    let late = |aging: &[Value]| field(&aging[0], "avg_days_late");
    assert_eq!(late(&before.0), "9.00", "{:#?}", before.0);
    db.import(
        "late-application",
        &[
            (
                "payments.csv",
                "company_id,customer_id,payment_id,payment_date,amount\n\
                 US01,C1,P2,2015-03-18,1\n",
            ),
            (
                "payment_applications.csv",
                "company_id,payment_id,tran_id,applied_date,amount\n\
                 US01,P2,I1,2015-03-18,1\n",
            ),
        ],
        "2015-03-20",
    );
    assert_eq!(
        late(&db.aging_json(&["--as-of", "2015-03-20"])),
        "45.00",
        "the late application moves the closing date today"
    );
    assert_eq!(that_day(&db), before);
}
