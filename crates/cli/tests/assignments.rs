//! Admins assign customers to users, to the unassigned pool, or back to customers.csv's word:
//! one customer or every one a filter matches, from the command line, the pages and the API;
//! later syncs keep an admin's assignment, and who sees a customer follows it at once.

mod common;

use common::web::{AS_OF, Client, Server, book, signed_in, token};
use common::{TestDb, field, row};

/// C1 as customers.csv has it, with `assigned_user` and `credit_limit` given.
fn c1_row(user: &str, limit: &str) -> String {
    format!(
        "company_id,customer_id,name,credit_limit,assigned_user\nUS01,C1,Acme Tools,{limit},{user}\n"
    )
}

/// `arrears assign` for C1 with `extra`, which must succeed; what it printed.
fn assign_c1(db: &TestDb, extra: &[&str]) -> String {
    let mut args = vec!["assign", "--company", "US01", "--customer", "C1"];
    args.extend_from_slice(extra);
    db.ok(&args)
}

/// Who the aging of the end of the month says a customer is assigned to.
fn assigned(db: &TestDb, customer: &str) -> String {
    assigned_on(db, customer, "2015-03-31")
}

fn assigned_on(db: &TestDb, customer: &str, day: &str) -> String {
    let rows = db.aging_json(&["--as-of", day]);
    field(row(&rows, "customer_id", customer), "assigned_user")
}

#[test]
fn an_admins_assignment_outlives_later_syncs_until_handed_back() {
    let db = book();
    assert_eq!(assigned(&db, "C1"), "cole");
    let preview = assign_c1(&db, &["--to", "carl", "--preview"]);
    assert!(preview.contains("1 would move to carl"), "{preview}");
    assert_eq!(assigned(&db, "C1"), "cole", "a preview changes nothing");
    let moved = assign_c1(&db, &["--to", "carl", "--as-of", "2015-03-14"]);
    assert!(moved.contains("1 moved to carl"), "{moved}");
    assert_eq!(assigned(&db, "C1"), "carl");
    assert_eq!(assigned_on(&db, "C1", AS_OF), "cole", "the day before");
    let again = assign_c1(&db, &["--to", "carl", "--as-of", "2015-03-14"]);
    assert!(
        again.contains("0 moved"),
        "the same again moves nothing: {again}"
    );

    // A sync that changes C1 (its limit, and the ERP's collector) keeps Carl, and notes what
    // customers.csv now says; the same file again changes nothing either.
    let changed = [("customers.csv", c1_row("cara", "20000"))];
    let files: Vec<(&str, &str)> = changed.iter().map(|(f, t)| (*f, t.as_str())).collect();
    db.import("limit", &files, "2015-03-14");
    assert_eq!(assigned(&db, "C1"), "carl");
    db.import("limit-again", &files, "2015-03-14");
    assert_eq!(assigned(&db, "C1"), "carl");
    let server = Server::start(&db, AS_OF);
    let mut ada = Client::with_token(&server, &token(&db, "ada"));
    let a = ada.get("/api/v1/customers/US01/C1/assignment").json();
    assert_eq!(a["assigned_user"], "carl");
    assert_eq!(a["source"], "arrears");
    assert_eq!(a["sync_user"], "cara");
    assert_eq!(a["assigned_by"], "tester", "who ran the command");
    assert_eq!(a["assigned_on"], "2015-03-14");
    server.stop();

    // Handed back, C1 goes where customers.csv says, and syncs rule it again.
    let back = assign_c1(&db, &["--sync", "--as-of", "2015-03-15"]);
    assert!(back.contains("1 moved back to customers.csv"), "{back}");
    assert_eq!(assigned(&db, "C1"), "cara");
    db.import(
        "erp-again",
        &[("customers.csv", &c1_row("cole", "20000"))],
        "2015-03-15",
    );
    assert_eq!(assigned(&db, "C1"), "cole");

    // Every change is in C1's history, with who made it.
    let history = db.ok(&[
        "history",
        "--customer",
        "C1",
        "--company",
        "US01",
        "--entity",
        "assignment",
        "--format",
        "json",
    ]);
    let events: Vec<serde_json::Value> = serde_json::from_str(&history).unwrap();
    let actions: Vec<String> = events.iter().map(|e| field(e, "action")).collect();
    assert_eq!(actions, ["assign", "to_sync"], "{history}");
}

#[test]
fn a_filter_assigns_every_customer_it_matches_and_bad_requests_change_nothing() {
    let db = book();
    // C1, C2 and C3 have past-due balances on the 13th; C4 and C5 do not.
    let moved = db.ok(&[
        "assign",
        "--pool",
        "--filter",
        "total_past_due > 0",
        "--as-of",
        AS_OF,
    ]);
    assert!(moved.contains("3 customer(s) matched; 3 moved"), "{moved}");
    for c in ["C1", "C2", "C3"] {
        assert_eq!(assigned(&db, c), "", "{c} in the pool");
    }
    assert_eq!(assigned(&db, "C5"), "ivy");

    let before = db.ok(&["history", "--format", "csv"]);
    let err = db.fails(&[
        "assign",
        "--to",
        "zed",
        "--company",
        "US01",
        "--customer",
        "C4",
    ]);
    assert!(err.contains("no user \"zed\""), "{err}");
    let err = db.fails(&[
        "assign",
        "--to",
        "carl",
        "--company",
        "US01",
        "--customer",
        "C4",
        "--customer",
        "C9",
    ]);
    assert!(
        err.contains("no customer \"C9\" in company \"US01\""),
        "{err}"
    );
    assert_eq!(
        assigned(&db, "C4"),
        "",
        "all or nothing: C4 stays in the pool"
    );
    let err = db.fails(&["assign", "--to", "carl", "--filter", "total_pastdue > 0"]);
    assert!(
        err.contains("--filter") && err.contains("total_past_due"),
        "{err}"
    );
    let err = db.fails(&["assign", "--filter", "total_past_due > 0"]);
    assert!(err.contains("--to") || err.contains("required"), "{err}");
    let err = db.fails(&["assign", "--to", "carl", "--customer", "C1"]);
    assert!(err.contains("--company"), "{err}");
    let err = db.fails(&["assign", "--pool", "--company", "XX01", "--filter", "true"]);
    assert!(err.contains("no company \"XX01\""), "{err}");
    assert_eq!(
        db.ok(&["history", "--format", "csv"]),
        before,
        "nothing logged"
    );
}

#[test]
fn admins_assign_from_the_pages_and_the_api_and_scopes_follow() {
    let db = book();
    let server = Server::start(&db, AS_OF);
    let mut cole = Client::with_token(&server, &token(&db, "cole"));
    let mut carl = Client::with_token(&server, &token(&db, "carl"));
    assert_eq!(cole.get("/api/v1/customers/US01/C1").status, 200);
    assert_eq!(carl.get("/api/v1/customers/US01/C1").status, 404);

    // Only admins assign; others are refused before anything is read.
    let refused = cole.put_json(
        "/api/v1/customers/US01/C1/assignment",
        r#"{"user_id": "cole"}"#,
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(
        cole.post_json("/api/v1/assignments", r#"{"filter": ""}"#)
            .status,
        403
    );
    assert_eq!(cole.get("/api/v1/assignments").status, 403);

    let mut ada = Client::with_token(&server, &token(&db, "ada"));
    let bad = ada.put_json(
        "/api/v1/customers/US01/C1/assignment",
        r#"{"user_id": "zed"}"#,
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.json()["error"].as_str().unwrap().contains("zed"));
    let missing = ada.put_json(
        "/api/v1/customers/US01/C9/assignment",
        r#"{"user_id": "carl"}"#,
    );
    assert_eq!(missing.status, 404);
    let malformed = ada.put_json("/api/v1/customers/US01/C1/assignment", "{");
    assert_eq!(malformed.status, 400);

    let moved = ada.put_json(
        "/api/v1/customers/US01/C1/assignment",
        r#"{"user_id": "carl"}"#,
    );
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(moved.json()["assigned_user"], "carl");
    assert_eq!(moved.json()["sync_user"], "cole");
    // Carl's team now sees C1, Mia's team no longer does.
    assert_eq!(carl.get("/api/v1/customers/US01/C1").status, 200);
    assert_eq!(cole.get("/api/v1/customers/US01/C1").status, 404);
    let listed = ada.get("/api/v1/assignments").json();
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["customer_id"], "C1");

    // Many at once by filter: a preview counts, the run moves.
    let preview = ada.post_json(
        "/api/v1/assignments",
        r#"{"filter": "credit_limit > 0", "user_id": "cara", "preview": true}"#,
    );
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert_eq!(preview.json()["matched"], 2, "C1 and C2 have limits");
    assert_eq!(preview.json()["moved"], 2);
    assert_eq!(
        ada.get("/api/v1/assignments").json()["total"],
        1,
        "a preview moves nothing"
    );
    let run = ada.post_json(
        "/api/v1/assignments",
        r#"{"filter": "credit_limit > 0", "user_id": "cara"}"#,
    );
    assert_eq!(run.json()["moved"], 2, "{}", run.body);
    let bad = ada.post_json("/api/v1/assignments", r#"{"filter": "credit_limt > 0"}"#);
    assert_eq!(bad.status, 422, "{}", bad.body);
    let both = ada.post_json(
        "/api/v1/assignments",
        r#"{"user_id": "cara", "sync": true}"#,
    );
    assert_eq!(both.status, 422, "{}", both.body);
    let back = ada.delete("/api/v1/customers/US01/C1/assignment");
    assert_eq!(back.status, 200, "{}", back.body);
    assert_eq!(back.json()["assigned_user"], "cole");
    assert_eq!(back.json()["source"], "sync");

    // The pages: Account Detail says where the assignment comes from and lets an admin move
    // it; My Accounts moves every customer its filter lists.
    let mut page = signed_in(&server, "ada");
    let account = page.get("/customers/US01/C2");
    assert!(
        account.body.contains("id=\"assign-form\""),
        "admins get the form"
    );
    assert!(
        account.body.contains("data-source=\"arrears\""),
        "{}",
        account.body
    );
    let csrf = account.csrf();
    let posted = page.post(
        "/customers/US01/C2/assignment",
        &[("csrf", &csrf), ("user_id", ""), ("to", "user")],
    );
    assert_eq!(posted.status, 303, "{}", posted.body);
    assert_eq!(
        ada.get("/api/v1/customers/US01/C2/assignment").json()["assigned_user"],
        serde_json::Value::Null
    );
    let no_csrf = page.post(
        "/customers/US01/C2/assignment",
        &[("user_id", "cole"), ("to", "user")],
    );
    assert_eq!(no_csrf.status, 403);
    let listed = page.get("/accounts?filter=customer_id%20in%20%5B%22C2%22%2C%20%22C4%22%5D");
    assert!(
        listed.body.contains("id=\"assign-listed\""),
        "{}",
        listed.body
    );
    let posted = page.post(
        "/accounts/assign",
        &[
            ("csrf", &csrf),
            ("filter", "customer_id in [\"C2\", \"C4\"]"),
            ("user_id", "max"),
            ("to", "user"),
        ],
    );
    assert_eq!(posted.status, 303, "{}", posted.body);
    let location = posted.header("location").unwrap_or_default().to_owned();
    assert!(location.contains("moved=2"), "{location}");
    let after = page.get(&location);
    assert!(after.body.contains("2 customers moved."), "{}", after.body);
    let mut max = Client::with_token(&server, &token(&db, "max"));
    assert_eq!(max.get("/api/v1/customers/US01/C2").status, 200);

    // Others see no assignment forms, and their posts are refused.
    let mut cole_page = signed_in(&server, "cole");
    let own = cole_page.get("/customers/US01/C1");
    assert!(!own.body.contains("id=\"assign-form\""));
    assert!(
        own.body.contains("id=\"assignment\""),
        "everyone reads where it comes from"
    );
    assert!(
        !cole_page
            .get("/accounts")
            .body
            .contains("id=\"assign-listed\"")
    );
    let csrf = own.csrf();
    let refused = cole_page.post(
        "/accounts/assign",
        &[
            ("csrf", &csrf),
            ("filter", ""),
            ("user_id", "cole"),
            ("to", "user"),
        ],
    );
    assert_eq!(refused.status, 403);
    server.stop();
}
