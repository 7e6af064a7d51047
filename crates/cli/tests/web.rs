//! `arrears serve`: sign-in, sessions, roles and scoping, the pages and the JSON API, through
//! real HTTP against the real binary on the store under test.

mod common;

use std::collections::BTreeSet;

use common::TestDb;
use common::web::{
    AS_OF, Client, PASSWORD, SCOPES, Server, USERS, add_price_reason, book, set_password,
    signed_in, token,
};

fn ids(items: &serde_json::Value) -> BTreeSet<String> {
    items["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["customer_id"].as_str().expect("customer_id").to_owned())
        .collect()
}

/// The customers a page links to.
fn linked(body: &str) -> BTreeSet<String> {
    body.split("href=\"/customers/US01/")
        .skip(1)
        .map(|rest| rest[..rest.find('"').expect("link end")].to_owned())
        .collect()
}

#[test]
fn each_role_sees_exactly_its_customers_in_pages_and_api() {
    let db = book();
    let server = Server::start(&db, AS_OF);
    for (user, expected) in SCOPES {
        let expected: BTreeSet<String> = expected.iter().map(|s| (*s).to_owned()).collect();
        let mut api = Client::with_token(&server, &token(&db, user));
        let list = api.get("/api/v1/customers");
        assert_eq!(list.status, 200, "{user}: {}", list.body);
        let list = list.json();
        assert_eq!(ids(&list), expected, "{user}: API list");
        assert_eq!(list["total"], expected.len(), "{user}");
        let mut page = signed_in(&server, user);
        let accounts = page.get("/accounts");
        assert_eq!(accounts.status, 200, "{user}");
        assert_eq!(linked(&accounts.body), expected, "{user}: My Accounts");
        for c in ["C1", "C2", "C3", "C4", "C5", "C9"] {
            let want = if expected.contains(c) { 200 } else { 404 };
            for path in [
                format!("/api/v1/customers/US01/{c}"),
                format!("/api/v1/customers/US01/{c}/invoices"),
            ] {
                let answer = api.get(&path);
                assert_eq!(answer.status, want, "{user} {path}: {}", answer.body);
                if want == 404 {
                    assert_eq!(answer.json()["error"], "not found", "{user} {path}");
                }
            }
            let detail = page.get(&format!("/customers/US01/{c}"));
            assert_eq!(detail.status, want, "{user} page of {c}");
        }
        let csv = page.get("/accounts.csv?columns=customer_id");
        let exported: BTreeSet<String> = csv.body.lines().skip(1).map(str::to_owned).collect();
        assert_eq!(exported, expected, "{user}: export");
        let search = page.get("/search?q=c");
        if let [only] = expected.iter().collect::<Vec<_>>()[..] {
            let location = format!("/customers/US01/{only}");
            assert_eq!(search.header("location"), Some(location.as_str()), "{user}");
        } else {
            assert_eq!(linked(&search.body), expected, "{user}: search");
        }
    }
}

#[test]
fn the_api_gives_figures_exactly_and_takes_filter_sort_and_pages() {
    let db = book();
    let server = Server::start(&db, AS_OF);
    let mut api = Client::with_token(&server, &token(&db, "ada"));
    let c1 = api.get("/api/v1/customers/US01/C1").json();
    assert_eq!(c1["name"], "Acme Tools");
    assert_eq!(c1["total_age"].to_string(), "10000.00");
    assert_eq!(c1["total_past_due"].to_string(), "2500.00");
    assert_eq!(c1["due_age_2"].to_string(), "2500.00", "40 days past due");
    assert_eq!(c1["available_credit"].to_string(), "5000.00");
    assert_eq!(c1["credit_hold"], false);
    let c2 = api.get("/api/v1/customers/US01/C2").json();
    assert_eq!(c2["total_age"].to_string(), "1250.50");
    let invoices = api
        .get("/api/v1/customers/US01/C1/invoices?sort=-balance")
        .json();
    assert_eq!(invoices["total"], 2);
    assert_eq!(invoices["items"][0]["tran_id"], "I2");
    assert_eq!(invoices["items"][1]["due_date_days"], 40);
    let past_due =
        api.get("/api/v1/customers?filter=total_past_due%20%3E%200&sort=-total_past_due");
    let past_due = past_due.json();
    let order: Vec<&str> = past_due["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["customer_id"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["C3", "C1", "C2"]);
    let page2 = api
        .get("/api/v1/customers?sort=customer_id&page=2&per_page=2")
        .json();
    assert_eq!(
        ids(&page2),
        BTreeSet::from(["C3".to_owned(), "C4".to_owned()])
    );
    assert_eq!(page2["total"], 5);
    let beyond = api.get("/api/v1/customers?page=9").json();
    assert_eq!(beyond["items"].as_array().unwrap().len(), 0);
    assert_eq!(beyond["total"], 5);
    for (query, status, message) in [
        (
            "filter=total_pastdue%20%3E%201",
            422,
            "did you mean \"total_past_due\"",
        ),
        ("filter=name%20%3E%201", 422, "filter: column"),
        (
            "filter=total_age%20%2F%200%20%3E%201",
            422,
            "filter: column",
        ),
        ("filter=%28%28", 422, "filter: column"),
        (
            "sort=-nmae",
            422,
            "sort: unknown field \"nmae\", did you mean \"name\"?",
        ),
        ("per_page=501", 400, "per_page: at most 500, not 501"),
        (
            "per_page=0",
            400,
            "per_page: expected a whole number from 1",
        ),
        ("page=-1", 400, "page: expected a whole number from 1"),
        ("page=x", 400, "page: expected a whole number from 1"),
    ] {
        let answer = api.get(&format!("/api/v1/customers?{query}"));
        assert_eq!(answer.status, status, "{query}: {}", answer.body);
        let error = answer.json()["error"].as_str().unwrap().to_owned();
        assert!(error.contains(message), "{query}: {error}");
    }
}

#[test]
fn without_a_valid_token_or_session_nothing_is_shown() {
    let db = book();
    let server = Server::start(&db, AS_OF);
    let mut anonymous = Client::new(&server);
    for path in [
        "/api/v1/customers",
        "/api/v1/customers/US01/C1",
        "/api/v1/customers/US01/C1/invoices",
        "/api/v1/actions",
        "/api/v1/dashboard",
    ] {
        let answer = anonymous.get(path);
        assert_eq!(answer.status, 401, "{path}");
        assert!(answer.json()["error"].is_string(), "{path}");
        let mut forged = Client::with_token(&server, "arr_0000");
        assert_eq!(forged.get(path).status, 401, "{path}");
    }
    for path in [
        "/",
        "/accounts",
        "/accounts.csv",
        "/actions",
        "/customers/US01/C1",
        "/search?q=acme",
    ] {
        let answer = anonymous.get(path);
        assert_eq!(answer.status, 303, "{path}");
        let location = answer.header("location").unwrap_or_default().to_owned();
        assert!(location.starts_with("/sign-in?next="), "{path}: {location}");
    }
    anonymous.set_cookie("arrears_session", "not-a-session");
    assert_eq!(anonymous.get("/accounts").status, 303);
    assert_eq!(anonymous.get("/api/v1/openapi.json").status, 200);
}

#[test]
fn signing_in_starts_a_new_session_and_signing_out_needs_the_csrf_token() {
    let db = book();
    let server = Server::start(&db, AS_OF);
    let mut browser = Client::new(&server);
    let form = browser.get("/sign-in?next=/actions");
    assert_eq!(form.status, 200);
    assert!(form.body.contains("value=\"/actions\""));
    let csrf = form.csrf();
    let answer = browser.post(
        "/sign-in",
        &[
            ("user_id", "cole"),
            ("password", PASSWORD),
            ("csrf", &csrf),
            ("next", "/actions"),
        ],
    );
    assert_eq!(answer.status, 303);
    assert_eq!(answer.header("location"), Some("/actions"));
    let cookie = answer
        .headers
        .iter()
        .find(|(n, v)| n == "set-cookie" && v.starts_with("arrears_session="))
        .map(|(_, v)| v.clone())
        .expect("a session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let first = browser.cookie("arrears_session").expect("session");
    assert_eq!(browser.get("/actions").status, 200);
    // Signing in again ends the session the browser had and starts another.
    assert_eq!(browser.sign_in("cole", PASSWORD).status, 303);
    let second = browser.cookie("arrears_session").expect("session");
    assert_ne!(first, second);
    let mut old = Client::new(&server);
    old.set_cookie("arrears_session", &first);
    assert_eq!(old.get("/accounts").status, 303, "the old session is over");
    // No way out without the page's CSRF token.
    assert_eq!(browser.post("/sign-out", &[("csrf", "forged")]).status, 403);
    assert_eq!(browser.post("/sign-out", &[]).status, 403);
    let page = browser.get("/accounts");
    assert_eq!(page.status, 200, "still signed in");
    assert_eq!(
        browser.post("/sign-out", &[("csrf", &page.csrf())]).status,
        303
    );
    let mut replay = Client::new(&server);
    replay.set_cookie("arrears_session", &second);
    assert_eq!(replay.get("/accounts").status, 303, "signed out");
    // A sign-in form posted without its cookie (from another site) signs no one in.
    let mut elsewhere = Client::new(&server);
    let answer = elsewhere.post(
        "/sign-in",
        &[("user_id", "cole"), ("password", PASSWORD), ("csrf", &csrf)],
    );
    assert_eq!(answer.status, 401);
    assert!(!elsewhere.has_cookie("arrears_session"));
    // After sign-in, only paths of this site are followed.
    let mut browser = Client::new(&server);
    let csrf = browser.get("/sign-in").csrf();
    let answer = browser.post(
        "/sign-in",
        &[
            ("user_id", "cole"),
            ("password", PASSWORD),
            ("csrf", &csrf),
            ("next", "//evil.example/"),
        ],
    );
    assert_eq!(answer.header("location"), Some("/"));
}

#[test]
fn failed_sign_ins_say_the_same_lock_the_account_and_are_logged() {
    let db = book();
    let server = Server::start(&db, AS_OF);
    let mut browser = Client::new(&server);
    let unknown = browser.sign_in("nobody", PASSWORD);
    assert_eq!(unknown.status, 401);
    assert!(unknown.body.contains("Sign-in failed"), "{}", unknown.body);
    assert!(
        unknown.body.contains("value=\"nobody\""),
        "keeps what was typed"
    );
    let wrong = browser.sign_in("cole", "not the password");
    assert_eq!(wrong.status, 401);
    let message = |body: &str| {
        let start = body.find("id=\"sign-in-problem\">").expect("problem") + 21;
        body[start..start + body[start..].find('<').unwrap()].to_owned()
    };
    assert_eq!(message(&unknown.body), message(&wrong.body));
    for _ in 0..4 {
        assert_eq!(browser.sign_in("cole", "not the password").status, 401);
    }
    let locked = browser.sign_in("cole", PASSWORD);
    assert_eq!(locked.status, 401, "locked after five failures");
    assert_eq!(message(&locked.body), message(&wrong.body));
    assert!(!browser.has_cookie("arrears_session"));
    // Setting a new password lifts the lock.
    assert!(set_password(&db, "cole", "a new password").status.success());
    assert_eq!(browser.sign_in("cole", "a new password").status, 303);
    let log = db.ok(&["user", "log"]);
    assert!(
        log.contains("nobody") && log.contains("unknown user"),
        "{log}"
    );
    assert!(
        log.contains("wrong password") && log.contains("locked"),
        "{log}"
    );
    assert!(log.contains("signed in"), "{log}");
    assert!(log.contains("127.0.0.1"), "{log}");
}

#[test]
fn too_many_failures_from_one_client_are_refused() {
    let db = book();
    let server = Server::start_with(
        &db,
        &["--as-of", AS_OF],
        &[("ARREARS_MAX_CLIENT_FAILURES", "3")],
    );
    let mut browser = Client::new(&server);
    for user in ["x1", "x2", "x3"] {
        assert_eq!(browser.sign_in(user, "guess").status, 401);
    }
    assert_eq!(
        browser.sign_in("mia", PASSWORD).status,
        401,
        "the client is throttled"
    );
    assert!(
        db.ok(&["user", "log"])
            .contains("too many failures from this client")
    );
}

#[test]
fn disabling_a_user_or_revoking_a_token_stops_them_at_once() {
    let db = book();
    let server = Server::start(&db, AS_OF);
    let secret = token(&db, "cara");
    let mut api = Client::with_token(&server, &secret);
    assert_eq!(api.get("/api/v1/customers").status, 200);
    let mut browser = signed_in(&server, "cara");
    assert_eq!(browser.get("/accounts").status, 200);
    let listed = db.ok(&["token", "list", "--user", "cara"]);
    let token_id = listed
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().next())
        .expect("a token line")
        .to_owned();
    db.ok(&["token", "revoke", &token_id]);
    assert_eq!(api.get("/api/v1/customers").status, 401);
    assert!(
        db.fails(&["token", "revoke", &token_id])
            .contains("no live token")
    );
    assert!(db.ok(&["token", "list"]).contains("revoked"));
    let second = token(&db, "cara");
    db.ok(&["user", "disable", "cara"]);
    assert_eq!(
        browser.get("/accounts").status,
        303,
        "signed out everywhere"
    );
    assert_eq!(
        Client::with_token(&server, &second)
            .get("/api/v1/actions")
            .status,
        401
    );
    assert_eq!(Client::new(&server).sign_in("cara", PASSWORD).status, 401);
    db.ok(&["user", "enable", "cara"]);
    assert_eq!(Client::new(&server).sign_in("cara", PASSWORD).status, 303);
}

#[test]
fn user_and_token_commands_check_what_they_are_given() {
    let db = book();
    let added = db.ok(&[
        "user",
        "add",
        "zoe",
        "--name",
        "Zoe Z",
        "--role",
        "Collector",
        "--manager",
        "mia",
    ]);
    assert!(added.contains("added zoe (collector)"), "{added}");
    assert!(db.ok(&["user", "list"]).contains("zoe"));
    for (args, message) in [
        (
            vec!["user", "add", "zoe", "--name", "Z", "--role", "collector"],
            "already a user \"zoe\"",
        ),
        (
            vec!["user", "add", "yan", "--name", "Y", "--role", "boss"],
            "unknown role \"boss\"",
        ),
        (
            vec![
                "user",
                "add",
                "yan",
                "--name",
                "Y",
                "--role",
                "collector",
                "--manager",
                "ghost",
            ],
            "no user \"ghost\"",
        ),
        (vec!["user", "disable", "ghost"], "no user \"ghost\""),
        (vec!["token", "create", "ghost"], "no user \"ghost\""),
        (vec!["token", "revoke", "999"], "no live token 999"),
    ] {
        let err = db.fails(&args);
        assert!(err.contains(message), "{args:?}: {err}");
    }
    let short = set_password(&db, "zoe", "short");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 8 characters"));
    let ghost = set_password(&db, "ghost", PASSWORD);
    assert!(String::from_utf8_lossy(&ghost.stderr).contains("no user \"ghost\""));
    // A sync of users.csv neither sets passwords nor lifts a disable.
    db.ok(&["user", "disable", "mia"]);
    db.import("again", &[("users.csv", USERS)], AS_OF);
    let server = Server::start(&db, AS_OF);
    assert_eq!(Client::new(&server).sign_in("mia", PASSWORD).status, 401);
    assert_eq!(Client::new(&server).sign_in("max", PASSWORD).status, 303);
}

#[test]
fn my_accounts_filters_sorts_totals_pages_and_exports() {
    let db = book();
    let server = Server::start(&db, AS_OF);
    let mut ada = signed_in(&server, "ada");
    let page = ada.get("/accounts?filter=total_past_due%20%3E%200&sort=-total_past_due&columns=customer_id,name,total_past_due");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("3 customers"), "{}", page.body);
    let order: Vec<usize> = ["C3", "C1", "C2"]
        .iter()
        .map(|c| page.body.find(&format!("/customers/US01/{c}\"")).expect(c))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "sorted descending");
    assert!(
        page.body.contains("8,750.50"),
        "the total of the past due: {}",
        page.body
    );
    assert!(page.body.contains("aria-sort=\"descending\""));
    let paged = ada.get("/accounts?sort=customer_id&per_page=2&page=3");
    assert_eq!(linked(&paged.body), BTreeSet::from(["C5".to_owned()]));
    assert!(paged.body.contains("Page 3 of 3"));
    let bad = ada.get("/accounts?filter=total_pastdue%20%3E%201&columns=customer_id,nmae");
    assert_eq!(bad.status, 422);
    assert!(
        bad.body.contains("did you mean &#34;total_past_due&#34;?"),
        "{}",
        bad.body
    );
    assert!(
        bad.body.contains("columns: unknown field &#34;nmae&#34;"),
        "{}",
        bad.body
    );
    assert!(
        bad.body.contains("value=\"total_pastdue &#62; 1\""),
        "keeps what was typed"
    );
    let csv = ada.get("/accounts.csv?filter=customer_id%20in%20%5B%22C1%22%2C%22C2%22%5D&columns=customer_id,name,total_age&sort=-total_age");
    assert_eq!(csv.status, 200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(
        csv.body,
        "customer_id,name,total_age\nC1,Acme Tools,10000.00\nC2,Bolt & Nut,1250.50\n"
    );
    let detail = ada.get("/customers/US01/C1");
    assert!(detail.body.contains("Acme Tools"));
    assert!(
        detail
            .body
            .contains("data-field=\"available_credit\">5,000.00"),
        "{}",
        detail.body
    );
    assert!(
        detail.body.contains(">I1<") && detail.body.contains(">I2<"),
        "statement"
    );
    let search = ada.get("/search?q=acme");
    assert_eq!(search.status, 303);
    assert_eq!(search.header("location"), Some("/customers/US01/C1"));
}

#[test]
fn the_dashboard_and_the_actions_list_show_each_users_work() {
    let db = book();
    db.ok(&["actions", "generate", "--as-of", AS_OF]);
    let server = Server::start(&db, AS_OF);
    let mut cole = Client::with_token(&server, &token(&db, "cole"));
    let actions = cole.get("/api/v1/actions").json();
    assert_eq!(actions["total"], 1);
    assert_eq!(actions["items"][0]["customer_id"], "C1");
    assert_eq!(actions["items"][0]["action_code"], "CALL");
    assert_eq!(actions["items"][0]["state"], "not due");
    let mut carl = Client::with_token(&server, &token(&db, "carl"));
    let actions = carl.get("/api/v1/actions?sort=priority").json();
    let codes: Vec<&str> = actions["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["action_code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["ESC", "CALL"], "by priority");
    let filtered = carl
        .get("/api/v1/actions?filter=action_code%20%3D%3D%20%22CALL%22")
        .json();
    assert_eq!(filtered["total"], 1);
    let board = cole.get("/api/v1/dashboard").json();
    assert_eq!(board["open_actions"], 1);
    let us = &board["companies"][0];
    assert_eq!(us["company_id"], "US01");
    assert_eq!(us["total_age"].to_string(), "12050.50", "C1 + C2 + C4 + C5");
    assert_eq!(us["total_past_due"].to_string(), "3750.50");
    assert_eq!(us["past_due_share"].to_string(), "31.12");
    let mut mia = Client::with_token(&server, &token(&db, "mia"));
    assert_eq!(mia.get("/api/v1/dashboard?user=cole").status, 200);
    assert_eq!(
        mia.get("/api/v1/dashboard?user=carl").status,
        404,
        "not her team"
    );
    assert_eq!(cole.get("/api/v1/dashboard?user=cara").status, 404);
    let mut page = signed_in(&server, "carl");
    let board = page.get("/");
    assert_eq!(board.status, 200);
    assert!(board.body.contains("<svg"), "charts");
    assert!(
        board.body.contains("id=\"open-actions\">2<"),
        "{}",
        board.body
    );
    let list = page.get("/actions");
    assert!(list.body.contains("Escalate"), "{}", list.body);
    assert!(page.get("/?by=due").body.contains("Aging by due date"));
    let adp = page.get("/?trend=adp").body;
    assert!(adp.contains("Average days to pay, six months"), "{adp}");
    let mut mia = signed_in(&server, "mia");
    assert!(
        mia.get("/?user=cole")
            .body
            .contains("cole · as of 2015-03-13"),
        "a member's dashboard"
    );
    assert_eq!(mia.get("/?user=carl").status, 404, "not her team");
}

#[test]
fn the_openapi_document_lists_every_route_and_each_answers() {
    let db = book();
    let server = Server::start(&db, AS_OF);
    let mut api = Client::with_token(&server, &token(&db, "ada"));
    let doc = api.get("/api/v1/openapi.json").json();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().expect("paths");
    for required in [
        "/api/v1/customers",
        "/api/v1/customers/{company_id}/{customer_id}",
        "/api/v1/customers/{company_id}/{customer_id}/invoices",
        "/api/v1/actions",
        "/api/v1/openapi.json",
    ] {
        assert!(paths.contains_key(required), "{required}");
    }
    // A communication and a dispute, so that every path has a record to answer with.
    add_price_reason(&db);
    let logged = api
        .post_json(
            "/api/v1/customers/US01/C1/activities",
            r#"{"activity_type": "AcctNote", "expected_amount": "10", "expected_date": "2015-03-13",
                "complete": true, "followup_date": "2015-03-13", "followup_days": 0}"#,
        )
        .json();
    // A generate a week later finds the follow-up past due: a user action for Cole.
    db.ok(&["actions", "generate", "--as-of", "2015-03-20"]);
    let user_action = Client::with_token(&server, &token(&db, "cole"))
        .get("/api/v1/user-actions")
        .json()["items"][0]["user_action_id"]
        .clone();
    let dispute = api
        .post_json(
            "/api/v1/customers/US01/C1/disputes",
            r#"{"tran_id": "I1", "amount": "10", "reason_code": "PRICE"}"#,
        )
        .json();
    let plan = api
        .post_json(
            "/api/v1/customers/US01/C1/payment-plans",
            r#"{"tran_id": "I2", "instalments": [{"due_date": "2015-03-31", "amount": "7500"}]}"#,
        )
        .json();
    for path in paths.keys() {
        let concrete = path
            .replace("{company_id}", "US01")
            .replace("{customer_id}", "C1")
            .replace("{key}", "credit_apr")
            .replace("{tran_id}", "I1")
            .replace("{activity_id}", &logged["activity_id"].to_string())
            .replace("{issue_id}", &logged["issue_id"].to_string())
            .replace("{dispute_id}", &dispute["dispute_id"].to_string())
            .replace("{expected_id}", &logged["expected_id"].to_string())
            .replace("{user_action_id}", &user_action.to_string())
            .replace("{plan_id}", &plan["plan_id"].to_string())
            .replace("{kind}", "broken_promise");
        let answer = api.get(&concrete);
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
    }
}

#[test]
fn health_headers_bad_input_and_a_graceful_stop() {
    let db = book();
    let server = Server::start(&db, AS_OF);
    let mut c = Client::new(&server);
    assert_eq!(c.get("/healthz").body, "ok\n");
    assert_eq!(c.get("/readyz").status, 200);
    let page = c.get("/sign-in");
    for (name, value) in [
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
    ] {
        assert_eq!(page.header(name), Some(value), "{name}");
    }
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(!page.body.contains("<script>"), "no inline script");
    assert_eq!(c.get("/static/app.css").status, 200);
    assert_eq!(c.get("/no/such/page").status, 404);
    assert_eq!(c.get("/api/v1/nothing").json()["error"], "not found");
    let huge = vec![b'a'; 4 << 20];
    if let Some(answer) = c.try_post_raw("/sign-in", "application/x-www-form-urlencoded", huge) {
        assert_eq!(answer.status, 413, "{}", answer.body);
    }
    assert_eq!(
        c.get("/healthz").status,
        200,
        "still serving after an oversized body"
    );
    let answer = c.post_raw(
        "/sign-in",
        "application/x-www-form-urlencoded",
        b"%%%=&&=".to_vec(),
    );
    assert!(answer.status < 500, "{}", answer.status);
    let answer = c.post_raw("/sign-in", "application/json", b"{".to_vec());
    assert!(answer.status < 500, "{}", answer.status);
    let answer = c.sign_in("ada\u{0}", PASSWORD);
    assert_eq!(answer.status, 401, "a NUL in the user id is no user");
    let mut api = Client::with_token(&server, &token(&db, "ada"));
    for path in [
        "/api/v1/customers/US01/%00",
        "/api/v1/customers/%E2%82%AC/C1/invoices",
        "/api/v1/customers/US01",
        "/api/v1/customers?filter=%22",
        "/api/v1/customers?sort=",
        "/api/v1/dashboard?user=%00",
    ] {
        let answer = api.get(path);
        assert!(answer.status < 500, "{path}: {}", answer.status);
    }
    let status = server.stop();
    assert!(status.success(), "{status:?}");
}

#[test]
fn serve_reads_a_configuration_file_and_the_environment() {
    let db = book();
    let file = db.dir.path().join("arrears.toml");
    std::fs::write(&file, "as_of = \"2015-03-13\"\nsession_hours = 1\n").unwrap();
    let server = Server::start_with(&db, &["--config", common::path(&file)], &[]);
    let mut api = Client::with_token(&server, &token(&db, "ada"));
    let c1 = api.get("/api/v1/customers/US01/C1").json();
    assert_eq!(
        c1["total_past_due"].to_string(),
        "2500.00",
        "as of the file's date"
    );
    std::fs::write(&file, "sesion_hours = 1\n").unwrap();
    let err = db.fails(&["serve", "--config", common::path(&file)]);
    assert!(err.contains("sesion_hours"), "{err}");
    let err = db.fails(&["serve", "--listen", "no-such-address"]);
    assert!(err.contains("cannot listen on no-such-address"), "{err}");
}

#[test]
fn the_demo_can_be_signed_into_at_once() {
    let db = TestDb::new();
    let out = db.ok(&["demo", "--customers", "40", "--as-of", "2026-11-24"]);
    assert!(out.contains("with password \"arrears-demo\""), "{out}");
    let server = Server::start(&db, "2026-11-24");
    let mut browser = Client::new(&server);
    assert_eq!(browser.sign_in("c.okafor", "arrears-demo").status, 303);
    let accounts = browser.get("/accounts");
    assert_eq!(accounts.status, 200);
    assert!(
        !linked_any(&accounts.body).is_empty(),
        "a collector with customers"
    );
    let board = browser.get("/");
    assert!(board.body.contains("<svg"), "{}", board.body);
}

/// The customers of any company a page links to.
fn linked_any(body: &str) -> Vec<&str> {
    body.split("href=\"/customers/").skip(1).collect()
}

#[test]
fn only_admins_reach_setup_syncs_and_generate() {
    let db = book();
    let server = Server::start(&db, AS_OF);
    for user in ["mia", "cole", "ivy"] {
        let mut page = signed_in(&server, user);
        let csrf = page.get("/accounts").csrf();
        for path in ["/admin", "/admin/sync", "/admin/generate"] {
            assert_eq!(page.get(path).status, 403, "{user} {path}");
        }
        let answer = page.post_files(
            "/admin/sync",
            &[("csrf", &csrf)],
            &[("files", "users.csv", USERS)],
        );
        assert_eq!(answer.status, 403, "{user} uploads");
        let answer = page.post("/admin/generate", &[("csrf", &csrf), ("action", "run")]);
        assert_eq!(answer.status, 403, "{user} generates");
        let mut api = Client::with_token(&server, &token(&db, user));
        for path in ["/api/v1/syncs", "/api/v1/generate-runs"] {
            let answer = api.get(path);
            assert_eq!(answer.status, 403, "{user} {path}");
            assert!(
                answer.json()["error"]
                    .as_str()
                    .unwrap()
                    .contains("only administrators")
            );
        }
    }
    assert_eq!(
        db.ok(&["actions", "runs"]).lines().count(),
        1,
        "nothing ran"
    );
    let mut ada = signed_in(&server, "ada");
    let admin = ada.get("/admin");
    assert_eq!(admin.status, 200);
    assert!(
        admin.body.contains("total_past_due &#62; 0"),
        "the rules are listed"
    );
    let mut api = Client::with_token(&server, &token(&db, "ada"));
    assert_eq!(api.get("/api/v1/syncs").json()["items"][0]["status"], "ok");
}

#[test]
fn an_uploaded_sync_lists_every_problem_and_writes_nothing_until_it_is_right() {
    let db = book();
    let server = Server::start(&db, AS_OF);
    let mut ada = signed_in(&server, "ada");
    let csrf = ada.get("/admin/sync").csrf();
    let bad = "company_id,customer_id,tran_id,tran_type,tran_date,due_date,amount,balance\n\
US01,C4,I7,IN,2015-13-01,2015-04-01,50,50\n\
US01,C9,I8,IN,2015-03-01,2015-04-01,50,50\n";
    let answer = ada.post_files(
        "/admin/sync",
        &[("csrf", &csrf)],
        &[("files", "invoices.csv", bad)],
    );
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert!(
        answer
            .body
            .contains("invoices.csv:2: tran_date: not a date"),
        "{}",
        answer.body
    );
    assert!(
        answer.body.contains("invoices.csv:3: customer_id"),
        "{}",
        answer.body
    );
    assert!(
        answer.body.contains("Nothing was imported"),
        "{}",
        answer.body
    );
    let mut api = Client::with_token(&server, &token(&db, "ada"));
    let c4 = || {
        Client::with_token(&server, api.token.as_deref().unwrap())
            .get("/api/v1/customers/US01/C4")
            .json()
    };
    assert_eq!(c4()["total_age"].to_string(), "700.00", "nothing written");
    let good = "company_id,customer_id,tran_id,tran_type,tran_date,due_date,amount,balance\n\
US01,C4,I7,IN,2015-03-01,2015-04-01,50,50\n";
    let answer = ada.post_files(
        "/admin/sync",
        &[("csrf", &csrf)],
        &[("files", "invoices.csv", good)],
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        answer.body.contains("invoices.csv: 1 new"),
        "{}",
        answer.body
    );
    assert_eq!(c4()["total_age"].to_string(), "750.00");
    let syncs = api.get("/api/v1/syncs").json();
    assert_eq!(syncs["items"][0]["status"], "ok");
    assert_eq!(syncs["items"][0]["source"], "upload: invoices.csv");
    assert_eq!(syncs["items"][0]["run_by"], "ada");
    assert_eq!(syncs["items"][1]["status"], "failed");
    assert_eq!(syncs["items"][1]["problems"].as_array().unwrap().len(), 2);
    let none = ada.post_files("/admin/sync", &[("csrf", &csrf)], &[]);
    assert_eq!(none.status, 422);
    let forged = ada.post_files(
        "/admin/sync",
        &[("csrf", "x")],
        &[("files", "invoices.csv", good)],
    );
    assert_eq!(forged.status, 403);
    let sneaky = ada.post_files(
        "/admin/sync",
        &[("csrf", &csrf)],
        &[("files", "../invoices.csv", good)],
    );
    assert!(
        sneaky.status == 422 || sneaky.status == 200,
        "{}",
        sneaky.status
    );
    assert!(!db.dir.path().join("invoices.csv").exists());
}

#[test]
fn generate_actions_previews_then_runs() {
    let db = book();
    let server = Server::start(&db, AS_OF);
    let mut ada = signed_in(&server, "ada");
    let csrf = ada.get("/admin/generate").csrf();
    let preview = ada.post(
        "/admin/generate",
        &[("csrf", &csrf), ("as_of", AS_OF), ("action", "preview")],
    );
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert!(
        preview
            .body
            .contains("generate would open 4 and close 0 issue(s)"),
        "{}",
        preview.body
    );
    assert!(
        preview.body.contains("id=\"run\""),
        "run offered after a preview"
    );
    let mut cole = Client::with_token(&server, &token(&db, "cole"));
    assert_eq!(
        cole.get("/api/v1/actions").json()["total"],
        0,
        "a preview writes nothing"
    );
    let run = ada.post(
        "/admin/generate",
        &[("csrf", &csrf), ("as_of", AS_OF), ("action", "run")],
    );
    assert!(
        run.body.contains("run 1: 4 issue(s) opened, 0 closed"),
        "{}",
        run.body
    );
    assert_eq!(cole.get("/api/v1/actions").json()["total"], 1);
    let again = ada.post(
        "/admin/generate",
        &[("csrf", &csrf), ("as_of", AS_OF), ("action", "run")],
    );
    assert!(
        again.body.contains("0 issue(s) opened, 0 closed"),
        "{}",
        again.body
    );
    let bad = ada.post(
        "/admin/generate",
        &[
            ("csrf", &csrf),
            ("credit_class", "NOPE"),
            ("action", "preview"),
        ],
    );
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("no credit class"), "{}", bad.body);
    let bad = ada.post(
        "/admin/generate",
        &[("csrf", &csrf), ("as_of", "2015-02-30")],
    );
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("as_of: not a date"), "{}", bad.body);
    assert_eq!(
        ada.post("/admin/generate", &[("action", "run")]).status,
        403,
        "no CSRF token"
    );
    let runs = Client::with_token(&server, &token(&db, "ada"))
        .get("/api/v1/generate-runs")
        .json();
    assert_eq!(runs["items"][0]["source"], "web");
    assert_eq!(runs["items"][0]["run_by"], "ada");
}

#[test]
fn serve_runs_the_schedules_that_are_due() {
    let db = book();
    let classes = "company_id,credit_class,description,schedule,schedule_time\nUS01,STANDARD,Standard terms,daily,00:00\n";
    db.import("scheduled", &[("credit_classes.csv", classes)], AS_OF);
    let server = Server::start_with(
        &db,
        &["--as-of", AS_OF],
        &[("ARREARS_RUN_SCHEDULES", "true")],
    );
    let mut runs = String::new();
    for _ in 0..100 {
        runs = db.ok(&["actions", "runs"]);
        if runs.contains("schedule") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(runs.contains("schedule"), "{runs}");
    drop(server);
}

#[test]
fn the_rule_editor_previews_matches_live_and_saves_only_good_rules() {
    let db = book();
    let server = Server::start(&db, AS_OF);
    let mut ada = signed_in(&server, "ada");
    let edit = ada.get("/admin/rules/US01/STANDARD/10");
    assert_eq!(edit.status, 200, "{}", edit.body);
    assert!(
        edit.body.contains("total_past_due &#62; 0"),
        "{}",
        edit.body
    );
    assert!(
        edit.body
            .contains("Matches <strong>3</strong> of 5 customers"),
        "{}",
        edit.body
    );
    let part = ada.get("/admin/rules/preview?company_id=US01&credit_class=STANDARD&view=invoice&filter=due_date_days%20%3E%2035");
    assert_eq!(part.status, 200);
    assert!(
        part.body.starts_with("<div id=\"preview-body\">"),
        "a fragment: {}",
        part.body
    );
    assert!(
        part.body.contains("Matches <strong>2</strong> of 5"),
        "{}",
        part.body
    );
    assert!(
        part.body.contains("I1 (2,500.00)") && part.body.contains("I4 (5,000.00)"),
        "{}",
        part.body
    );
    let part = ada.get("/admin/rules/preview?company_id=US01&credit_class=STANDARD&view=customer&filter=total_pastdue%20%3E%200");
    assert!(
        part.body.contains("did you mean &#34;total_past_due&#34;?"),
        "{}",
        part.body
    );
    let csrf = edit.csrf();
    let form = |filter: &'static str, code: &'static str, seq: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("company_id", "US01".to_owned()),
            ("credit_class", "STANDARD".to_owned()),
            ("seq_no", seq.to_owned()),
            ("action_code", code.to_owned()),
            ("view", "customer".to_owned()),
            ("filter", filter.to_owned()),
            ("active", "on".to_owned()),
            ("action", "save".to_owned()),
        ]
    };
    let post = |c: &mut Client, f: Vec<(&str, String)>| {
        let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        c.post("/admin/rules", &pairs)
    };
    let bad = post(&mut ada, form("total_pastdue > 2000", "CALL", "10"));
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("id=\"filter-problem\""), "{}", bad.body);
    assert!(
        bad.body.contains("total_pastdue &#62; 2000"),
        "keeps what was typed"
    );
    let bad = post(&mut ada, form("total_past_due > 1", "NOPE", "30"));
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("NOPE"), "{}", bad.body);
    assert!(
        db.ok(&["rules", "list"]).contains("total_past_due > 0"),
        "unchanged"
    );
    let good = post(&mut ada, form("total_past_due > 2000", "CALL", "10"));
    assert_eq!(good.status, 303, "{}", good.body);
    assert_eq!(
        good.header("location"),
        Some("/admin/rules/US01/STANDARD/10?saved=1")
    );
    let saved = ada.get("/admin/rules/US01/STANDARD/10?saved=1");
    assert!(saved.body.contains("Saved."));
    assert!(
        saved.body.contains("Matches <strong>2</strong> of 5"),
        "{}",
        saved.body
    );
    let rules = db.ok(&["rules", "list"]);
    assert!(rules.contains("total_past_due > 2000"), "{rules}");
    let syncs = db.ok(&["syncs"]);
    assert!(syncs.contains("rule editor: US01 STANDARD 10"), "{syncs}");
    let mut cole = signed_in(&server, "cole");
    assert_eq!(cole.get("/admin/rules/US01/STANDARD/10").status, 403);
    assert_eq!(cole.get("/admin/rules/preview?filter=true").status, 403);
    assert_eq!(ada.get("/admin/rules/US01/STANDARD/99").status, 404);
}

#[test]
fn account_notes_are_open_to_every_role_that_sees_the_customer() {
    let db = book();
    let contacts = "company_id,customer_id,contact_id,name,title,email,is_primary\n\
US01,C5,K1,Eve Echo,Controller,eve@echo.example,yes\n";
    db.import("contacts", &[("contacts.csv", contacts)], AS_OF);
    let server = Server::start(&db, AS_OF);
    let mut ivy = signed_in(&server, "ivy");
    let page = ivy.get("/customers/US01/C5");
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Eve Echo") && page.body.contains("eve@echo.example"),
        "contacts"
    );
    assert!(
        page.body.contains("id=\"transaction-list\"") && page.body.contains(">I6<"),
        "transactions"
    );
    let csrf = page.csrf();
    let added = ivy.post(
        "/customers/US01/C5/notes",
        &[
            ("csrf", &csrf),
            ("note", "Spoke to Eve: paying on the 20th"),
        ],
    );
    assert_eq!(added.status, 303, "inquiry users may add account notes");
    assert_eq!(added.header("location"), Some("/customers/US01/C5#notes"));
    let page = ivy.get("/customers/US01/C5");
    assert!(
        page.body.contains("Spoke to Eve: paying on the 20th"),
        "{}",
        page.body
    );
    let empty = ivy.post(
        "/customers/US01/C5/notes",
        &[("csrf", &csrf), ("note", "   ")],
    );
    assert_eq!(empty.status, 422);
    assert!(empty.body.contains("id=\"note-problem\""));
    assert_eq!(
        ivy.post(
            "/customers/US01/C1/notes",
            &[("csrf", &csrf), ("note", "x")]
        )
        .status,
        404,
        "outside her scope"
    );
    assert_eq!(
        ivy.post("/customers/US01/C5/notes", &[("note", "x")])
            .status,
        403,
        "no CSRF token"
    );
    let mut api = Client::with_token(&server, &token(&db, "cole"));
    let notes = api.get("/api/v1/customers/US01/C5/notes").json();
    assert_eq!(notes["total"], 1);
    assert_eq!(notes["items"][0]["created_by"], "ivy");
    let mut carl = Client::with_token(&server, &token(&db, "carl"));
    assert_eq!(carl.get("/api/v1/customers/US01/C5/notes").status, 404);
    let created = api.post_json(
        "/api/v1/customers/US01/C1/notes",
        r#"{"note": "Left a message"}"#,
    );
    assert_eq!(created.status, 201, "{}", created.body);
    assert!(created.json()["note_id"].is_number());
    let bad = api.post_json("/api/v1/customers/US01/C1/notes", r#"{"nope": 1}"#);
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.json()["error"].is_string());
    let outside = carl.post_json("/api/v1/customers/US01/C1/notes", r#"{"note": "x"}"#);
    assert_eq!(outside.status, 404);
    assert_eq!(
        Client::new(&server)
            .post_json("/api/v1/customers/US01/C1/notes", r#"{"note": "x"}"#)
            .status,
        401
    );
}

#[test]
fn my_accounts_keeps_named_views_with_a_default_and_exports_xlsx() {
    let db = book();
    let server = Server::start(&db, AS_OF);
    let mut ada = signed_in(&server, "ada");
    let page = ada.get("/accounts");
    let csrf = page.csrf();
    let saved = ada.post(
        "/accounts/views",
        &[
            ("csrf", &csrf),
            ("name", "Late payers"),
            ("filter", "total_past_due > 0"),
            ("sort", "-total_past_due"),
            ("columns", "customer_id,total_past_due"),
            ("is_default", "on"),
        ],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(
        saved.header("location"),
        Some("/accounts?view=Late%20payers")
    );
    let view = ada.get("/accounts?view=Late%20payers");
    assert_eq!(linked(&view.body).len(), 3);
    assert!(view.body.contains("3 customers"));
    let default = ada.get("/accounts");
    assert!(
        default.body.contains("3 customers"),
        "the default view opens"
    );
    assert!(default.body.contains("(default)"));
    let all = ada.get("/accounts?sort=customer_id");
    assert!(all.body.contains("5 customers"), "an explicit query wins");
    let bad = ada.post(
        "/accounts/views",
        &[
            ("csrf", &csrf),
            ("name", "Broken"),
            ("filter", "total_pastdue > 0"),
        ],
    );
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("did you mean"), "{}", bad.body);
    assert_eq!(ada.get("/accounts?view=Nope").status, 404);
    let mut cole = signed_in(&server, "cole");
    assert!(
        cole.get("/accounts").body.contains("4 customers"),
        "views are per user"
    );
    let xlsx = ada.get_bytes("/accounts.xlsx?view=Late%20payers");
    assert_eq!(xlsx.0, 200);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx.1)).expect("an XLSX is a zip");
    let mut sheet = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("xl/worksheets/sheet1.xml").unwrap(),
        &mut sheet,
    )
    .unwrap();
    assert!(sheet.contains("<t>total_past_due</t>"), "{sheet}");
    assert!(
        sheet.contains("<c r=\"B2\" s=\"1\"><v>5000.00</v></c>"),
        "{sheet}"
    );
    assert!(
        sheet.contains("<c r=\"B4\" s=\"1\"><v>1250.50</v></c>"),
        "{sheet}"
    );
    let deleted = ada.post(
        "/accounts/views/delete",
        &[("csrf", &csrf), ("name", "Late payers")],
    );
    assert_eq!(deleted.status, 303);
    assert!(ada.get("/accounts").body.contains("5 customers"));
}

/// Every page and API route, for every role: what each may see.
#[test]
fn every_route_answers_each_role_as_its_scope_allows() {
    let db = book();
    let server = Server::start(&db, AS_OF);
    const PAGES: [&str; 17] = [
        "/",
        "/accounts",
        "/accounts.csv",
        "/accounts.xlsx",
        "/actions",
        "/actions/counts",
        "/admin/user-actions",
        "/search?q=zzz",
        "/admin",
        "/admin/sync",
        "/admin/generate",
        "/admin/rules/new",
        "/admin/rules/US01/STANDARD/10",
        "/admin/setup",
        "/admin/users",
        "/admin/history",
        "/admin/history.csv",
    ];
    const APIS: [&str; 12] = [
        "/api/v1/customers",
        "/api/v1/assignments",
        "/api/v1/actions",
        "/api/v1/actions/counts",
        "/api/v1/user-actions",
        "/api/v1/user-action-types",
        "/api/v1/dashboard",
        "/api/v1/syncs",
        "/api/v1/generate-runs",
        "/api/v1/users",
        "/api/v1/settings",
        "/api/v1/events",
    ];
    const ADMIN_POSTS: [&str; 11] = [
        "/admin/user-actions/broken_promise",
        "/accounts/assign",
        "/customers/US01/C5/assignment",
        "/admin/sync",
        "/admin/generate",
        "/admin/rules",
        "/admin/settings",
        "/admin/users",
        "/admin/users/disable",
        "/admin/users/password",
        "/admin/rules/preview",
    ];
    for (user, scope) in SCOPES {
        let admin = user == "ada";
        let mut page = signed_in(&server, user);
        let csrf = page.get("/accounts").csrf();
        for path in PAGES {
            let want = if path.starts_with("/admin") && !admin {
                403
            } else {
                200
            };
            assert_eq!(page.get(path).status, want, "{user} GET {path}");
        }
        let mut api = Client::with_token(&server, &token(&db, user));
        for path in APIS {
            let admin_only = [
                "/api/v1/syncs",
                "/api/v1/generate-runs",
                "/api/v1/users",
                "/api/v1/settings",
                "/api/v1/events",
                "/api/v1/assignments",
            ]
            .contains(&path);
            let want = if admin_only && !admin { 403 } else { 200 };
            assert_eq!(api.get(path).status, want, "{user} GET {path}");
        }
        for customer in ["C1", "C3", "C5", "C404"] {
            let want = if scope.contains(&customer) { 200 } else { 404 };
            let path = format!("/customers/US01/{customer}");
            assert_eq!(page.get(&path).status, want, "{user} GET {path}");
            for path in [
                format!("/api/v1/customers/US01/{customer}"),
                format!("/api/v1/customers/US01/{customer}/invoices"),
                format!("/api/v1/customers/US01/{customer}/notes"),
                format!("/api/v1/customers/US01/{customer}/expected-payments"),
                format!("/api/v1/customers/US01/{customer}/payment-plans"),
                format!("/api/v1/customers/US01/{customer}/assignment"),
            ] {
                assert_eq!(api.get(&path).status, want, "{user} GET {path}");
            }
            let note = page.post(
                &format!("/customers/US01/{customer}/notes"),
                &[("csrf", &csrf), ("note", "seen")],
            );
            let posted = if want == 200 { 303 } else { 404 };
            assert_eq!(note.status, posted, "{user} POST a note on {customer}");
            let note = api.post_json(
                &format!("/api/v1/customers/US01/{customer}/notes"),
                r#"{"note": "seen"}"#,
            );
            let posted = if want == 200 { 201 } else { 404 };
            assert_eq!(
                note.status, posted,
                "{user} POST /api/v1 note on {customer}"
            );
        }
        if !admin {
            for path in ADMIN_POSTS {
                let answer = page.post(path, &[("csrf", &csrf)]);
                assert!(
                    answer.status == 403 || answer.status == 405,
                    "{user} POST {path}: {}",
                    answer.status
                );
                assert_ne!(answer.status, 200);
            }
        }
    }
}

#[test]
fn admins_change_settings_and_users_from_the_pages() {
    let db = book();
    let server = Server::start(&db, AS_OF);
    let mut ada = signed_in(&server, "ada");
    let setup = ada.get("/admin/setup");
    assert_eq!(setup.status, 200);
    assert!(
        setup.body.contains("Collection call"),
        "action codes listed"
    );
    let csrf = setup.csrf();
    let bad = ada.post(
        "/admin/settings",
        &[("csrf", &csrf), ("key", "credit_apr"), ("value", "lots")],
    );
    assert_eq!(bad.status, 422);
    assert!(
        bad.body.contains("id=\"problem-credit_apr\""),
        "{}",
        bad.body
    );
    assert!(bad.body.contains("value=\"lots\""), "keeps what was typed");
    let good = ada.post(
        "/admin/settings",
        &[("csrf", &csrf), ("key", "credit_apr"), ("value", "8")],
    );
    assert_eq!(good.status, 303);
    assert_eq!(db.ok(&["settings", "get", "credit_apr"]).trim(), "8");
    let mut api = Client::with_token(&server, &token(&db, "ada"));
    assert_eq!(api.get("/api/v1/settings").json()["credit_apr"], "8");

    let users = ada.get("/admin/users");
    assert!(users.body.contains("Cole Collector"));
    let bad = ada.post(
        "/admin/users",
        &[
            ("csrf", &csrf),
            ("user_id", "nia"),
            ("name", "Nia New"),
            ("role", "boss"),
            ("manager", "mia"),
        ],
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("unknown role"), "{}", bad.body);
    assert!(
        bad.body.contains("value=\"Nia New\""),
        "keeps what was typed"
    );
    let bad = ada.post(
        "/admin/users",
        &[
            ("csrf", &csrf),
            ("user_id", "nia"),
            ("name", "Nia New"),
            ("role", "collector"),
            ("manager", "ghost"),
        ],
    );
    assert!(bad.body.contains("no user &#34;ghost&#34;"), "{}", bad.body);
    let added = ada.post(
        "/admin/users",
        &[
            ("csrf", &csrf),
            ("user_id", "nia"),
            ("name", "Nia New"),
            ("role", "collector"),
            ("manager", "max"),
        ],
    );
    assert_eq!(added.status, 303, "{}", added.body);
    let short = ada.post(
        "/admin/users/password",
        &[("csrf", &csrf), ("user_id", "nia"), ("password", "short")],
    );
    assert_eq!(short.status, 422);
    let set = ada.post(
        "/admin/users/password",
        &[("csrf", &csrf), ("user_id", "nia"), ("password", PASSWORD)],
    );
    assert_eq!(set.status, 303);
    let mut nia = signed_in(&server, "nia");
    assert_eq!(
        linked(&nia.get("/accounts").body),
        BTreeSet::from(["C3".to_owned(), "C4".to_owned()]),
        "Max's team"
    );
    let listed = api.get("/api/v1/users").json();
    let nia_row = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["user_id"] == "nia")
        .cloned()
        .unwrap();
    assert_eq!(nia_row["manager"], "max");
    assert_eq!(nia_row["has_password"], true);
    let cole = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["user_id"] == "cole")
        .cloned()
        .unwrap();
    assert_eq!(cole["assigned_customers"], 1);
    assert_eq!(
        ada.post(
            "/admin/users/disable",
            &[("csrf", &csrf), ("user_id", "nia"), ("disabled", "yes")]
        )
        .status,
        303
    );
    assert_eq!(nia.get("/accounts").status, 303, "signed out at once");
    assert_eq!(
        ada.post(
            "/admin/users/disable",
            &[("csrf", &csrf), ("user_id", "ada"), ("disabled", "yes")]
        )
        .status,
        409
    );
    assert_eq!(
        ada.post(
            "/admin/users/disable",
            &[("csrf", &csrf), ("user_id", "ghost"), ("disabled", "yes")]
        )
        .status,
        404
    );
}

#[test]
fn lists_follow_every_change_to_the_book_at_once() {
    let db = book();
    let server = Server::start(&db, AS_OF);
    let mut api = Client::with_token(&server, &token(&db, "ada"));
    let c4 = |api: &mut Client, field: &str| {
        let list = api
            .get("/api/v1/customers?filter=customer_id%20%3D%3D%20%22C4%22")
            .json();
        list["items"][0][field].to_string()
    };
    assert_eq!(c4(&mut api, "total_age"), "700.00");
    let invoices = "company_id,customer_id,tran_id,tran_type,tran_date,due_date,amount,balance\n\
US01,C4,I7,IN,2015-01-01,2015-01-31,300,300\n";
    db.import("more", &[("invoices.csv", invoices)], AS_OF);
    assert_eq!(c4(&mut api, "total_age"), "1000.00", "a sync while serving");
    assert_eq!(c4(&mut api, "due_age_2"), "300.00");
    db.ok(&["settings", "set", "due_aging_units", "15,30,60,90"]);
    assert_eq!(c4(&mut api, "due_age_2"), "0.00", "a setting while serving");
    assert_eq!(c4(&mut api, "due_age_3"), "300.00");
    assert_eq!(c4(&mut api, "open_issue_cnt"), "0");
    db.ok(&["actions", "generate", "--as-of", AS_OF]);
    assert_eq!(
        c4(&mut api, "open_issue_cnt"),
        "1",
        "a generate run while serving"
    );
    let board = api.get("/api/v1/dashboard?trend=dso").json();
    let trend = board["companies"][0]["trend"]
        .as_array()
        .expect("a trend")
        .clone();
    let months: Vec<&str> = trend.iter().map(|m| m["month"].as_str().unwrap()).collect();
    assert_eq!(
        months,
        [
            "2014-09", "2014-10", "2014-11", "2014-12", "2015-01", "2015-02"
        ]
    );
    assert!(
        trend
            .iter()
            .all(|m| m["value"].is_number() || m["value"].is_null())
    );
    assert!(
        board["companies"][0]["avg_days_to_pay_1"].is_null()
            || board["companies"][0]["avg_days_to_pay_1"].is_number()
    );
}

#[test]
fn admins_generate_read_rules_and_change_settings_through_the_api() {
    let db = book();
    let server = Server::start(&db, AS_OF);
    let mut ada = Client::with_token(&server, &token(&db, "ada"));
    let preview = ada.post_json(
        "/api/v1/generate",
        r#"{"as_of": "2015-03-13", "preview": true}"#,
    );
    assert_eq!(preview.status, 200, "{}", preview.body);
    let preview = preview.json();
    assert_eq!(preview["created"], 4);
    assert!(preview["run_id"].is_null(), "a preview writes nothing");
    assert_eq!(preview["changes"][0]["change"], "create");
    let run = ada
        .post_json("/api/v1/generate", r#"{"as_of": "2015-03-13"}"#)
        .json();
    assert_eq!(run["run_id"], 1);
    assert_eq!(run["created"], 4);
    assert_eq!(ada.get("/api/v1/generate").json()["items"][0]["run_id"], 1);
    let bad = ada.post_json("/api/v1/generate", r#"{"credit_class": "NOPE"}"#);
    assert_eq!(bad.status, 422);
    assert!(
        bad.json()["error"]
            .as_str()
            .unwrap()
            .contains("no credit class")
    );
    assert_eq!(ada.post_json("/api/v1/generate", "{").status, 400);
    let rules = ada.get("/api/v1/rules").json();
    assert_eq!(rules["total"], 2);
    assert_eq!(rules["items"][1]["filter"], "over_90 > 0");
    let set = ada.put_json("/api/v1/settings/credit_apr", r#"{"value": "8"}"#);
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(set.json()["value"], "8");
    assert_eq!(ada.get("/api/v1/settings/credit_apr").json()["value"], "8");
    let bad = ada.put_json("/api/v1/settings/credit_apr", r#"{"value": "lots"}"#);
    assert_eq!(bad.status, 422);
    assert!(bad.json()["error"].as_str().unwrap().contains("credit_apr"));
    assert_eq!(
        ada.put_json("/api/v1/settings/nope", r#"{"value": "1"}"#)
            .status,
        404
    );
    assert_eq!(
        ada.put_json("/api/v1/settings/credit_apr", r#"{"val": 1}"#)
            .status,
        400
    );
    let mut cole = Client::with_token(&server, &token(&db, "cole"));
    assert_eq!(cole.post_json("/api/v1/generate", "{}").status, 403);
    assert_eq!(
        cole.put_json("/api/v1/settings/credit_apr", r#"{"value": "9"}"#)
            .status,
        403
    );
    assert_eq!(cole.get("/api/v1/rules").status, 403);
    assert_eq!(cole.get("/api/v1/views").json()["total"], 0);
    assert_eq!(db.ok(&["settings", "get", "credit_apr"]).trim(), "8");
}

#[test]
fn sessions_expire_and_requests_are_logged() {
    let db = book();
    let log_path = db.dir.path().join("serve.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let server = Server::start_logging(&db, &["--as-of", AS_OF], &[], log.into());
    let mut browser = signed_in(&server, "cole");
    assert_eq!(browser.get("/accounts").status, 200);
    // The session's time runs out (its end set to its start).
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(end_sessions(&db.url));
    assert_eq!(
        browser.get("/accounts").status,
        303,
        "an expired session signs no one in"
    );
    let status = server.stop();
    assert!(status.success());
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(log.contains("uri=/accounts"), "{log}");
    assert!(
        log.contains("status=200") && log.contains("status=303"),
        "{log}"
    );
    assert!(
        log.contains("signed in") && log.contains("user=cole"),
        "{log}"
    );
}

/// Ends every session at the moment it began, on either store.
async fn end_sessions(url: &str) {
    use sqlx::Connection;
    const SQL: &str = "UPDATE sessions SET expires_at = created_at";
    if url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::Executor::execute(&mut c, SQL).await.expect("update");
    } else {
        let mut c = sqlx::SqliteConnection::connect(url).await.expect("connect");
        sqlx::Executor::execute(&mut c, SQL).await.expect("update");
    }
}

#[test]
fn a_sync_uploaded_through_the_api_is_all_or_nothing() {
    let db = book();
    let server = Server::start(&db, AS_OF);
    let mut ada = Client::with_token(&server, &token(&db, "ada"));
    let bad = "company_id,customer_id,tran_id,tran_type,tran_date,due_date,amount,balance\n\
US01,C4,I7,IN,2015-03-01,2015-04-01,50.12345,50\n";
    let answer = ada.post_files("/api/v1/syncs", &[], &[("files", "invoices.csv", bad)]);
    assert_eq!(answer.status, 422, "{}", answer.body);
    let json = answer.json();
    assert!(
        json["error"]
            .as_str()
            .unwrap()
            .contains("1 problem(s) found; nothing was imported")
    );
    assert!(
        json["problems"][0]
            .as_str()
            .unwrap()
            .starts_with("invoices.csv:2: amount:"),
        "{json}"
    );
    let good = bad.replace("50.12345", "50");
    let answer = ada.post_files("/api/v1/syncs", &[], &[("files", "invoices.csv", &good)]);
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()["files"][0]["inserted"], 1);
    assert_eq!(
        ada.get("/api/v1/customers/US01/C4").json()["total_age"].to_string(),
        "750.00"
    );
    assert_eq!(ada.post_files("/api/v1/syncs", &[], &[]).status, 422);
    let mut cole = Client::with_token(&server, &token(&db, "cole"));
    assert_eq!(
        cole.post_files("/api/v1/syncs", &[], &[("files", "invoices.csv", &good)])
            .status,
        403
    );
    assert_eq!(
        Client::new(&server)
            .post_files("/api/v1/syncs", &[], &[])
            .status,
        401
    );
}

#[test]
fn admins_save_rules_and_users_through_the_api_as_if_imported() {
    let db = book();
    let server = Server::start(&db, AS_OF);
    let mut ada = Client::with_token(&server, &token(&db, "ada"));
    let rule = r#"{"company_id": "US01", "credit_class": "STANDARD", "seq_no": 30, "action_code": "ESC",
        "view": "invoice", "filter": "due_date_days > 90", "auto_close": true}"#;
    let saved = ada.post_json("/api/v1/rules", rule);
    assert_eq!(saved.status, 200, "{}", saved.body);
    let rules = ada.get("/api/v1/rules").json();
    let added = rules["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["seq_no"] == 30)
        .cloned()
        .unwrap();
    assert_eq!(added["view"], "invoice");
    assert_eq!(added["auto_close"], true);
    assert_eq!(added["active"], true);
    let bad = r#"{"company_id": "US01", "credit_class": "STANDARD", "seq_no": 40, "action_code": "NOPE",
        "view": "customer", "filter": "total_pastdue > 1"}"#;
    let answer = ada.post_json("/api/v1/rules", bad);
    assert_eq!(answer.status, 422, "{}", answer.body);
    let problems = answer.json()["problems"].as_array().unwrap().clone();
    let columns: Vec<&str> = problems
        .iter()
        .map(|p| p["column"].as_str().unwrap())
        .collect();
    assert!(
        columns.contains(&"filter") && columns.contains(&"action_code"),
        "{problems:?}"
    );
    assert_eq!(
        ada.get("/api/v1/rules").json()["total"],
        3,
        "nothing written"
    );
    assert_eq!(
        ada.post_json("/api/v1/rules", r#"{"seq_no": "x"}"#).status,
        400
    );
    let user = r#"{"user_id": "zed", "name": "Zed Z", "role": "inquiry", "manager": "mia"}"#;
    assert_eq!(ada.post_json("/api/v1/users", user).status, 200);
    let users = ada.get("/api/v1/users").json();
    assert!(
        users["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["user_id"] == "zed" && u["role"] == "inquiry")
    );
    let bad = ada.post_json(
        "/api/v1/users",
        r#"{"user_id": "yan", "name": "Y", "role": "boss"}"#,
    );
    assert_eq!(bad.status, 422);
    assert_eq!(bad.json()["problems"][0]["column"], "role");
    let ghost = ada.post_json(
        "/api/v1/users",
        r#"{"user_id": "yan", "name": "Y", "role": "collector", "manager": "ghost"}"#,
    );
    assert_eq!(ghost.status, 422);
    let mut cole = Client::with_token(&server, &token(&db, "cole"));
    assert_eq!(cole.post_json("/api/v1/rules", rule).status, 403);
    assert_eq!(cole.post_json("/api/v1/users", user).status, 403);
}

#[test]
fn users_make_and_revoke_their_own_tokens_and_save_views_through_the_api() {
    let db = book();
    let server = Server::start(&db, AS_OF);
    let mut cole = signed_in(&server, "cole");
    let me = cole.get("/me");
    assert_eq!(me.status, 200);
    let csrf = me.csrf();
    let made = cole.post("/me/tokens", &[("csrf", &csrf), ("name", "script")]);
    assert_eq!(made.status, 201, "{}", made.body);
    let start = made
        .body
        .find("id=\"new-token\">")
        .expect("the token, once")
        + 15;
    let secret = made.body[start..start + 68].to_owned();
    assert!(secret.starts_with("arr_"), "{secret}");
    let mut api = Client::with_token(&server, &secret);
    assert_eq!(api.get("/api/v1/customers").json()["total"], 4);
    assert!(!cole.get("/me").body.contains(&secret), "shown only once");
    let saved = api.post_json(
        "/api/v1/views",
        r#"{"name": "Mine", "filter": "total_past_due > 0", "is_default": true}"#,
    );
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(api.get("/api/v1/views").json()["items"][0]["name"], "Mine");
    assert!(
        cole.get("/accounts").body.contains("2 customers"),
        "the default view"
    );
    let bad = api.post_json("/api/v1/views", r#"{"name": "Bad", "sort": "nmae"}"#);
    assert_eq!(bad.status, 422);
    let mut other = Client::with_token(&server, &token(&db, "carl"));
    let tokens = db.ok(&["token", "list", "--user", "carl"]);
    let carls = tokens
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_owned();
    assert_eq!(
        cole.post(
            "/me/tokens/revoke",
            &[("csrf", &csrf), ("token_id", &carls)]
        )
        .status,
        404,
        "not his"
    );
    assert_eq!(other.get("/api/v1/actions").status, 200);
    let mine = db.ok(&["token", "list", "--user", "cole"]);
    let id = mine
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_owned();
    assert_eq!(
        cole.post("/me/tokens/revoke", &[("csrf", &csrf), ("token_id", &id)])
            .status,
        303
    );
    assert_eq!(api.get("/api/v1/customers").status, 401);
    assert_eq!(
        cole.post("/me/tokens", &[("name", "x")]).status,
        403,
        "no CSRF token"
    );
}
