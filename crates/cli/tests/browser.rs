//! The main flows in a real headless Chromium (Debian's `chromium` and `chromium-driver`),
//! driven over WebDriver against `arrears serve` on the store under test. With
//! `ARREARS_SCREENSHOTS=DIR` the pages' screenshots are kept there (`docs/screenshots/`).

mod common;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::TestDb;
use common::web::{AS_OF, PASSWORD, Server, add_price_reason, book};
use fantoccini::{Client, ClientBuilder, Locator};

/// A chromedriver of our own on a free port; stopped when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    fn start() -> Driver {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("chromedriver cannot start ({e}); install Debian's chromium and chromium-driver (.ci/run does)")
            });
        let url = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver { child, url }
    }

    async fn browser(&self) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".to_owned(),
            serde_json::json!({
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1360,1000"],
            }),
        );
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a Chromium session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Takes a screenshot: always checked to be a picture, kept when asked.
async fn snap(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    assert!(png.starts_with(b"\x89PNG"), "{name}: not a PNG");
    if let Ok(dir) = std::env::var("ARREARS_SCREENSHOTS") {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("keep the screenshot");
    }
}

/// The text of an element, once there is one (on the page a click leads to, say).
async fn text(c: &Client, css: &str) -> String {
    for _ in 0..200 {
        if let Ok(e) = c.find(Locator::Css(css)).await
            && let Ok(t) = e.text().await
        {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let source = c.source().await.unwrap_or_default();
    panic!("no {css} on {:?}:\n{source}", c.current_url().await.ok());
}

/// Clicks something that leads to another page, and waits until it is there.
async fn click_away(c: &Client, css: &str) {
    let old = c.find(Locator::Css("html")).await.expect("a page");
    click(c, css).await;
    for _ in 0..200 {
        if old.is_displayed().await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("clicking {css} led nowhere");
}

async fn fill(c: &Client, css: &str, value: &str) {
    let e = c
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"));
    e.clear().await.expect("clear");
    e.send_keys(value).await.expect("type");
}

/// Sets a field's value as a date picker would, whatever the browser's locale.
async fn set_value(c: &Client, css: &str, value: &str) {
    c.execute(
        "document.querySelector(arguments[0]).value = arguments[1];",
        vec![css.into(), value.into()],
    )
    .await
    .unwrap_or_else(|e| panic!("cannot set {css}: {e}"));
}

async fn attach(c: &Client, css: &str, path: &std::path::Path) {
    let e = c
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"));
    e.send_keys(path.to_str().expect("utf-8 path"))
        .await
        .expect("choose the file");
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .click()
        .await
        .expect("click");
}

async fn sign_in(c: &Client, base: &str, user: &str, password: &str) {
    c.goto(&format!("{base}/sign-in"))
        .await
        .expect("sign-in page");
    fill(c, "#user_id", user).await;
    fill(c, "#password", password).await;
    click_away(c, ".sign-in button[type=submit]").await;
}

/// Waits until the element's text holds `wanted`.
async fn until_text(c: &Client, css: &str, wanted: &str) -> String {
    let mut seen = String::new();
    for _ in 0..100 {
        seen = text(c, css).await;
        if seen.contains(wanted) {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} never showed {wanted:?}; last {seen:?}");
}

#[test]
fn a_collector_and_an_admin_work_through_the_browser() {
    // The store is made and dropped outside the browser's runtime (it has one of its own).
    let db = book();
    db.ok(&["actions", "generate", "--as-of", AS_OF]);
    let server = Server::start(&db, AS_OF);
    let driver = Driver::start();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(flows(&db, &server.base, &driver));
}

async fn flows(db: &TestDb, base: &str, driver: &Driver) {
    let c = driver.browser().await;

    // A wrong password, then the right one.
    sign_in(&c, base, "cole", "not the password").await;
    assert!(
        text(&c, "#sign-in-problem")
            .await
            .contains("Sign-in failed")
    );
    snap(&c, "sign-in").await;
    sign_in(&c, base, "cole", PASSWORD).await;
    assert_eq!(text(&c, "#open-actions").await, "1");
    assert!(
        c.find(Locator::Css("svg.chart")).await.is_ok(),
        "the dashboard's charts"
    );
    snap(&c, "dashboard").await;

    // My Accounts: filter, sort by a heading, export.
    c.goto(&format!("{base}/accounts")).await.expect("accounts");
    assert!(text(&c, "#accounts-count").await.starts_with("4 customers"));
    fill(&c, "#filter", "total_past_due > 0").await;
    click_away(&c, ".grid-query button[type=submit]").await;
    until_text(&c, "#accounts-count", "2 customers").await;
    click_away(&c, "#accounts th:nth-child(6) a").await;
    click_away(&c, "#accounts th:nth-child(6) a").await;
    let first = text(&c, "#accounts tbody tr:first-child td:first-child").await;
    assert_eq!(first, "C1", "2,500.00 past due before 1,250.50");
    assert!(
        c.current_url()
            .await
            .unwrap()
            .as_str()
            .contains("sort=-total_past_due")
    );
    snap(&c, "my-accounts").await;
    let csv = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(document.getElementById('export-csv').href).then(r => r.text()).then(done);",
            vec![],
        )
        .await
        .expect("export");
    let csv = csv.as_str().unwrap_or_default().to_owned();
    assert!(csv.starts_with("customer_id,name,"), "{csv}");
    assert_eq!(csv.lines().count(), 3, "{csv}");
    fill(&c, "#filter", "total_pastdue > 0").await;
    click_away(&c, ".grid-query button[type=submit]").await;
    assert!(
        text(&c, "#filter-problem")
            .await
            .contains("did you mean \"total_past_due\"?")
    );

    // Open an account from the grid.
    c.goto(&format!("{base}/accounts")).await.expect("accounts");
    click_away(&c, "#accounts a[href='/customers/US01/C1']").await;
    assert!(text(&c, "h1").await.contains("Acme Tools"));
    assert!(text(&c, "#statement").await.contains("I1"));
    snap(&c, "account").await;
    c.goto(&format!("{base}/actions")).await.expect("actions");
    assert!(text(&c, "#actions").await.contains("Collection call"));
    snap(&c, "actions").await;

    // Sign out, and the pages are closed.
    click_away(&c, ".who button").await;
    assert!(c.current_url().await.unwrap().path().ends_with("/sign-in"));
    c.goto(&format!("{base}/accounts")).await.expect("accounts");
    assert!(c.current_url().await.unwrap().path().ends_with("/sign-in"));

    // The admin edits a rule with its live preview.
    sign_in(&c, base, "ada", PASSWORD).await;
    c.goto(&format!("{base}/admin/rules/US01/STANDARD/10"))
        .await
        .expect("rule");
    assert!(text(&c, "#preview-count").await.contains("Matches 3 of 5"));
    fill(&c, "#filter", "total_past_due > 2000").await;
    until_text(&c, "#preview-count", "Matches 2 of 5").await;
    snap(&c, "rule-editor").await;
    click_away(&c, "#rule-save").await;
    assert_eq!(text(&c, "#rule-saved").await, "Saved.");

    // A sync with an error, then a good one.
    let bad = db.dir.path().join("bad").join("invoices.csv");
    let good = db.dir.path().join("good").join("invoices.csv");
    for (file, date) in [(&bad, "2015-02-30"), (&good, "2015-03-02")] {
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(
            file,
            format!("company_id,customer_id,tran_id,tran_type,tran_date,due_date,amount,balance\nUS01,C4,I9,IN,{date},2015-04-01,10,10\n"),
        )
        .unwrap();
    }
    c.goto(&format!("{base}/admin/sync")).await.expect("sync");
    attach(&c, "#files", &bad).await;
    click_away(&c, "#sync-form button").await;
    assert!(
        text(&c, "#sync-problems")
            .await
            .contains("invoices.csv:2: tran_date: not a date")
    );
    snap(&c, "sync-problems").await;
    attach(&c, "#files", &good).await;
    click_away(&c, "#sync-form button").await;
    assert!(text(&c, "#sync-done").await.contains("invoices.csv: 1 new"));

    // Generate actions: preview, then run.
    c.goto(&format!("{base}/admin/generate"))
        .await
        .expect("generate");
    click_away(&c, "#preview").await;
    assert!(
        text(&c, "#generate-summary")
            .await
            .contains("preview: generate would open")
    );
    snap(&c, "generate-preview").await;
    c.execute("window.confirm = () => true;", vec![])
        .await
        .expect("accept the confirmation");
    click_away(&c, "#run").await;
    assert!(text(&c, "#generate-summary").await.starts_with("run 2:"));
    c.goto(&format!("{base}/admin")).await.expect("admin");
    snap(&c, "admin").await;
    c.close().await.expect("close the browser");
}

#[test]
fn a_collector_logs_a_call_and_settles_a_dispute_and_an_admin_sets_up_a_payment_plan_in_the_browser()
 {
    let db = book();
    add_price_reason(&db);
    let server = Server::start(&db, AS_OF);
    let driver = Driver::start();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(workflow(&server.base, &driver));
}

async fn workflow(base: &str, driver: &Driver) {
    let c = driver.browser().await;
    sign_in(&c, base, "cole", PASSWORD).await;
    c.goto(&format!("{base}/customers/US01/C1"))
        .await
        .expect("account");
    assert_eq!(text(&c, "dd[data-field=total_age]").await, "10,000.00");

    // A phone call: spoke to the customer, who promised 1,000 of I1 by Friday; done.
    click_away(&c, "#log-communication").await;
    click(&c, "#call-spoke").await;
    fill(&c, "#comm-note", "Promised to pay I1 on Friday").await;
    click(&c, "input[name=tagged][value=I1]").await;
    fill(&c, "#expected_amount", "1000").await;
    set_value(&c, "#expected_date", "2015-03-20").await;
    click(&c, "#promise").await;
    click(&c, "#complete").await;
    snap(&c, "communication").await;
    click_away(&c, "#save-communication").await;
    let line = text(&c, "#communication-history tbody tr:first-child").await;
    assert!(
        line.contains("Phone") && line.contains("Promised to pay I1"),
        "{line}"
    );
    assert!(
        c.find(Locator::Css(
            "#communication-history .icon.green[data-icon=call]"
        ))
        .await
        .is_ok(),
        "a call that reached the customer shows green"
    );
    assert!(
        c.find(Locator::Css("#communication-history [data-icon=tagged]"))
            .await
            .is_ok()
    );
    assert!(
        c.find(Locator::Css(
            "#communication-history .icon.blue[data-icon=expected]"
        ))
        .await
        .is_ok(),
        "an open promise shows blue"
    );
    let promise = text(&c, "#expected-list tbody tr:first-child").await;
    assert!(
        promise.contains("2015-03-20") && promise.contains("1,000.00") && promise.contains("open"),
        "{promise}"
    );
    assert_eq!(text(&c, "dd[data-field=has_promise]").await, "yes");
    assert_eq!(text(&c, "dd[data-field=expected_pay_days]").await, "7");

    // A dispute on I1, excluded from the aging, then closed.
    c.goto(&format!("{base}/customers/US01/C1/invoices/I1"))
        .await
        .expect("invoice");
    fill(&c, "#dispute-amount", "2500").await;
    click(&c, "#exclude-from-aging").await;
    click_away(&c, "#open-dispute").await;
    until_text(&c, "#dispute-list", "open").await;
    snap(&c, "dispute").await;
    c.goto(&format!("{base}/customers/US01/C1"))
        .await
        .expect("account");
    assert_eq!(text(&c, "dd[data-field=total_age]").await, "7,500.00");
    assert_eq!(text(&c, "dd[data-field=in_dispute]").await, "yes");
    c.goto(&format!("{base}/customers/US01/C1/invoices/I1"))
        .await
        .expect("invoice");
    fill(
        &c,
        ".close-dispute input[name=resolution]",
        "Price confirmed",
    )
    .await;
    click_away(&c, ".close-dispute button").await;
    until_text(&c, "#dispute-list", "closed").await;
    c.goto(&format!("{base}/customers/US01/C1"))
        .await
        .expect("account");
    assert_eq!(text(&c, "dd[data-field=total_age]").await, "10,000.00");
    assert_eq!(text(&c, "dd[data-field=in_dispute]").await, "no");
    assert_eq!(text(&c, "dd[data-field=total_past_due]").await, "2,500.00");

    // An admin splits I1 into 50% on Net30 and 50% on Net90: half of it is no longer late.
    sign_in(&c, base, "ada", PASSWORD).await;
    c.goto(&format!("{base}/customers/US01/C1/invoices/I1"))
        .await
        .expect("invoice");
    set_value(&c, "#plan-due-1", "2015-02-01").await;
    fill(&c, "#plan-amount-1", "1250").await;
    set_value(&c, "#plan-due-2", "2015-04-02").await;
    fill(&c, "#plan-amount-2", "1250").await;
    fill(&c, "#plan-note", "Special terms").await;
    snap(&c, "payment-plan-form").await;
    click_away(&c, "#make-plan").await;
    let instalments = until_text(&c, "#instalment-list", "2015-04-02").await;
    assert!(instalments.contains("late"), "{instalments}");
    snap(&c, "payment-plan").await;
    c.goto(&format!("{base}/customers/US01/C1"))
        .await
        .expect("account");
    assert_eq!(text(&c, "dd[data-field=total_past_due]").await, "1,250.00");
    assert_eq!(text(&c, "dd[data-field=total_age]").await, "10,000.00");
    c.close().await.expect("close the browser");
}
