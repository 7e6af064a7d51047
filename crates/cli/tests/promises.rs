//! Expected payments and promises to pay through the real server and the sync: recorded on a
//! call, matched against the payments of the next sync, kept or broken, the Broken Promise and
//! Follow-up Past Due user actions they raise, the figures rules and the aging read, and each
//! user's open work.

mod common;

use common::web::{AS_OF, Client, Server, book, signed_in, token};
use common::{TestDb, row};
use serde_json::Value;

fn api_for(db: &TestDb, server: &Server, user: &str) -> Client {
    Client::with_token(server, &token(db, user))
}

fn customer(api: &mut Client, id: &str) -> Value {
    let answer = api.get(&format!("/api/v1/customers/US01/{id}"));
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

fn expected(api: &mut Client, id: &str) -> Vec<Value> {
    let answer = api.get(&format!("/api/v1/customers/US01/{id}/expected-payments"));
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()["items"].as_array().expect("items").clone()
}

fn user_actions(api: &mut Client) -> Vec<Value> {
    let answer = api.get("/api/v1/user-actions");
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()["items"].as_array().expect("items").clone()
}

/// An amount as printed, whether the JSON holds it as a number or a string.
fn amount(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

/// Cole promises 1,000 of I1 by Monday the 16th; Cara's customer promises all of I3 by the
/// 17th. Their ids.
fn two_promises(db: &TestDb, server: &Server) -> (i64, i64) {
    let mut cole = api_for(db, server, "cole");
    let kept = cole.post_json(
        "/api/v1/customers/US01/C1/activities",
        r#"{"activity_type": "Phone", "call_result": "spoke", "tagged": ["I1"],
            "expected_amount": "1000", "expected_date": "2015-03-16", "promise": true,
            "note": "Will pay 1,000 on Monday", "complete": true}"#,
    );
    assert_eq!(kept.status, 201, "{}", kept.body);
    let mut cara = api_for(db, server, "cara");
    let broken = cara.post_json(
        "/api/v1/customers/US01/C2/activities",
        r#"{"activity_type": "Phone", "call_result": "spoke", "tagged": ["I3"],
            "expected_amount": "1250.50", "expected_date": "2015-03-17", "promise": true,
            "complete": true}"#,
    );
    assert_eq!(broken.status, 201, "{}", broken.body);
    (
        kept.json()["expected_id"]
            .as_i64()
            .expect("an expected payment"),
        broken.json()["expected_id"]
            .as_i64()
            .expect("an expected payment"),
    )
}

/// Monday's payment of 1,000 towards I1, brought by the sync of the 18th.
const PAYMENT: [(&str, &str); 2] = [
    (
        "payments.csv",
        "company_id,customer_id,payment_id,payment_date,amount\nUS01,C1,P1,2015-03-16,1000\n",
    ),
    (
        "payment_applications.csv",
        "company_id,payment_id,tran_id,amount,applied_date\nUS01,P1,I1,1000,2015-03-16\n",
    ),
];

#[test]
fn a_promise_is_recorded_on_a_call_and_held_to_its_date_by_the_next_sync() {
    let db = book();
    let server = Server::start(&db, AS_OF);
    let (kept_id, broken_id) = two_promises(&db, &server);
    let mut cole = api_for(&db, &server, "cole");
    let promise = cole
        .get(&format!("/api/v1/expected-payments/{kept_id}"))
        .json();
    assert_eq!(promise["status"], "open");
    assert_eq!(amount(&promise["amount"]), "1000.00");
    assert_eq!(promise["currency"], "USD");
    assert_eq!(promise["is_promise"], true);
    assert_eq!(promise["tagged"], serde_json::json!(["I1"]));
    assert_eq!(promise["entered_by"], "cole");
    // The promise figures: open, due in 3 days; rules and lists can read them.
    let c1 = customer(&mut cole, "C1");
    assert_eq!(c1["has_promise"], true);
    assert_eq!(c1["expected_pay_days"], 3);
    assert_eq!(c1["broken_promise_90d"], 0);
    assert!(c1["promise_kept_rate"].is_null());
    let invoices = cole.get("/api/v1/customers/US01/C1/invoices").json();
    let promised: Vec<(&str, bool)> = invoices["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["tran_id"].as_str().unwrap(),
                i["has_promise"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(promised, [("I1", true), ("I2", false)]);
    let filtered = cole
        .get("/api/v1/customers?filter=has_promise%20%3D%3D%20true")
        .json();
    let ids: Vec<&str> = filtered["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["customer_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["C1", "C2"]);
    server.stop();

    // The sync of the 18th brings Monday's payment: C1's promise is kept, C2's broken, and
    // Cara, C2's collector, gets a Broken Promise user action.
    let summary = db.import("payments", &PAYMENT, "2015-03-18");
    assert!(summary.contains("promises: 1 kept, 1 broken"), "{summary}");
    let server = Server::start(&db, "2015-03-18");
    let mut cole = api_for(&db, &server, "cole");
    let kept = &expected(&mut cole, "C1")[0];
    assert_eq!(kept["status"], "kept");
    assert_eq!(amount(&kept["actual_amount"]), "1000.00");
    assert_eq!(kept["actual_date"], "2015-03-16");
    assert_eq!(kept["checked_on"], "2015-03-18");
    let mut cara = api_for(&db, &server, "cara");
    let broken = &expected(&mut cara, "C2")[0];
    assert_eq!(broken["expected_id"], broken_id);
    assert_eq!(broken["status"], "broken");
    assert_eq!(amount(&broken["actual_amount"]), "0.00");
    let c1 = customer(&mut cole, "C1");
    assert_eq!(c1["has_promise"], false);
    assert_eq!(c1["actual_pay_days"], 0);
    assert_eq!(amount(&c1["promise_kept_rate"]), "1.00");
    let c2 = customer(&mut cara, "C2");
    for window in ["90d", "6m", "1y", "2y"] {
        assert_eq!(c2[format!("broken_promise_{window}")], 1, "{window}");
    }
    assert_eq!(amount(&c2["promise_kept_rate"]), "0.00");
    let broken_list = cara
        .get("/api/v1/customers?filter=broken_promise_90d%20%3E%200")
        .json();
    assert_eq!(broken_list["total"], 1);
    assert_eq!(broken_list["items"][0]["customer_id"], "C2");
    let actions = user_actions(&mut cara);
    assert_eq!(actions.len(), 1, "{actions:?}");
    let action = &actions[0];
    assert_eq!(action["kind"], "broken_promise");
    assert_eq!(action["customer_id"], "C2");
    assert_eq!(action["description"], "Broken promise to pay");
    assert_eq!(action["priority"], 2);
    assert_eq!(action["raised_on"], "2015-03-18");
    assert!(
        action["detail"]
            .as_str()
            .unwrap()
            .contains("promised 1250.50 USD by 2015-03-17"),
        "{action}"
    );
    assert!(user_actions(&mut cole).is_empty());
    // The event log keeps the check and the action raised.
    let history = cara.get("/api/v1/customers/US01/C2/history").json();
    let kinds: Vec<(String, String)> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["entity"].as_str().unwrap().to_owned(),
                e["action"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for wanted in [
        ("expected_payment", "create"),
        ("expected_payment", "check"),
        ("user_action", "raise"),
    ] {
        assert!(
            kinds
                .iter()
                .any(|(a, b)| (a.as_str(), b.as_str()) == wanted),
            "{wanted:?} in {kinds:?}"
        );
    }
    server.stop();

    // A broken promise is raised once, however many syncs and generates find it.
    db.import("payments-again", &PAYMENT, "2015-03-19");
    db.ok(&["actions", "generate", "--as-of", "2015-03-19"]);
    let server = Server::start(&db, "2015-03-19");
    let mut cara = api_for(&db, &server, "cara");
    assert_eq!(user_actions(&mut cara).len(), 1);

    // The aging prints the promise figures, as of any date.
    let on_18th = db.aging_json(&["--as-of", "2015-03-18"]);
    assert_eq!(row(&on_18th, "customer_id", "C2")["broken_promise_90d"], 1);
    assert_eq!(row(&on_18th, "customer_id", "C1")["has_promise"], false);
    let on_14th = db.aging_json(&["--as-of", "2015-03-14"]);
    assert_eq!(row(&on_14th, "customer_id", "C2")["broken_promise_90d"], 0);
    assert_eq!(row(&on_14th, "customer_id", "C2")["has_promise"], true);
    assert_eq!(row(&on_14th, "customer_id", "C2")["expected_pay_days"], 3);
    assert_eq!(row(&on_14th, "customer_id", "C3")["has_promise"], false);

    // The user works the action: her own priority and words, a stale edit refused, then done.
    let id = user_actions(&mut cara)[0]["user_action_id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/user-actions/{id}");
    let edited = cara.patch_json(
        &path,
        r#"{"version": 1, "description": "Call Bolt & Nut about the broken promise", "priority": 1}"#,
    );
    assert_eq!(edited.status, 200, "{}", edited.body);
    let edited = edited.json();
    assert_eq!(edited["priority"], 1);
    assert_eq!(
        edited["description"],
        "Call Bolt & Nut about the broken promise"
    );
    let stale = cara.patch_json(&path, r#"{"version": 1, "close": true}"#);
    assert_eq!(stale.status, 409, "{}", stale.body);
    let bad = cara.patch_json(&path, r#"{"version": 2, "priority": 100}"#);
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(
        bad.body.contains("priority: 100 is not a priority"),
        "{}",
        bad.body
    );
    let back = cara.patch_json(&path, r#"{"version": 2, "description": "", "priority": 0}"#);
    assert_eq!(back.json()["description"], "Broken promise to pay");
    assert_eq!(back.json()["priority"], 2);
    let done = cara.patch_json(&path, r#"{"version": 3, "close": true}"#);
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.json()["is_open"], false);
    assert_eq!(done.json()["closed_by"], "cara");
    assert!(user_actions(&mut cara).is_empty());
    // Carl's team does not see C2 nor its actions.
    let mut carl = api_for(&db, &server, "carl");
    assert_eq!(carl.get(&path).status, 404);
    assert_eq!(
        carl.get(&format!("/api/v1/expected-payments/{broken_id}"))
            .status,
        404
    );
}

#[test]
fn bad_expected_payments_are_refused_and_change_nothing() {
    let db = book();
    let server = Server::start(&db, AS_OF);
    let mut cole = api_for(&db, &server, "cole");
    let before = cole.get("/api/v1/customers/US01/C1/activities").json()["total"].clone();
    for (body, why) in [
        (
            r#"{"activity_type": "Phone", "tagged": ["I1"], "expected_amount": "100", "expected_date": "2015-03-12", "promise": true}"#,
            "expected_date: 2015-03-12 is before the business date 2015-03-13",
        ),
        (
            r#"{"activity_type": "Phone", "tagged": ["I1"], "expected_amount": "2500.01", "expected_date": "2015-03-20"}"#,
            "expected_amount: 2500.01 USD is more than the open balance of the tagged invoices (2500.00 USD)",
        ),
        (
            r#"{"activity_type": "Phone", "promise": true}"#,
            "promise: a promise to pay needs an expected amount and date",
        ),
        (
            r#"{"activity_type": "Phone", "expected_amount": "100"}"#,
            "expected_date: an expected payment needs the date it is expected by",
        ),
        (
            r#"{"activity_type": "Phone", "expected_amount": "0", "expected_date": "2015-03-20"}"#,
            "expected_amount: must be more than zero",
        ),
        (
            r#"{"activity_type": "Phone", "expected_amount": "1.00001", "expected_date": "2015-03-20"}"#,
            "expected_amount:",
        ),
        (
            r#"{"activity_type": "Phone", "tagged": ["I3"], "expected_amount": "10", "expected_date": "2015-03-20"}"#,
            "is not an open invoice of customer C1",
        ),
    ] {
        let answer = cole.post_json("/api/v1/customers/US01/C1/activities", body);
        assert_eq!(answer.status, 422, "{body}: {}", answer.body);
        assert!(answer.body.contains(why), "{body}: {}", answer.body);
    }
    assert_eq!(
        cole.get("/api/v1/customers/US01/C1/activities").json()["total"],
        before
    );
    assert!(expected(&mut cole, "C1").is_empty());

    // An expected payment without invoices is in the customer's currency; it can be
    // cancelled once, and a cancelled one counts for nothing.
    let logged = cole.post_json(
        "/api/v1/customers/US01/C1/activities",
        r#"{"activity_type": "EmailRcd", "expected_amount": "300", "expected_date": "2015-03-20"}"#,
    );
    assert_eq!(logged.status, 201, "{}", logged.body);
    let id = logged.json()["expected_id"].as_i64().unwrap();
    let path = format!("/api/v1/expected-payments/{id}");
    let e = cole.get(&path).json();
    assert_eq!(e["is_promise"], false);
    assert_eq!(e["currency"], "USD");
    assert_eq!(customer(&mut cole, "C1")["expected_pay_days"], 7);
    assert_eq!(customer(&mut cole, "C1")["has_promise"], false);
    let kept = cole.patch_json(&path, r#"{"version": 1, "status": "kept"}"#);
    assert_eq!(kept.status, 422, "{}", kept.body);
    let mut ivy = api_for(&db, &server, "ivy");
    assert_eq!(
        ivy.patch_json(&path, r#"{"version": 1, "status": "cancelled"}"#)
            .status,
        404,
        "ivy does not see C1"
    );
    let cancelled = cole.patch_json(&path, r#"{"version": 1, "status": "cancelled"}"#);
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    assert_eq!(cancelled.json()["status"], "cancelled");
    assert_eq!(cancelled.json()["cancelled_by"], "cole");
    let again = cole.patch_json(&path, r#"{"version": 2, "status": "cancelled"}"#);
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(customer(&mut cole, "C1")["expected_pay_days"].is_null());
    // Logging on the activity screen cannot add an expected payment to a logged activity.
    let activity = e["activity_id"].as_i64().unwrap();
    let edit = cole.patch_json(
        &format!("/api/v1/activities/{activity}"),
        r#"{"version": 1, "expected_amount": "5", "expected_date": "2015-03-20"}"#,
    );
    assert_eq!(edit.status, 422, "{}", edit.body);
}

#[test]
fn a_follow_up_past_due_raises_a_user_action_until_it_is_done_and_managers_see_the_counts() {
    let db = book();
    let server = Server::start(&db, AS_OF);
    let mut cole = api_for(&db, &server, "cole");
    // A follow-up on Monday the 16th with one working day to respond: due Tuesday the 17th.
    let logged = cole.post_json(
        "/api/v1/customers/US01/C1/activities",
        r#"{"activity_type": "Phone", "call_result": "no_contact", "complete": true,
            "followup_date": "2015-03-16", "followup_days": 1, "followup_desc": "Try again"}"#,
    );
    assert_eq!(logged.status, 201, "{}", logged.body);
    let followup = logged.json()["followup_id"].as_i64().unwrap();
    server.stop();
    db.ok(&["actions", "generate", "--as-of", "2015-03-17"]);
    let server = Server::start(&db, "2015-03-17");
    let mut cole = api_for(&db, &server, "cole");
    assert!(
        user_actions(&mut cole).is_empty(),
        "not past due on its day"
    );
    server.stop();
    db.ok(&["actions", "generate", "--as-of", "2015-03-18"]);
    let server = Server::start(&db, "2015-03-18");
    let mut cole = api_for(&db, &server, "cole");
    let actions = user_actions(&mut cole);
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert_eq!(actions[0]["kind"], "followup_past_due");
    assert_eq!(actions[0]["subject"], format!("activity:{followup}"));
    assert_eq!(actions[0]["detail"], "Try again: to be done by 2015-03-17");

    // Managers see their team's counts; collectors their peers'; admins everyone's.
    let mut mia = api_for(&db, &server, "mia");
    let counts = mia.get("/api/v1/actions/counts").json();
    let users: Vec<&str> = counts["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(users, ["cara", "cole", "ivy", "mia"]);
    let cole_counts = counts["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["user_id"] == "cole")
        .unwrap()
        .clone();
    assert_eq!(cole_counts["followups_past_due"], 1);
    assert_eq!(cole_counts["user_actions"], 1);
    // The call's issue with its late follow-up, and the issue the CALL rule opened.
    assert_eq!(cole_counts["open_issues"], 2);
    assert_eq!(cole_counts["open_activities"], 2);
    assert_eq!(cole_counts["past_due"], 1);
    let mut ada = api_for(&db, &server, "ada");
    assert_eq!(ada.get("/api/v1/actions/counts").json()["total"], 7);
    let mut carl = api_for(&db, &server, "carl");
    let carl_sees: Vec<String> = carl.get("/api/v1/actions/counts").json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["user_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(carl_sees, ["carl"]);
    // The count view is a page too, and the Actions list shows the user action.
    let mut page = signed_in(&server, "mia");
    let counts_page = page.get("/actions/counts");
    assert_eq!(counts_page.status, 200);
    assert!(counts_page.body.contains(r#"data-user="cole""#));
    assert!(!counts_page.body.contains(r#"data-user="carl""#));
    let mut cole_page = signed_in(&server, "cole");
    let list = cole_page.get("/actions");
    assert!(
        list.body.contains(r#"data-kind="followup_past_due""#),
        "{}",
        list.body
    );
    assert!(list.body.contains("Try again: to be done by 2015-03-17"));

    // Done: the next generate closes the user action.
    let activity = cole.get(&format!("/api/v1/activities/{followup}")).json();
    let version = activity["version"].as_i64().unwrap();
    let done = cole.patch_json(
        &format!("/api/v1/activities/{followup}"),
        &format!(r#"{{"version": {version}, "call_result": "spoke", "complete": true}}"#),
    );
    assert_eq!(done.status, 200, "{}", done.body);
    server.stop();
    db.ok(&["actions", "generate", "--as-of", "2015-03-18"]);
    let server = Server::start(&db, "2015-03-18");
    let mut cole = api_for(&db, &server, "cole");
    assert!(user_actions(&mut cole).is_empty());
    let closed = cole
        .get(&format!(
            "/api/v1/user-actions/{}",
            actions[0]["user_action_id"]
        ))
        .json();
    assert_eq!(closed["is_open"], false);
}

#[test]
fn admins_describe_each_kind_of_user_action() {
    let db = book();
    let server = Server::start(&db, AS_OF);
    let mut ada = api_for(&db, &server, "ada");
    let kinds = ada.get("/api/v1/user-action-types").json();
    assert_eq!(kinds["total"], 2);
    let set = ada.put_json(
        "/api/v1/user-action-types/broken_promise",
        r#"{"description": "Promise broken: call today", "priority": 1}"#,
    );
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(set.json()["priority"], 1);
    assert_eq!(
        ada.get("/api/v1/user-action-types/broken_promise").json()["description"],
        "Promise broken: call today"
    );
    for (body, status) in [
        (r#"{"description": "", "priority": 1}"#, 422),
        (r#"{"description": "x", "priority": 0}"#, 422),
    ] {
        let answer = ada.put_json("/api/v1/user-action-types/broken_promise", body);
        assert_eq!(answer.status, status, "{body}: {}", answer.body);
    }
    assert_eq!(
        ada.put_json(
            "/api/v1/user-action-types/no_such_kind",
            r#"{"description": "x", "priority": 1}"#
        )
        .status,
        404
    );
    let mut cole = api_for(&db, &server, "cole");
    assert_eq!(
        cole.put_json(
            "/api/v1/user-action-types/broken_promise",
            r#"{"description": "x", "priority": 1}"#
        )
        .status,
        403
    );
    // The page form, and the change in the event log.
    let mut page = signed_in(&server, "ada");
    let form = page.get("/admin/user-actions");
    assert_eq!(form.status, 200);
    let csrf = form.csrf();
    let saved = page.post(
        "/admin/user-actions/followup_past_due",
        &[
            ("csrf", &csrf),
            ("description", "Late follow-up"),
            ("priority", "4"),
        ],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    let refused = page.post(
        "/admin/user-actions/followup_past_due",
        &[("csrf", &csrf), ("description", "x"), ("priority", "soon")],
    );
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("priority: not a number"));
    let log: Value = serde_json::from_str(&db.ok(&["history", "--format", "json"])).unwrap();
    let last = log.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["entity"], "user_action_type");
    assert_eq!(last["entity_id"], "followup_past_due");
    assert_eq!(last["user_id"], "ada");
    assert!(
        last["after"].as_str().unwrap().contains("Late follow-up"),
        "{last}"
    );
}

#[test]
fn a_promise_is_logged_from_the_communication_page_and_cancelled_from_the_account() {
    let db = book();
    let server = Server::start(&db, AS_OF);
    let mut cole = signed_in(&server, "cole");
    let form = cole.get("/customers/US01/C1/communicate");
    assert_eq!(form.status, 200);
    assert!(form.body.contains(r#"id="expected_amount""#));
    let csrf = form.csrf();
    let past = cole.post(
        "/customers/US01/C1/communicate",
        &[
            ("csrf", &csrf),
            ("activity_type", "Phone"),
            ("call_result", "spoke"),
            ("tagged", "I2"),
            ("expected_amount", "500"),
            ("expected_date", "2015-03-01"),
            ("promise", "true"),
        ],
    );
    assert_eq!(past.status, 422);
    assert!(past.body.contains("is before the business date"));
    assert!(
        past.body.contains(r#"value="500""#),
        "the form keeps what was typed"
    );
    let saved = cole.post(
        "/customers/US01/C1/communicate",
        &[
            ("csrf", &csrf),
            ("activity_type", "Phone"),
            ("call_result", "spoke"),
            ("tagged", "I2"),
            ("expected_amount", "500"),
            ("expected_date", "2015-03-20"),
            ("promise", "true"),
            ("complete", "true"),
        ],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    let account = cole.get("/customers/US01/C1");
    assert!(account.body.contains(r#"id="expected-payments""#));
    assert!(account.body.contains(r#"data-status="open""#));
    assert!(account.body.contains(r#"data-icon="expected""#));
    assert!(
        account
            .body
            .contains("promise to pay 500.00 USD by 2015-03-20: open")
    );
    let id = {
        let mut api = api_for(&db, &server, "cole");
        expected(&mut api, "C1")[0]["expected_id"].as_i64().unwrap()
    };
    let cancelled = cole.post(
        &format!("/expected-payments/{id}/cancel"),
        &[("csrf", &account.csrf()), ("version", "1")],
    );
    assert_eq!(cancelled.status, 303, "{}", cancelled.body);
    let account = cole.get("/customers/US01/C1");
    assert!(account.body.contains(r#"data-status="cancelled""#));
}
