//! The collector's workflow through the real server: communications logged, tagged and
//! followed up, issues resolved and reassigned, edits that conflict, notes on invoices,
//! disputes that leave the aging and come back, and the event log of it all.

mod common;

use common::TestDb;
use common::web::{AS_OF, Client, Server, book, signed_in, token};
use serde_json::Value;

/// The team book with reason codes and a custom activity type that has procedures.
fn workflow_book() -> TestDb {
    let db = book();
    db.import(
        "workflow-setup",
        &[
            (
                "reason_codes.csv",
                "company_id,reason_code,description,severity\n\
                 US01,PRICE,Wrong price,2\n\
                 US01,DAMAGED,Goods damaged,1\n",
            ),
            (
                "activity_types.csv",
                "company_id,activity_type,base_type,description,procedures\n\
                 US01,Welcome,Phone,Welcome call,Thank them for their first order; confirm the billing contact.\n",
            ),
        ],
        AS_OF,
    );
    db
}

fn api_for(db: &TestDb, server: &Server, user: &str) -> Client {
    Client::with_token(server, &token(db, user))
}

fn customer(api: &mut Client, id: &str) -> Value {
    let answer = api.get(&format!("/api/v1/customers/US01/{id}"));
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

/// An amount as printed, whether the JSON holds it as a number or a string.
fn amount(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

fn activities(api: &mut Client, id: &str) -> Vec<Value> {
    api.get(&format!("/api/v1/customers/US01/{id}/activities"))
        .json()["items"]
        .as_array()
        .expect("items")
        .clone()
}

#[test]
fn a_call_is_logged_tagged_followed_up_resolved_and_kept_in_the_history() {
    let db = workflow_book();
    let server = Server::start(&db, AS_OF);
    let mut cole = api_for(&db, &server, "cole");
    // 2015-03-13 is a Friday; a follow-up on Monday the 16th with 4 working days to respond
    // is due on Friday the 20th (weekends off).
    let logged = cole.post_json(
        "/api/v1/customers/US01/C1/activities",
        r#"{"activity_type": "Phone", "call_result": "spoke", "note": "Will pay I1 next week",
            "tagged": ["I1"], "followup_date": "2015-03-16", "followup_days": 4,
            "followup_desc": "Check I1 was paid", "complete": true}"#,
    );
    assert_eq!(logged.status, 201, "{}", logged.body);
    let logged = logged.json();
    let (issue_id, activity_id) = (
        logged["issue_id"].as_i64().unwrap(),
        logged["activity_id"].as_i64().unwrap(),
    );
    let followup_id = logged["followup_id"]
        .as_i64()
        .expect("a follow-up is scheduled");
    let call = cole
        .get(&format!("/api/v1/activities/{activity_id}"))
        .json();
    assert_eq!(call["is_open"], false);
    assert_eq!(call["completed_by"], "cole");
    assert_eq!(call["call_result"], "spoke");
    assert_eq!(call["followup_respond_by"], "2015-03-20");
    assert_eq!(call["tagged"][0]["tran_id"], "I1");
    assert_eq!(call["tagged"][0]["amount"], "2500.00");
    let next = cole
        .get(&format!("/api/v1/activities/{followup_id}"))
        .json();
    assert_eq!(next["is_open"], true);
    assert_eq!(next["start_date"], "2015-03-16");
    assert_eq!(next["respond_by"], "2015-03-20");
    assert_eq!(next["assigned_user"], "cole");
    assert_eq!(next["description"], "Check I1 was paid");
    assert_eq!(next["followup_of"], activity_id);
    // The tag counts on the invoice and the customer.
    let invoices = cole.get("/api/v1/customers/US01/C1/invoices").json();
    let i1 = invoices["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["tran_id"] == "I1")
        .unwrap()
        .clone();
    assert_eq!(i1["tag_count"], 1);
    assert_eq!(customer(&mut cole, "C1")["tag_count"], 1);
    assert_eq!(customer(&mut cole, "C1")["last_activity_date"], AS_OF);

    // Bad input changes nothing and says why.
    let before = activities(&mut cole, "C1").len();
    for (body, why) in [
        (
            r#"{"activity_type": "Phone", "tagged": ["I3"]}"#,
            "\"I3\" is not an open invoice of customer C1",
        ),
        (
            r#"{"activity_type": "Phone", "followup_date": "2015-03-12"}"#,
            "followup_date: 2015-03-12 is before the business date 2015-03-13",
        ),
        (r#"{"activity_type": "Fax"}"#, "no activity type \"Fax\""),
        (
            r#"{"activity_type": "Phone", "complete": true}"#,
            "a completed phone call says whether you spoke",
        ),
        (
            r#"{"activity_type": "EmailSend", "call_result": "spoke"}"#,
            "only phone calls have a call result",
        ),
        (
            r#"{"activity_type": "Phone", "assigned_user": "nobody"}"#,
            "no active user \"nobody\"",
        ),
        (
            r#"{"activity_type": "Phone", "followup_date": "2015-03-20", "resolve": "done"}"#,
            "a resolved issue has no follow-up",
        ),
    ] {
        let answer = cole.post_json("/api/v1/customers/US01/C1/activities", body);
        assert_eq!(answer.status, 422, "{body}: {}", answer.body);
        assert!(
            answer.json()["error"].as_str().unwrap().contains(why),
            "{body}: {}",
            answer.body
        );
    }
    assert_eq!(
        cole.post_json("/api/v1/customers/US01/C1/activities", "{\"nope\": 1}")
            .status,
        400
    );
    assert_eq!(activities(&mut cole, "C1").len(), before, "nothing written");

    // Two users work the follow-up at once: the second gets a conflict, the first's note stays.
    let mut mia = api_for(&db, &server, "mia");
    let version = next["version"].as_i64().unwrap();
    let first = cole.patch_json(
        &format!("/api/v1/activities/{followup_id}"),
        &format!(r#"{{"version": {version}, "note": "Left a voicemail"}}"#),
    );
    assert_eq!(first.status, 200, "{}", first.body);
    let second = mia.patch_json(
        &format!("/api/v1/activities/{followup_id}"),
        &format!(r#"{{"version": {version}, "note": "Spoke to their AP clerk"}}"#),
    );
    assert_eq!(second.status, 409, "{}", second.body);
    assert!(
        second.body.contains("changed by someone else"),
        "{}",
        second.body
    );
    let kept = cole
        .get(&format!("/api/v1/activities/{followup_id}"))
        .json();
    assert_eq!(kept["note"], "Left a voicemail");
    assert_eq!(kept["version"], version + 1);

    // Reassign, then resolve; a resolved issue takes no more work.
    let issue = cole.get(&format!("/api/v1/issues/{issue_id}")).json();
    assert_eq!(issue["activities"].as_array().unwrap().len(), 2);
    let v = issue["version"].as_i64().unwrap();
    let moved = cole.patch_json(
        &format!("/api/v1/issues/{issue_id}"),
        &format!(r#"{{"version": {v}, "assigned_user": "cara"}}"#),
    );
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(moved.json()["assigned_user"], "cara");
    let moved_next = cole
        .get(&format!("/api/v1/activities/{followup_id}"))
        .json();
    assert_eq!(
        moved_next["assigned_user"], "cara",
        "open activities go with the issue"
    );
    let resolved = cole.patch_json(
        &format!("/api/v1/issues/{issue_id}"),
        &format!(r#"{{"version": {}, "resolve": "Paid in full"}}"#, v + 1),
    );
    assert_eq!(resolved.status, 200, "{}", resolved.body);
    let resolved = resolved.json();
    assert_eq!(
        (
            resolved["is_open"].clone(),
            resolved["closed_by"].clone(),
            resolved["close_reason"].clone()
        ),
        (
            Value::Bool(false),
            Value::from("cole"),
            Value::from("Paid in full")
        )
    );
    let closed_next = cole
        .get(&format!("/api/v1/activities/{followup_id}"))
        .json();
    assert_eq!(
        closed_next["is_open"], false,
        "resolving completes the open activities"
    );
    let late = cole.patch_json(
        &format!("/api/v1/activities/{followup_id}"),
        &format!(
            r#"{{"version": {}, "note": "too late"}}"#,
            closed_next["version"]
        ),
    );
    assert_eq!(late.status, 409, "{}", late.body);
    let on_closed = cole.post_json(
        "/api/v1/customers/US01/C1/activities",
        &format!(r#"{{"issue_id": {issue_id}, "activity_type": "AcctNote"}}"#),
    );
    assert_eq!(on_closed.status, 409, "{}", on_closed.body);
    assert!(
        on_closed.body.contains("already closed"),
        "{}",
        on_closed.body
    );

    // Scope and roles: outside the scope is not found, inquiry users log no work.
    let mut max = api_for(&db, &server, "max");
    assert_eq!(
        max.post_json(
            "/api/v1/customers/US01/C1/activities",
            r#"{"activity_type": "Phone"}"#
        )
        .status,
        404
    );
    assert_eq!(
        max.get(&format!("/api/v1/activities/{activity_id}")).status,
        404
    );
    assert_eq!(max.get(&format!("/api/v1/issues/{issue_id}")).status, 404);
    let mut ivy = api_for(&db, &server, "ivy");
    assert_eq!(
        ivy.post_json(
            "/api/v1/customers/US01/C5/activities",
            r#"{"activity_type": "AcctNote"}"#
        )
        .status,
        403
    );
    assert_eq!(ivy.get("/api/v1/customers/US01/C5/activities").status, 200);

    // Notes on a single invoice.
    let note = cole.post_json(
        "/api/v1/customers/US01/C1/invoices/I2/notes",
        r#"{"note": "PO 4471 on its way"}"#,
    );
    assert_eq!(note.status, 201, "{}", note.body);
    assert_eq!(
        cole.get("/api/v1/customers/US01/C1/invoices/I2/notes")
            .json()["items"][0]["note"],
        "PO 4471 on its way"
    );
    assert_eq!(
        cole.post_json(
            "/api/v1/customers/US01/C1/invoices/I3/notes",
            r#"{"note": "x"}"#
        )
        .status,
        404,
        "another customer's invoice"
    );

    // The history: every change, who and when, before and after; the same from the CLI.
    let history = cole.get("/api/v1/customers/US01/C1/history").json();
    let events = history["items"].as_array().unwrap();
    let what: Vec<String> = events
        .iter()
        .map(|e| {
            format!(
                "{} {} {}",
                e["entity"].as_str().unwrap(),
                e["action"].as_str().unwrap(),
                e["user_id"].as_str().unwrap()
            )
        })
        .collect();
    for wanted in [
        "issue create cole",
        "activity create cole",
        "activity follow-up cole",
        "activity update cole",
        "issue reassign cole",
        "issue resolve cole",
        "invoice_note create cole",
    ] {
        assert!(what.contains(&wanted.to_owned()), "{wanted} in {what:?}");
    }
    let update = events.iter().find(|e| e["action"] == "update").unwrap();
    assert!(update["before"].as_str().unwrap().contains("\"note\":null"));
    assert!(
        update["after"]
            .as_str()
            .unwrap()
            .contains("Left a voicemail")
    );
    let cli: Vec<Value> =
        serde_json::from_str(&db.ok(&["history", "--customer", "C1", "--format", "json"])).unwrap();
    assert_eq!(cli.len(), events.len());
    assert!(
        db.fails(&["history", "--customer", "C404"])
            .contains("no customer \"C404\"")
    );
}

#[test]
fn the_communication_screen_logs_a_call_from_a_page_with_its_problems_beside_the_form() {
    let db = workflow_book();
    let server = Server::start(&db, AS_OF);
    let mut cole = signed_in(&server, "cole");
    let screen = cole.get("/customers/US01/C1/communicate");
    assert_eq!(screen.status, 200, "{}", screen.body);
    assert!(
        screen.body.contains("Thank them for their first order"),
        "procedures shown"
    );
    assert!(screen.body.contains("value=\"I1\""), "open invoices to tag");
    let csrf = screen.csrf();
    let refused = cole.post(
        "/customers/US01/C1/communicate",
        &[
            ("csrf", &csrf),
            ("activity_type", "Phone"),
            ("note", "typed text"),
            ("followup_date", "2015-02-30"),
        ],
    );
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("followup_date"), "{}", refused.body);
    let refused = cole.post(
        "/customers/US01/C1/communicate",
        &[
            ("csrf", &csrf),
            ("activity_type", "Phone"),
            ("note", "typed text"),
            ("complete", "true"),
        ],
    );
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("id=\"problem\""), "{}", refused.body);
    assert!(refused.body.contains("typed text"), "keeps what was typed");
    let saved = cole.post(
        "/customers/US01/C1/communicate",
        &[
            ("csrf", &csrf),
            ("activity_type", "Welcome"),
            ("call_result", "no_contact"),
            ("note", "No answer"),
            ("tagged", "I1"),
            ("tagged", "I2"),
            ("followup_date", "2015-03-16"),
            ("complete", "true"),
        ],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    let account = cole.get("/customers/US01/C1");
    assert!(
        account.body.contains("id=\"communication-history\""),
        "{}",
        account.body
    );
    assert!(
        account
            .body
            .contains("class=\"icon red\" title=\"call: no contact\""),
        "call state"
    );
    assert!(
        account
            .body
            .contains("title=\"follow-up not due (2015-03-16)\""),
        "follow-up state"
    );
    assert!(
        account.body.contains("title=\"2 tagged invoice(s)\""),
        "tagged"
    );
    assert!(
        account.body.contains("id=\"event-log\""),
        "history of changes"
    );
    // The follow-up is worked from its own screen; the Actions list links to it.
    let actions = cole.get("/actions");
    let link = actions
        .body
        .split("href=\"/activities/")
        .nth(1)
        .map(|r| r[..r.find('"').unwrap()].to_owned());
    let link = link.expect("an activity link");
    let activity = cole.get(&format!("/activities/{link}"));
    assert_eq!(activity.status, 200);
    assert!(activity.body.contains("id=\"resolve-form\""));
    let version = |body: &str| {
        const MARK: &str = "name=\"version\" value=\"";
        let at = body.find(MARK).expect("a version") + MARK.len();
        body[at..at + body[at..].find('"').unwrap()].to_owned()
    };
    // A completed activity's note can still be corrected from its screen.
    let mut api = Client::with_token(&server, &token(&db, "cole"));
    let issue: Value = api.get(&format!("/api/v1/activities/{link}")).json();
    let issue_id = issue["issue_id"].as_i64().unwrap();
    let first = api.get(&format!("/api/v1/issues/{issue_id}")).json()["activities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["is_open"] == false)
        .unwrap()["activity_id"]
        .clone();
    let done = cole.get(&format!("/activities/{first}"));
    let fixed = cole.post(
        &format!("/activities/{first}"),
        &[
            ("csrf", &csrf),
            ("version", &version(&done.body)),
            ("call_result", "no_contact"),
            ("note", "No answer; left a message"),
            ("tagged", "I1"),
            ("complete", "true"),
        ],
    );
    assert_eq!(fixed.status, 303, "{}", fixed.body);
    assert_eq!(
        api.get(&format!("/api/v1/activities/{first}")).json()["note"],
        "No answer; left a message"
    );
    let stale = cole.post(
        &format!("/activities/{first}"),
        &[
            ("csrf", &csrf),
            ("version", &version(&done.body)),
            ("note", "stale"),
        ],
    );
    assert_eq!(
        stale.status, 409,
        "the form was read before the last change"
    );
    assert!(stale.body.contains("changed by someone else"));
    // Reassign and resolve from the issue's forms.
    let page = cole.get(&format!("/activities/{link}"));
    let issue_version = |body: &str| {
        let form = &body[body
            .find("id=\"reassign-form\"")
            .expect("the reassign form")..];
        version(form)
    };
    let moved = cole.post(
        &format!("/issues/{issue_id}/reassign"),
        &[
            ("csrf", &csrf),
            ("version", &issue_version(&page.body)),
            ("user", "cara"),
        ],
    );
    assert_eq!(moved.status, 303, "{}", moved.body);
    let page = cole.get(&format!("/activities/{link}"));
    assert!(page.body.contains("assigned to cara"));
    let resolved = cole.post(
        &format!("/issues/{issue_id}/resolve"),
        &[
            ("csrf", &csrf),
            ("version", &issue_version(&page.body)),
            ("resolution", "Paid"),
        ],
    );
    assert_eq!(resolved.status, 303, "{}", resolved.body);
    assert_eq!(
        api.get(&format!("/api/v1/issues/{issue_id}")).json()["is_open"],
        false
    );
    let mut ivy = signed_in(&server, "ivy");
    assert_eq!(ivy.get("/customers/US01/C5/communicate").status, 403);
    assert_eq!(
        signed_in(&server, "max")
            .get("/customers/US01/C1/communicate")
            .status,
        404
    );
}

#[test]
fn an_excluded_dispute_leaves_the_aging_figures_and_rules_and_returns_when_closed() {
    let db = workflow_book();
    let server = Server::start(&db, AS_OF);
    let mut cara = api_for(&db, &server, "cara");
    assert_eq!(amount(&customer(&mut cara, "C2")["total_age"]), "1250.50");
    for (body, why) in [
        (
            r#"{"tran_id": "I3", "amount": "1250.51", "reason_code": "PRICE"}"#,
            "more than the invoice's undisputed balance 1250.50",
        ),
        (
            r#"{"tran_id": "I3", "amount": "0", "reason_code": "PRICE"}"#,
            "more than zero",
        ),
        (
            r#"{"tran_id": "I3", "amount": "10", "reason_code": "LATE"}"#,
            "no reason code \"LATE\"; set up are DAMAGED, PRICE",
        ),
        (
            r#"{"tran_id": "I3", "amount": "10", "reason_code": "PRICE", "dispute_date": "2015-03-14"}"#,
            "after the business date",
        ),
    ] {
        let answer = cara.post_json("/api/v1/customers/US01/C2/disputes", body);
        assert_eq!(answer.status, 422, "{body}: {}", answer.body);
        assert!(
            answer.json()["error"].as_str().unwrap().contains(why),
            "{body}: {}",
            answer.body
        );
    }
    assert_eq!(
        cara.post_json(
            "/api/v1/customers/US01/C2/disputes",
            r#"{"tran_id": "I1", "amount": "1", "reason_code": "PRICE"}"#
        )
        .status,
        404,
        "another customer's invoice"
    );
    assert_eq!(
        cara.get("/api/v1/customers/US01/C2/disputes").json()["total"],
        0,
        "nothing written"
    );

    let opened = cara.post_json(
        "/api/v1/customers/US01/C2/disputes",
        r#"{"tran_id": "I3", "amount": "1250.50", "reason_code": "DAMAGED", "dispute_date": "2015-03-10", "exclude_from_aging": true}"#,
    );
    assert_eq!(opened.status, 201, "{}", opened.body);
    let opened = opened.json();
    let dispute_id = opened["dispute_id"].as_i64().unwrap();
    let issue_id = opened["issue_id"].as_i64().expect("a dispute issue");
    // The whole balance is excluded: the account behaves as zero, at once.
    let c2 = customer(&mut cara, "C2");
    assert_eq!(amount(&c2["total_age"]), "0.00");
    assert_eq!(amount(&c2["total_past_due"]), "0.00");
    assert_eq!(c2["in_dispute"], true);
    assert_eq!(c2["dispute_cnt"], 1);
    assert_eq!(c2["dispute_severity"], 1);
    let aging = db.aging_json(&["--as-of", AS_OF]);
    let row = aging.iter().find(|r| r["customer_id"] == "C2").unwrap();
    assert_eq!(amount(&row["total_age"]), "0.00");
    // The aging of a day before it was recorded is what it was that day.
    let before = db.aging_json(&["--as-of", "2015-03-12"]);
    assert_eq!(
        amount(&before.iter().find(|r| r["customer_id"] == "C2").unwrap()["total_age"]),
        "1250.50"
    );
    // Rules no longer see it: the collection rule (total_past_due > 0) does not match C2.
    let preview: Vec<Value> = serde_json::from_str(&db.ok(&[
        "actions",
        "generate",
        "--preview",
        "--as-of",
        AS_OF,
        "--format",
        "json",
    ]))
    .unwrap();
    assert!(
        preview.iter().all(|c| c["customer_id"] != "C2"),
        "{preview:?}"
    );
    assert!(preview.iter().any(|c| c["customer_id"] == "C1"));
    let more = cara.post_json(
        "/api/v1/customers/US01/C2/disputes",
        r#"{"tran_id": "I3", "amount": "0.01", "reason_code": "PRICE"}"#,
    );
    assert_eq!(
        more.status, 422,
        "the balance is all in dispute: {}",
        more.body
    );
    // The dispute is work: an issue of its own in the assigned user's Actions list.
    let actions = cara.get("/api/v1/actions").json();
    assert!(
        actions["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["issue_id"] == issue_id)
    );

    let closed = cara.patch_json(
        &format!("/api/v1/disputes/{dispute_id}"),
        r#"{"version": 1, "resolution": "Credit note issued", "closed_date": "2015-03-09"}"#,
    );
    assert_eq!(
        closed.status, 422,
        "closed before it was opened: {}",
        closed.body
    );
    let closed = cara.patch_json(
        &format!("/api/v1/disputes/{dispute_id}"),
        r#"{"version": 1, "resolution": "Customer accepted the goods"}"#,
    );
    assert_eq!(closed.status, 200, "{}", closed.body);
    assert_eq!(closed.json()["is_open"], false);
    let c2 = customer(&mut cara, "C2");
    assert_eq!(amount(&c2["total_age"]), "1250.50");
    assert_eq!(c2["in_dispute"], false);
    assert_eq!(c2["dispute_cnt_total"], 1);
    let issue = cara.get(&format!("/api/v1/issues/{issue_id}")).json();
    assert_eq!(
        issue["is_open"], false,
        "closing the dispute resolves its issue"
    );
    assert_eq!(issue["close_reason"], "Customer accepted the goods");
    let again = cara.patch_json(
        &format!("/api/v1/disputes/{dispute_id}"),
        r#"{"version": 2, "resolution": "again"}"#,
    );
    assert_eq!(again.status, 409, "{}", again.body);

    // A partial dispute not excluded keeps the aging whole; invoice rules can read it.
    let partial = cara.post_json(
        "/api/v1/customers/US01/C2/disputes",
        r#"{"tran_id": "I3", "amount": "250.50", "reason_code": "PRICE"}"#,
    );
    assert_eq!(partial.status, 201, "{}", partial.body);
    assert_eq!(amount(&customer(&mut cara, "C2")["total_age"]), "1250.50");
    let filtered = cara.get("/api/v1/customers/US01/C2/invoices?filter=in_dispute%20%26%26%20severity%20%3D%3D%202%20%26%26%20dispute_amount%20%3D%3D%20250.5").json();
    assert_eq!(filtered["total"], 1, "{filtered}");

    // The invoice page shows the disputes and refuses a bad one beside its form.
    let mut page = signed_in(&server, "cara");
    let invoice = page.get("/customers/US01/C2/invoices/I3");
    assert_eq!(invoice.status, 200);
    assert!(invoice.body.contains("id=\"dispute-list\""));
    let csrf = invoice.csrf();
    let refused = page.post(
        "/customers/US01/C2/invoices/I3/disputes",
        &[
            ("csrf", &csrf),
            ("amount", "5000"),
            ("reason_code", "PRICE"),
        ],
    );
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("undisputed balance"),
        "{}",
        refused.body
    );
    let mut ivy = api_for(&db, &server, "ivy");
    assert_eq!(
        ivy.post_json(
            "/api/v1/customers/US01/C5/disputes",
            r#"{"tran_id": "I6", "amount": "1", "reason_code": "PRICE"}"#
        )
        .status,
        403
    );
}

#[test]
fn a_team_works_each_others_actions_and_the_pool_goes_to_the_team_it_is_given_to() {
    let db = workflow_book();
    db.ok(&["actions", "generate", "--as-of", AS_OF]);
    let server = Server::start(&db, AS_OF);
    let mut cole = api_for(&db, &server, "cole");
    let queue = |api: &mut Client, whose: &str| {
        let answer = api.get(&format!("/api/v1/actions?user={whose}"));
        (answer.status, answer.body.clone())
    };
    // Cara's work is her team's to see and do; Carl's team is another.
    let (status, body) = queue(&mut cole, "cara");
    assert_eq!(status, 200, "{body}");
    let cara_issues: Value = serde_json::from_str(&body).unwrap();
    let issue = &cara_issues["items"][0];
    assert_eq!(issue["customer_id"], "C2");
    assert_eq!(queue(&mut cole, "carl").0, 404);
    assert_eq!(queue(&mut cole, "nobody").0, 404);
    let worked = cole.post_json(
        "/api/v1/customers/US01/C2/activities",
        &format!(
            r#"{{"issue_id": {}, "activity_type": "Phone", "call_result": "spoke", "complete": true}}"#,
            issue["issue_id"]
        ),
    );
    assert_eq!(worked.status, 201, "{}", worked.body);
    // An issue given to the unassigned pool is every team's while the pool is shared.
    let logged = cole
        .post_json(
            "/api/v1/customers/US01/C4/activities",
            r#"{"activity_type": "Phone", "description": "Who pays Delta?"}"#,
        )
        .json();
    let pooled = cole.patch_json(
        &format!("/api/v1/issues/{}", logged["issue_id"]),
        r#"{"version": 1, "assigned_user": null}"#,
    );
    assert_eq!(pooled.status, 200, "{}", pooled.body);
    let mut carl = api_for(&db, &server, "carl");
    for api in [&mut cole, &mut carl] {
        let (status, body) = queue(api, "unassigned");
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("Who pays Delta?"), "{body}");
    }
    let mut page = signed_in(&server, "cole");
    let list = page.get("/actions?user=cara");
    assert_eq!(list.status, 200);
    assert!(list.body.contains(r#"id="showing""#));
    assert!(list.body.contains(r#"<option value="unassigned""#));
    assert!(!list.body.contains(r#"<option value="carl""#));

    // The pool given to Max's team: only his team sees it now.
    let mut ada = api_for(&db, &server, "ada");
    let refused = ada.put_json("/api/v1/settings/unassigned_team", r#"{"value": "cole"}"#);
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("no manager \\\"cole\\\""),
        "{}",
        refused.body
    );
    let given = ada.put_json("/api/v1/settings/unassigned_team", r#"{"value": "max"}"#);
    assert_eq!(given.status, 200, "{}", given.body);
    assert_eq!(queue(&mut cole, "unassigned").0, 404);
    assert_eq!(cole.get("/api/v1/customers/US01/C4").status, 404);
    let mut mia = api_for(&db, &server, "mia");
    assert_eq!(mia.get("/api/v1/customers/US01/C4").status, 404);
    assert_eq!(carl.get("/api/v1/customers/US01/C4").status, 200);
    let (status, body) = queue(&mut carl, "unassigned");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Who pays Delta?"), "{body}");
    let mut max = api_for(&db, &server, "max");
    assert_eq!(max.get("/api/v1/customers/US01/C4").status, 200);
    // The setting's change is in the event log.
    let log: Value = serde_json::from_str(&db.ok(&["history", "--format", "json"])).unwrap();
    let last = log.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["entity"], "setting");
    assert_eq!(last["entity_id"], "unassigned_team");
    assert_eq!(last["user_id"], "ada");
    assert_eq!(last["after"], "\"max\"");
}

#[test]
fn respond_due_days_and_oldest_due_date_days_follow_the_glossary_examples() {
    let db = workflow_book();
    db.ok(&["settings", "set", "days_off", "none"]);
    // A follow-up dated 2015-01-01 with 4 days to respond is due 2015-01-05, and has
    // respond_due_days 2 on 2015-01-03 when every day is a working day.
    let server = Server::start(&db, "2015-01-01");
    let mut cole = api_for(&db, &server, "cole");
    let logged = cole.post_json(
        "/api/v1/customers/US01/C1/activities",
        r#"{"activity_type": "Phone", "call_result": "spoke", "complete": true,
            "followup_date": "2015-01-01", "followup_days": 4}"#,
    );
    assert_eq!(logged.status, 201, "{}", logged.body);
    server.stop();
    let server = Server::start(&db, "2015-01-03");
    let mut cole = api_for(&db, &server, "cole");
    let actions = cole.get("/api/v1/actions").json();
    let item = &actions["items"][0];
    assert_eq!(item["respond_by"], "2015-01-05");
    assert_eq!(item["respond_due_days"], 2);
    // Entered on the 1st, following up on the 1st: two days ago both.
    assert_eq!(item["followup_date"], "2015-01-01");
    assert_eq!(item["date_entered_days"], 2);
    assert_eq!(item["follow_up_date_days"], 2);
    assert_eq!(item["state"], "not due");
    server.stop();

    // An open activity due 2014-01-15 seen on 2014-05-07: oldest_due_date_days 112.
    let server = Server::start(&db, "2014-01-12");
    let mut cara = api_for(&db, &server, "cara");
    let logged = cara.post_json(
        "/api/v1/customers/US01/C2/activities",
        r#"{"activity_type": "Phone", "description": "Call about I3"}"#,
    );
    assert_eq!(logged.status, 201, "{}", logged.body);
    let activity = cara
        .get(&format!(
            "/api/v1/activities/{}",
            logged.json()["activity_id"]
        ))
        .json();
    assert_eq!(
        activity["respond_by"], "2014-01-15",
        "3 site days to respond"
    );
    server.stop();
    let server = Server::start(&db, "2014-05-07");
    let mut cara = api_for(&db, &server, "cara");
    assert_eq!(customer(&mut cara, "C2")["oldest_due_date_days"], 112);
}

/// The days from I1's due date (2015-02-01) to its first and last tagged communications, and
/// from them to the day it was paid; its payments' count and last date.
#[test]
fn invoice_figures_follow_its_payments_and_the_communications_tagged_to_it() {
    let db = workflow_book();
    // Calls about I1 on 2015-02-10 and 2015-03-02; an open call on 2015-03-03 is not yet a
    // communication.
    for (day, complete) in [
        ("2015-02-10", true),
        ("2015-03-02", true),
        ("2015-03-03", false),
    ] {
        let server = Server::start(&db, day);
        let mut cole = api_for(&db, &server, "cole");
        let logged = cole.post_json(
            "/api/v1/customers/US01/C1/activities",
            &format!(
                r#"{{"activity_type": "Phone", "call_result": "spoke", "tagged": ["I1"],
                    "complete": {complete}}}"#
            ),
        );
        assert_eq!(logged.status, 201, "{}", logged.body);
        server.stop();
    }
    // 1,000.00 applied on 2015-03-04.
    db.import(
        "first-payment",
        &[
            (
                "invoices.csv",
                "company_id,customer_id,tran_id,tran_type,tran_date,due_date,amount,balance\n\
                 US01,C1,I1,IN,2015-01-02,2015-02-01,2500,1500\n",
            ),
            (
                "payments.csv",
                "company_id,customer_id,payment_id,payment_date,amount\nUS01,C1,P1,2015-03-04,1000\n",
            ),
            (
                "payment_applications.csv",
                "company_id,payment_id,tran_id,amount,applied_date\nUS01,P1,I1,1000,2015-03-04\n",
            ),
        ],
        "2015-03-05",
    );
    let server = Server::start(&db, "2015-03-05");
    let mut cole = api_for(&db, &server, "cole");
    let invoices = cole.get("/api/v1/customers/US01/C1/invoices").json();
    let i1 = &invoices["items"][0];
    assert_eq!(i1["tran_id"], "I1");
    assert_eq!(i1["last_pmt_date"], "2015-03-04");
    assert_eq!(i1["pmt_count"], 1);
    assert_eq!(i1["days_due_to_1st_com"], 9);
    assert_eq!(i1["days_due_to_last_com"], 29);
    assert!(i1["days_1st_com_to_pay"].is_null(), "{i1}");
    let i2 = &invoices["items"][1];
    assert_eq!(i2["pmt_count"], 0);
    assert!(i2["last_pmt_date"].is_null());
    assert!(i2["days_due_to_1st_com"].is_null());
    // Filters and rules read them.
    let paid_some = cole
        .get("/api/v1/customers/US01/C1/invoices?filter=pmt_count%20%3E%3D%201")
        .json();
    assert_eq!(paid_some["total"], 1, "{paid_some}");
    server.stop();
    db.import(
        "rule",
        &[(
            "rules.csv",
            "company_id,credit_class,seq_no,action_code,view,filter,standalone\n\
             US01,STANDARD,30,CALL,invoice,pmt_count >= 1 && days_due_to_last_com > 14,yes\n",
        )],
        "2015-03-05",
    );
    let out = db.ok(&[
        "actions",
        "generate",
        "--as-of",
        "2015-03-05",
        "--format",
        "json",
    ]);
    let changes: Vec<Value> = serde_json::from_str(&out).expect("JSON");
    let tagged: Vec<&Value> = changes
        .iter()
        .filter(|c| c["seq_no"] == 30)
        .map(|c| &c["tagged"])
        .collect();
    assert_eq!(tagged, [&serde_json::json!(["I1"])], "{out}");

    // Paid in full on 2015-03-12: 30 days after the first call, 10 after the last.
    db.import(
        "second-payment",
        &[
            (
                "invoices.csv",
                "company_id,customer_id,tran_id,tran_type,tran_date,due_date,amount,balance\n\
                 US01,C1,I1,IN,2015-01-02,2015-02-01,2500,0\n",
            ),
            (
                "payments.csv",
                "company_id,customer_id,payment_id,payment_date,amount\nUS01,C1,P2,2015-03-12,1500\n",
            ),
            (
                "payment_applications.csv",
                "company_id,payment_id,tran_id,amount,applied_date\nUS01,P2,I1,1500,2015-03-12\n",
            ),
        ],
        AS_OF,
    );
    let server = Server::start(&db, AS_OF);
    let mut cole = signed_in(&server, "cole");
    let page = cole.get("/customers/US01/C1/invoices/I1");
    assert_eq!(page.status, 200);
    for (field, value) in [
        ("closing_date", "2015-03-12"),
        ("last_pmt_date", "2015-03-12"),
        ("pmt_count", "2"),
        ("days_due_to_1st_com", "9"),
        ("days_due_to_last_com", "29"),
        ("days_1st_com_to_pay", "30"),
        ("days_last_com_to_pay", "10"),
    ] {
        assert!(
            page.body
                .contains(&format!("<dd data-field=\"{field}\">{value}</dd>")),
            "{field} {value}:\n{}",
            page.body
        );
    }
    server.stop();
}

#[test]
fn credit_scores_show_their_range_and_colour_on_every_page_about_the_customer() {
    let db = workflow_book();
    db.import(
        "scores",
        &[(
            "customers.csv",
            "company_id,customer_id,name,credit_limit,assigned_user,credit_score,bureau_score_1,bureau_score_3\n\
             US01,C1,Acme Tools,15000,cole,720,680,B\n\
             US01,C2,Bolt & Nut,1000,cara,580,,\n",
        )],
        AS_OF,
    );
    let bad = db.fails(&["settings", "set", "score_ranges", "Low risk=700..:pink"]);
    assert!(bad.contains("unknown colour \"pink\""), "{bad}");
    db.ok(&[
        "settings",
        "set",
        "score_ranges",
        "Low risk=700..:green; Watch=600..699:amber; High risk=..599:red",
    ]);
    db.ok(&["settings", "set", "credit_bureaus", "Experian,Equifax,D&B"]);
    let server = Server::start(&db, AS_OF);
    let mut cole = api_for(&db, &server, "cole");
    let c1 = customer(&mut cole, "C1");
    assert_eq!(c1["credit_score"], "720");
    assert_eq!(c1["bureau_score_1"], "680");
    assert_eq!(c1["score_range"], "Low risk");
    assert_eq!(customer(&mut cole, "C2")["score_range"], "High risk");
    assert!(customer(&mut cole, "C4")["score_range"].is_null());
    let risky = cole
        .get("/api/v1/customers?filter=score_range%20%3D%3D%20%22High%20risk%22")
        .json();
    assert_eq!(risky["total"], 1, "{risky}");
    assert_eq!(risky["items"][0]["customer_id"], "C2");

    let mut page = signed_in(&server, "cole");
    for path in [
        "/customers/US01/C1",
        "/customers/US01/C1/invoices/I1",
        "/customers/US01/C1/communicate",
    ] {
        let body = page.get(path).body;
        assert!(
            body.contains(
                "<p class=\"score score-green\" id=\"credit-score\" data-colour=\"green\">\
                 Credit score <strong>720</strong> · Low risk</p>"
            ),
            "{path}:\n{body}"
        );
    }
    let account = page.get("/customers/US01/C1").body;
    assert!(
        account.contains("<dt>Experian</dt><dd>680</dd>"),
        "{account}"
    );
    assert!(account.contains("<dt>D&#38;B</dt><dd>B</dd>"), "{account}");
    assert!(!account.contains("<dt>Equifax</dt>"));
    let c2 = page.get("/customers/US01/C2/invoices/I3").body;
    assert!(c2.contains("class=\"score score-red\""), "{c2}");
    let c4 = page.get("/customers/US01/C4").body;
    assert!(!c4.contains("id=\"credit-score\""));
    server.stop();
}
