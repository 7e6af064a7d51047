//! Payment plans (payment schedules) through the real server and the command line: an admin
//! splits an invoice into instalments that then age apart, payments pay them oldest first and
//! close each on its own day, a cancelled plan gives the invoice back its original terms, and
//! bad plans are refused with nothing written.

mod common;

use common::web::{AS_OF, Client, Server, book, signed_in, token};
use common::{TestDb, field, row};
use serde_json::Value;

fn api_for(db: &TestDb, server: &Server, user: &str) -> Client {
    Client::with_token(server, &token(db, user))
}

/// An amount as printed, whether the JSON holds it as a number or a string.
fn amount(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

/// The glossary's special terms on I1 (2,500.00 dated 2015-01-02, due 2015-02-01): 50% on
/// Net30 and 50% on Net90.
const HALF_AND_HALF: &str = r#"{"tran_id": "I1", "note": "Special terms agreed by phone",
    "instalments": [{"due_date": "2015-04-02", "amount": "1250"},
                    {"due_date": "2015-02-01", "amount": "1250.00"}]}"#;

fn make(api: &mut Client, body: &str) -> (u16, Value) {
    let answer = api.post_json("/api/v1/customers/US01/C1/payment-plans", body);
    let json = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
    (answer.status, json)
}

fn plans(api: &mut Client) -> Vec<Value> {
    let answer = api.get("/api/v1/customers/US01/C1/payment-plans");
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()["items"].as_array().expect("items").clone()
}

/// `(tran_id, instalment, due_date, balance)` of C1's open items, as the API lists them.
fn open_items(api: &mut Client) -> Vec<(String, String, String, String)> {
    let answer = api.get("/api/v1/customers/US01/C1/invoices");
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                field(i, "tran_id"),
                field(i, "instalment"),
                field(i, "due_date"),
                field(i, "balance"),
            )
        })
        .collect()
}

fn owned(rows: &[(&str, &str, &str, &str)]) -> Vec<(String, String, String, String)> {
    rows.iter()
        .map(|(a, b, c, d)| ((*a).into(), (*b).into(), (*c).into(), (*d).into()))
        .collect()
}

#[test]
fn an_invoice_split_into_instalments_ages_by_them_until_the_plan_is_cancelled() {
    let db = book();
    let server = Server::start(&db, AS_OF);
    let mut ada = api_for(&db, &server, "ada");
    let (status, plan) = make(&mut ada, HALF_AND_HALF);
    assert_eq!(status, 201, "{plan}");
    let plan_id = plan["plan_id"].as_i64().expect("a plan id");
    assert_eq!(plan["is_active"], true);
    assert_eq!(plan["made_by"], "ada");
    assert_eq!(plan["made_on"], AS_OF);
    assert_eq!(plan["orig_due_date"], "2015-02-01");
    assert_eq!(amount(&plan["orig_amount"]), "2500.00");
    assert_eq!(amount(&plan["total"]), "2500.00");
    // By due date, whatever order they were typed in.
    let schedule = plan["schedule"].as_array().expect("a schedule");
    let due: Vec<&str> = schedule
        .iter()
        .map(|s| s["due_date"].as_str().unwrap())
        .collect();
    assert_eq!(due, ["2015-02-01", "2015-04-02"]);
    assert_eq!(schedule[0]["late"], true);
    assert_eq!(schedule[1]["late"], false);

    // The first half is 40 days late, the second not yet due; the original terms are kept.
    let mut cole = api_for(&db, &server, "cole");
    assert_eq!(
        open_items(&mut cole),
        owned(&[
            ("I1", "1", "2015-02-01", "1250.00"),
            ("I1", "2", "2015-04-02", "1250.00"),
            ("I2", "", "2015-03-31", "7500.00"),
        ])
    );
    let items = cole.get("/api/v1/customers/US01/C1/invoices").json();
    let first = &items["items"][0];
    assert_eq!(first["pay_sched"], true);
    assert_eq!(first["orig_due_date"], "2015-02-01");
    assert_eq!(amount(&first["orig_tran_amt"]), "2500.00");
    let c1 = cole.get("/api/v1/customers/US01/C1").json();
    assert_eq!(amount(&c1["total_past_due"]), "1250.00");
    assert_eq!(amount(&c1["total_age"]), "10000.00");
    assert_eq!(c1["no_over_due_inv"], 1);
    server.stop();

    // The command line ages the same way; the day before the plan, by the original terms.
    let today = db.aging_json(&["--as-of", AS_OF]);
    assert_eq!(
        field(row(&today, "customer_id", "C1"), "total_past_due"),
        "1250.00"
    );
    let before = db.aging_json(&["--as-of", "2015-03-12"]);
    assert_eq!(
        field(row(&before, "customer_id", "C1"), "total_past_due"),
        "2500.00"
    );
    let by_invoice = db.aging_json(&["--as-of", AS_OF, "--by", "invoice"]);
    let i1: Vec<(String, String)> = by_invoice
        .iter()
        .filter(|r| field(r, "tran_id") == "I1")
        .map(|r| (field(r, "due_date"), field(r, "due_age_2")))
        .collect();
    assert_eq!(
        i1,
        [
            ("2015-02-01".to_owned(), "1250.00".to_owned()),
            ("2015-04-02".to_owned(), "0.00".to_owned())
        ]
    );

    // 1,500.00 paid on the 20th pays the first instalment, 47 days late, and 250.00 of the
    // second.
    let payment = [
        (
            "invoices.csv",
            "company_id,customer_id,tran_id,tran_type,tran_date,due_date,amount,balance\n\
             US01,C1,I1,IN,2015-01-02,2015-02-01,2500,1000\n",
        ),
        (
            "payments.csv",
            "company_id,customer_id,payment_id,payment_date,amount\n\
             US01,C1,P1,2015-03-20,1500\n",
        ),
        (
            "payment_applications.csv",
            "company_id,payment_id,tran_id,amount,applied_date\nUS01,P1,I1,1500,2015-03-20\n",
        ),
    ];
    db.import("payment", &payment, "2015-03-25");
    let server = Server::start(&db, "2015-03-25");
    let mut ada = api_for(&db, &server, "ada");
    let plan = ada.get(&format!("/api/v1/payment-plans/{plan_id}")).json();
    let schedule = plan["schedule"].as_array().expect("a schedule");
    assert_eq!(amount(&schedule[0]["balance"]), "0.00");
    assert_eq!(schedule[0]["closing_date"], "2015-03-20");
    assert_eq!(schedule[0]["days_paid_late"], 47);
    assert_eq!(amount(&schedule[1]["paid"]), "250.00");
    assert_eq!(amount(&schedule[1]["balance"]), "1000.00");
    assert!(schedule[1]["closing_date"].is_null());
    let listed = plans(&mut ada);
    assert_eq!(listed[0]["schedule"], plan["schedule"]);
    let c1 = ada.get("/api/v1/customers/US01/C1").json();
    assert_eq!(amount(&c1["total_past_due"]), "0.00");
    assert_eq!(amount(&c1["avg_days_late"]), "47.00");
    assert_eq!(
        open_items(&mut ada),
        owned(&[
            ("I1", "2", "2015-04-02", "1000.00"),
            ("I2", "", "2015-03-31", "7500.00"),
        ])
    );

    // Cancelled, the invoice ages by its original due date again, 52 days late; the plan
    // stays listed, and both changes are in the customer's history.
    let stale = ada.patch_json(
        &format!("/api/v1/payment-plans/{plan_id}"),
        r#"{"version": 0, "status": "cancelled"}"#,
    );
    assert_eq!(stale.status, 409, "{}", stale.body);
    let cancelled = ada.patch_json(
        &format!("/api/v1/payment-plans/{plan_id}"),
        r#"{"version": 1, "status": "cancelled"}"#,
    );
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    let cancelled = cancelled.json();
    assert_eq!(cancelled["is_active"], false);
    assert_eq!(cancelled["cancelled_by"], "ada");
    assert_eq!(cancelled["schedule"], serde_json::json!([]));
    let again = ada.patch_json(
        &format!("/api/v1/payment-plans/{plan_id}"),
        r#"{"version": 2, "status": "cancelled"}"#,
    );
    assert_eq!(again.status, 409, "{}", again.body);
    let c1 = ada.get("/api/v1/customers/US01/C1").json();
    assert_eq!(amount(&c1["total_past_due"]), "1000.00");
    assert_eq!(
        open_items(&mut ada),
        owned(&[
            ("I1", "", "2015-02-01", "1000.00"),
            ("I2", "", "2015-03-31", "7500.00"),
        ])
    );
    assert_eq!(plans(&mut ada).len(), 1);
    let history = ada.get("/api/v1/customers/US01/C1/history").json();
    let logged: Vec<(String, String)> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entity"] == "payment_plan")
        .map(|e| (field(e, "action"), field(e, "user_id")))
        .collect();
    assert_eq!(logged.len(), 2, "{logged:?}");
    assert!(logged.contains(&("make".to_owned(), "ada".to_owned())));
    assert!(logged.contains(&("cancel".to_owned(), "ada".to_owned())));
    server.stop();
    // The aging of the 24th still follows the plan in force that day, over the book as that
    // day knew it (the payment of the 20th came with the sync of the 25th): the first
    // instalment past due, not the whole invoice.
    let that_day = db.aging_json(&["--as-of", "2015-03-24"]);
    assert_eq!(
        field(row(&that_day, "customer_id", "C1"), "total_past_due"),
        "1250.00"
    );
}

#[test]
fn bad_plans_are_refused_with_the_reason_and_write_nothing() {
    let db = book();
    let server = Server::start(&db, AS_OF);
    let mut ada = api_for(&db, &server, "ada");
    let refusals = [
        (
            r#"{"tran_id": "I1", "instalments": [{"due_date": "2015-02-01", "amount": "1250"},
                {"due_date": "2015-04-02", "amount": "1000"}]}"#,
            422,
            "instalments: they add up to 2250.00 USD; the invoice's balance is 2500.00 USD",
        ),
        (
            r#"{"tran_id": "I1", "instalments": []}"#,
            422,
            "instalments: give at least one instalment",
        ),
        (
            r#"{"tran_id": "I1", "instalments": [{"due_date": "2015-02-01", "amount": "2500"},
                {"due_date": "2015-04-02", "amount": "0"}]}"#,
            422,
            "instalments[2].amount: an instalment is for more than zero",
        ),
        (
            r#"{"tran_id": "I1", "instalments": [{"due_date": "2015-02-01", "amount": "1250"},
                {"due_date": "2015-02-01", "amount": "1250"}]}"#,
            422,
            "instalments[2].due_date: 2015-02-01 is the due date of instalment 1 too",
        ),
        (
            r#"{"tran_id": "I1", "instalments": [{"due_date": "2014-12-31", "amount": "2500"}]}"#,
            422,
            "instalments[1].due_date: 2014-12-31 is before the invoice's date 2015-01-02",
        ),
        (
            r#"{"tran_id": "I1", "instalments": [{"due_date": "2015-04-02", "amount": "2500.00001"}]}"#,
            422,
            "instalments[1].amount: amount \"2500.00001\" has more than 4 decimals",
        ),
        (
            r#"{"tran_id": "I1", "instalments": [{"due_date": "2015-04-31", "amount": "2500"}]}"#,
            400,
            "due_date",
        ),
        (
            r#"{"tran_id": "I9", "instalments": [{"due_date": "2015-04-02", "amount": "2500"}]}"#,
            404,
            "not found",
        ),
        // I3 is C2's invoice: not one of C1's.
        (
            r#"{"tran_id": "I3", "instalments": [{"due_date": "2015-04-02", "amount": "1250.50"}]}"#,
            404,
            "not found",
        ),
    ];
    for (body, status, message) in refusals {
        let (got, answer) = make(&mut ada, body);
        assert_eq!(got, status, "{body}: {answer}");
        if status != 400 {
            assert!(
                answer["error"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(message),
                "{body}: {answer}"
            );
        }
    }
    // Only admins make or cancel plans; everyone who sees the customer reads them.
    let mut cole = api_for(&db, &server, "cole");
    let (got, answer) = make(&mut cole, HALF_AND_HALF);
    assert_eq!(got, 403, "{answer}");
    assert!(plans(&mut ada).is_empty());
    let (got, plan) = make(&mut ada, HALF_AND_HALF);
    assert_eq!(got, 201, "{plan}");
    let plan_id = plan["plan_id"].as_i64().unwrap();
    let (got, answer) = make(&mut ada, HALF_AND_HALF);
    assert_eq!(got, 409, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .unwrap_or_default()
            .contains(&format!(
                "invoice I1 already has payment plan {plan_id} in force"
            )),
        "{answer}"
    );
    let by_cole = cole.patch_json(
        &format!("/api/v1/payment-plans/{plan_id}"),
        r#"{"version": 1, "status": "cancelled"}"#,
    );
    assert_eq!(by_cole.status, 403, "{}", by_cole.body);
    assert_eq!(plans(&mut cole).len(), 1);
    // Carl sees neither C1 nor its plans.
    let mut carl = api_for(&db, &server, "carl");
    assert_eq!(
        carl.get(&format!("/api/v1/payment-plans/{plan_id}")).status,
        404
    );
    assert_eq!(
        carl.get("/api/v1/customers/US01/C1/payment-plans").status,
        404
    );
    let history = ada.get("/api/v1/customers/US01/C1/history").json();
    let made = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entity"] == "payment_plan")
        .count();
    assert_eq!(made, 1);
    server.stop();
}

#[test]
fn invoice_view_rules_tag_a_planned_invoice_once() {
    let db = book();
    db.import(
        "rules",
        &[(
            "rules.csv",
            "company_id,credit_class,seq_no,action_code,view,filter,standalone\n\
             US01,STANDARD,30,CALL,invoice,pay_sched == true,yes\n",
        )],
        AS_OF,
    );
    let server = Server::start(&db, AS_OF);
    let mut ada = api_for(&db, &server, "ada");
    let (status, plan) = make(&mut ada, HALF_AND_HALF);
    assert_eq!(status, 201, "{plan}");
    server.stop();
    let out = db.ok(&["actions", "generate", "--as-of", AS_OF, "--format", "json"]);
    let changes: Vec<Value> = serde_json::from_str(&out).expect("JSON");
    let planned: Vec<&Value> = changes
        .iter()
        .filter(|c| field(c, "seq_no") == "30")
        .collect();
    assert_eq!(planned.len(), 1, "{out}");
    assert_eq!(planned[0]["tagged"], serde_json::json!(["I1"]));
    let explained = db.ok(&["rules", "explain", "US01", "C1", "--as-of", AS_OF]);
    assert!(explained.contains("I1 (2500.00)"), "{explained}");
}

#[test]
fn admins_make_and_cancel_a_plan_from_the_invoice_page() {
    let db = book();
    let server = Server::start(&db, AS_OF);
    let mut ada = signed_in(&server, "ada");
    let page = ada.get("/customers/US01/C1/invoices/I1");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"plan-form\""), "{}", page.body);
    assert!(page.body.contains("2,500.00 USD"));
    let csrf = page.csrf();
    // A row with a date but no amount is refused, and the page says why.
    let half = ada.post(
        "/customers/US01/C1/invoices/I1/payment-plans",
        &[
            ("csrf", csrf.as_str()),
            ("due_date", "2015-02-01"),
            ("amount", ""),
            ("due_date", ""),
            ("amount", ""),
        ],
    );
    assert_eq!(half.status, 422, "{}", half.body);
    assert!(
        half.body
            .contains("instalments[1].amount: give the amount due on 2015-02-01"),
        "{}",
        half.body
    );
    let made = ada.post(
        "/customers/US01/C1/invoices/I1/payment-plans",
        &[
            ("csrf", csrf.as_str()),
            ("due_date", "2015-02-01"),
            ("amount", "1250"),
            ("due_date", "2015-04-02"),
            ("amount", "1250"),
            ("due_date", ""),
            ("amount", ""),
            ("note", "Half now, half at Easter"),
        ],
    );
    assert_eq!(made.status, 303, "{}", made.body);
    let page = ada.get("/customers/US01/C1/invoices/I1");
    assert!(
        page.body.contains("id=\"instalment-list\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("Half now, half at Easter"));
    assert!(
        page.body
            .contains("<tr class=\"state-late\"><td>1</td><td>2015-02-01</td>")
    );
    assert!(page.body.contains("id=\"cancel-plan\""));
    assert!(!page.body.contains("id=\"plan-form\""));
    // The statement of accounts shows the instalments.
    let account = ada.get("/customers/US01/C1");
    assert!(
        account
            .body
            .contains("<th scope=\"col\" class=\"num\">instalment</th>")
    );
    assert!(
        account
            .body
            .contains("<td>2015-04-02</td><td class=\"num\">2</td>")
    );

    // A collector sees the plan, but neither the form nor the cancel button, and may not post.
    let mut cole = signed_in(&server, "cole");
    let seen = cole.get("/customers/US01/C1/invoices/I1");
    assert!(seen.body.contains("id=\"instalment-list\""));
    assert!(!seen.body.contains("id=\"cancel-plan\""));
    let csrf_cole = seen.csrf();
    let refused = cole.post(
        "/customers/US01/C1/invoices/I2/payment-plans",
        &[
            ("csrf", csrf_cole.as_str()),
            ("due_date", "2015-04-30"),
            ("amount", "7500"),
        ],
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
    let plan_id = {
        let mut api = api_for(&db, &server, "ada");
        plans(&mut api)[0]["plan_id"].as_i64().unwrap()
    };
    let cancel = ada.post(
        &format!("/payment-plans/{plan_id}/cancel"),
        &[("csrf", csrf.as_str()), ("version", "1")],
    );
    assert_eq!(cancel.status, 303, "{}", cancel.body);
    let page = ada.get("/customers/US01/C1/invoices/I1");
    assert!(page.body.contains("id=\"plan-form\""));
    assert!(page.body.contains("id=\"past-plans\""));
    assert!(page.body.contains("cancelled on 2015-03-13 by ada"));
    server.stop();
}
