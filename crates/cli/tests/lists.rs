//! The lists and the dashboard read one snapshot of the book: work on a few customers patches
//! it, anything that moves figures or hands remakes it, and either way the next page shows
//! the change.

mod common;

use common::web::{AS_OF, Client, Server, add_price_reason, book, token};

/// The customers a client's list shows for a filter.
fn listed(client: &mut Client, filter: &str) -> Vec<String> {
    let encoded: String = filter
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let answer = client.get(&format!(
        "/api/v1/customers?filter={encoded}&sort=customer_id"
    ));
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["customer_id"].as_str().unwrap().to_owned())
        .collect()
}

fn past_due(client: &mut Client) -> String {
    client.get("/api/v1/dashboard").json()["companies"][0]["total_past_due"].to_string()
}

#[test]
fn the_lists_follow_every_change_work_by_patching_the_rest_by_remaking() {
    let db = book();
    add_price_reason(&db);
    let log_path = db.dir.path().join("serve.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let server = Server::start_logging(&db, &["--as-of", AS_OF], &[], log.into());
    let mut cole = Client::with_token(&server, &token(&db, "cole"));
    let mut ada = Client::with_token(&server, &token(&db, "ada"));
    assert!(listed(&mut cole, "last_activity_date != null").is_empty());
    assert_eq!(past_due(&mut cole), "3750.50", "C1 and C2");

    // A call on C1: its facts change, nothing else does.
    let call = cole.post_json(
        "/api/v1/customers/US01/C1/activities",
        r#"{"activity_type": "Phone", "call_result": "spoke", "complete": true}"#,
    );
    assert_eq!(call.status, 201, "{}", call.body);
    assert_eq!(listed(&mut cole, "last_activity_date != null"), ["C1"]);
    assert_eq!(
        listed(&mut cole, "open_issue_cnt == 0 && total_age > 0"),
        ["C2", "C4", "C5"],
        "the call opened and resolved nothing on the others"
    );

    // A dispute kept out of the aging moves the figures: the totals follow.
    let dispute = ada.post_json(
        "/api/v1/customers/US01/C2/disputes",
        r#"{"tran_id": "I3", "amount": "250.50", "reason_code": "PRICE", "exclude_from_aging": true}"#,
    );
    assert_eq!(dispute.status, 201, "{}", dispute.body);
    assert_eq!(past_due(&mut cole), "3500.00");
    assert_eq!(listed(&mut cole, "in_dispute"), ["C2"]);

    // C4 handed to Carl leaves Cole's team's list.
    let moved = ada.put_json(
        "/api/v1/customers/US01/C4/assignment",
        r#"{"user_id": "carl"}"#,
    );
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(
        listed(&mut cole, "total_age > 0"),
        ["C1", "C2", "C5"],
        "C4 went to Carl"
    );
    let mut carl = Client::with_token(&server, &token(&db, "carl"));
    assert_eq!(listed(&mut carl, "total_age > 0"), ["C3", "C4"]);

    let status = server.stop();
    assert!(status.success());
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(log.contains("book snapshot patched"), "{log}");
    assert!(log.contains("book snapshot made"), "{log}");
}
