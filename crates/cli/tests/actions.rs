//! `arrears actions generate|list|runs` and `arrears rules explain`: the rules of section 4
//! of the contract turned into issues, through the real binary, on the store under test.

mod common;

use common::{SETUP_CLASSES as CLASSES, SETUP_COMPANIES as COMPANIES, SETUP_USERS as USERS};
use common::{TestDb, field};

const CODES: &str = "company_id,action_code,description,activity_type,priority,customer_contact\n\
US01,REMIND,Payment reminder,EmailSend,5,yes\n\
US01,NOTICE,Past due notice,EmailSend,4,yes\n\
US01,CALL1,First collection call,Phone,3,yes\n\
US01,ESC,Escalate to credit manager,Phone,1,no\n\
US01,REVIEW,Credit limit review,AcctNote,6,no\n";

const RULES: &str = "company_id,credit_class,seq_no,action_code,view,filter,standalone,auto_close,days_to_respond,override_user,followup_days\n\
US01,STANDARD,10,REMIND,invoice,\"tran_type == \"\"IN\"\" && balance > 0 && due_date_days == -3\",,,,,\n\
US01,STANDARD,20,NOTICE,invoice,due_date_days >= 1 && due_date_days < 5,,,,,\n\
US01,STANDARD,30,CALL1,customer,total_past_due > 500 && over_30 > 0 && !credit_hold,,yes,1,,2\n\
US01,STANDARD,70,ESC,customer,over_60 > 0,,,,mgr.lee,\n\
US01,STANDARD,90,REVIEW,customer,available_credit < 0,yes,,,,\n\
US01,KEY,10,CALL1,customer,total_past_due > 0,,,,,\n";

const CUSTOMERS: &str = "company_id,customer_id,name,credit_class,credit_limit,assigned_user,days_to_respond\n\
US01,C1,Acme,,,c.okafor,\n\
US01,C2,Bolt,,1000,c.okafor,\n\
US01,C3,Crane,STANDARD,,c.okafor,4\n\
US01,C4,Delta,,,,\n\
US01,C5,Echo,KEY,,,\n";

const INVOICES: &str = "company_id,customer_id,tran_id,tran_type,tran_date,due_date,amount,balance\n\
US01,C1,I1,IN,2015-02-14,2015-03-16,1000,1000\n\
US01,C2,I2,IN,2015-01-02,2015-02-01,2000,2000\n\
US01,C2,I3,IN,2015-02-08,2015-03-10,300,300\n\
US01,C3,I4,IN,2014-11-01,2014-12-01,5000,5000\n\
US01,C4,I6,IN,2015-01-01,2015-01-31,700,0\n\
US01,C5,I5,IN,2015-01-30,2015-03-01,100,100\n";

/// Friday 13 March 2015.
const FRIDAY: &str = "2015-03-13";

fn setup(db: &TestDb) {
    setup_with_classes(db, CLASSES);
}

fn setup_with_classes(db: &TestDb, classes: &str) {
    db.import(
        "book",
        &[
            ("companies.csv", COMPANIES),
            ("users.csv", USERS),
            ("credit_classes.csv", classes),
            ("action_codes.csv", CODES),
            ("rules.csv", RULES),
            ("customers.csv", CUSTOMERS),
            ("invoices.csv", INVOICES),
        ],
        FRIDAY,
    );
}

fn generate(db: &TestDb, as_of: &str, extra: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["actions", "generate", "--as-of", as_of, "--format", "json"];
    args.extend_from_slice(extra);
    let out = db.ok(&args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}"))
}

/// A change as one line: `create C1 STANDARD 10 REMIND c.okafor 2015-03-13 2015-03-17 I1`.
fn line(c: &serde_json::Value) -> String {
    let tagged: Vec<String> = c["tagged"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect();
    let user = field(c, "user_id");
    format!(
        "{} {} {} {} {} {} {} {} {}",
        field(c, "change"),
        field(c, "customer_id"),
        field(c, "credit_class"),
        field(c, "seq_no"),
        field(c, "action_code"),
        if user.is_empty() { "-" } else { &user },
        field(c, "start_date"),
        field(c, "respond_by"),
        tagged.join(",")
    )
    .trim_end()
    .to_owned()
}

fn lines(changes: &[serde_json::Value]) -> Vec<String> {
    changes.iter().map(line).collect()
}

#[test]
fn generate_follows_the_ladder_the_calendar_and_the_precedence_of_days() {
    let db = TestDb::new();
    setup(&db);
    let changes = generate(&db, FRIDAY, &[]);
    assert_eq!(
        lines(&changes),
        [
            // Invoice view: the invoice due in 3 days is tagged; the class gives 2 days.
            "create C1 STANDARD 10 REMIND c.okafor 2015-03-13 2015-03-17 I1",
            // Rules 20 and 30 match: only the higher rung applies; its own 1 day wins.
            "create C2 STANDARD 30 CALL1 c.okafor 2015-03-13 2015-03-16",
            // A standalone rule applies beside the ladder.
            "create C2 STANDARD 90 REVIEW c.okafor 2015-03-13 2015-03-17",
            // Escalation to the override user; the customer's 4 days to respond.
            "create C3 STANDARD 70 ESC mgr.lee 2015-03-13 2015-03-19",
            // No assigned user: the unassigned pool; the site's 3 days.
            "create C5 KEY 10 CALL1 - 2015-03-13 2015-03-18",
        ]
    );
    let keys: Vec<&str> = changes[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = [
        "change",
        "company_id",
        "customer_id",
        "credit_class",
        "seq_no",
        "action_code",
        "user_id",
        "start_date",
        "respond_by",
        "tagged",
    ];
    expected.sort_unstable();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(keys, expected);
    assert!(
        generate(&db, FRIDAY, &[]).is_empty(),
        "a second run creates nothing"
    );
}

#[test]
fn preview_prints_what_generate_then_does_and_writes_nothing() {
    let db = TestDb::new();
    setup(&db);
    let args = ["actions", "generate", "--as-of", FRIDAY, "--format", "csv"];
    let preview = db.arrears(&[&args[..], &["--preview"]].concat());
    assert!(preview.status.success());
    let stderr = String::from_utf8_lossy(&preview.stderr);
    assert!(
        stderr.contains("preview 2015-03-13: would create 5, close 0; nothing written"),
        "{stderr}"
    );
    let queue = db.ok(&["actions", "list", "--format", "csv"]);
    assert_eq!(queue.lines().count(), 1, "preview wrote nothing: {queue}");
    assert!(
        db.ok(&["actions", "runs", "--format", "csv"])
            .lines()
            .count()
            == 1
    );
    let done = db.arrears(&args);
    assert_eq!(
        String::from_utf8_lossy(&preview.stdout),
        String::from_utf8_lossy(&done.stdout)
    );
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(
        stderr.contains("generate 2015-03-13: 5 created, 0 closed, 0 error(s) (run 1)"),
        "{stderr}"
    );
    let csv = String::from_utf8_lossy(&done.stdout);
    assert!(
        csv.contains("create,US01,C2,STANDARD,30,CALL1,c.okafor,2015-03-13,2015-03-16,,\"total_past_due 2,300.00 > 500; over_30 2,000.00 > 0\""),
        "{csv}"
    );
}

#[test]
fn the_work_queue_is_ordered_by_priority_then_respond_by() {
    let db = TestDb::new();
    setup(&db);
    generate(&db, FRIDAY, &[]);
    let queue = db.ok(&["actions", "list", "--open", "--format", "csv"]);
    let rows: Vec<Vec<&str>> = queue
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let summary: Vec<String> = rows
        .iter()
        .map(|r| format!("{} {} {} {}", r[1], r[2], r[5], r[8]))
        .collect();
    assert_eq!(
        summary,
        [
            "1 2015-03-19 C3 ESC",
            "3 2015-03-16 C2 CALL1",
            "3 2015-03-18 C5 CALL1",
            "5 2015-03-17 C1 REMIND",
            "6 2015-03-17 C2 REVIEW",
        ]
    );
    let mine = db.ok(&["actions", "list", "--user", "c.okafor", "--format", "csv"]);
    assert_eq!(mine.lines().count(), 4, "{mine}");
    let pool = db.ok(&["actions", "list", "--unassigned", "--format", "csv"]);
    assert_eq!(pool.lines().count(), 2, "{pool}");
    assert!(
        pool.lines().nth(1).is_some_and(|l| l.contains(",C5,")),
        "{pool}"
    );
    let header: Vec<&str> = queue.lines().next().unwrap().split(',').collect();
    let tagged = header.iter().position(|h| *h == "tagged_amount").unwrap();
    let remind = queue.lines().find(|l| l.contains(",REMIND,")).unwrap();
    assert_eq!(remind.split(',').nth(tagged), Some("1000.00"), "{remind}");
}

#[test]
fn auto_close_and_contact_frequency_over_three_days() {
    let db = TestDb::new();
    setup(&db);
    generate(&db, FRIDAY, &[]);
    // Saturday: C1 has a new invoice two days late; C1 was emailed yesterday and its class
    // allows a contact every 3 days, so the notice starts on Monday.
    db.import(
        "saturday",
        &[(
            "invoices.csv",
            "company_id,customer_id,tran_id,tran_type,tran_date,due_date,amount,balance\n\
             US01,C1,I7,IN,2015-02-10,2015-03-12,50,50\n",
        )],
        "2015-03-14",
    );
    assert_eq!(
        lines(&generate(&db, "2015-03-14", &[])),
        ["create C1 STANDARD 20 NOTICE c.okafor 2015-03-16 2015-03-18 I7"]
    );
    // Monday: C2 paid both invoices; its first call closes on its own, its review stays.
    db.import(
        "monday",
        &[
            (
                "invoices.csv",
                "company_id,customer_id,tran_id,tran_type,tran_date,due_date,amount,balance\n\
                 US01,C2,I2,IN,2015-01-02,2015-02-01,2000,0\n\
                 US01,C2,I3,IN,2015-02-08,2015-03-10,300,0\n",
            ),
            (
                "payments.csv",
                "company_id,customer_id,payment_id,payment_date,amount\nUS01,C2,P1,2015-03-15,2300\n",
            ),
            (
                "payment_applications.csv",
                "company_id,payment_id,tran_id,amount\nUS01,P1,I2,2000\nUS01,P1,I3,300\n",
            ),
        ],
        "2015-03-16",
    );
    assert_eq!(
        lines(&generate(&db, "2015-03-16", &[])),
        ["close C2 STANDARD 30 CALL1 c.okafor 2015-03-13 2015-03-16"]
    );
    let all = db.ok(&["actions", "list", "--format", "csv"]);
    let closed = all
        .lines()
        .find(|l| l.contains(",CALL1,") && l.contains(",C2,"))
        .unwrap();
    assert!(closed.contains(",closed,"), "{closed}");
    let open = db.ok(&["actions", "list", "--open", "--format", "csv"]);
    assert!(
        !open
            .lines()
            .any(|l| l.contains(",C2,") && l.contains(",CALL1,")),
        "{open}"
    );
    assert_eq!(open.lines().count(), 6, "{open}");
    let runs = db.ok(&["actions", "runs", "--format", "csv"]);
    let counts: Vec<String> = runs
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            format!("{} {} {}", f[1], f[7], f[8])
        })
        .collect();
    assert_eq!(
        counts,
        ["2015-03-16 0 1", "2015-03-14 1 0", "2015-03-13 5 0"]
    );
    // Closing the call completed its activity: Tuesday, a rule on the last activity sees it.
    db.import(
        "tuesday",
        &[(
            "rules.csv",
            "company_id,credit_class,seq_no,action_code,view,filter,standalone\n\
             US01,STANDARD,95,REVIEW,customer,\
             last_activity_code == \"CALL1\" && last_activity_days == 1 && open_issue_cnt == 1,yes\n",
        )],
        "2015-03-17",
    );
    assert_eq!(
        lines(&generate(&db, "2015-03-17", &[])),
        ["create C2 STANDARD 95 REVIEW c.okafor 2015-03-17 2015-03-19"]
    );
}

#[test]
fn one_credit_class_at_a_time() {
    let db = TestDb::new();
    setup(&db);
    assert_eq!(
        lines(&generate(&db, FRIDAY, &["--credit-class", "KEY"])),
        ["create C5 KEY 10 CALL1 - 2015-03-13 2015-03-18"]
    );
    assert_eq!(generate(&db, FRIDAY, &[]).len(), 4);
    let err = db.fails(&[
        "actions",
        "generate",
        "--credit-class",
        "GOLD",
        "--as-of",
        FRIDAY,
    ]);
    assert!(
        err.contains("--credit-class: no credit class \"GOLD\" in the store"),
        "{err}"
    );
    let err = db.fails(&[
        "actions",
        "generate",
        "--company",
        "EU99",
        "--as-of",
        FRIDAY,
    ]);
    assert!(
        err.contains("--company: no company \"EU99\" in the store"),
        "{err}"
    );
    assert!(generate(&db, FRIDAY, &["--company", "US01"]).is_empty());
}

#[test]
fn a_rule_failing_for_one_customer_is_logged_and_the_others_run() {
    let db = TestDb::new();
    setup(&db);
    db.import(
        "ratio",
        &[(
            "rules.csv",
            "company_id,credit_class,seq_no,action_code,view,filter,standalone\n\
             US01,STANDARD,95,REVIEW,customer,over_30 / total_age > 0.5,yes\n",
        )],
        FRIDAY,
    );
    let out = db.arrears(&["actions", "generate", "--as-of", FRIDAY, "--format", "csv"]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("customer US01 C4: rule STANDARD 95: filter column 11: division by zero"),
        "{stderr}"
    );
    assert!(
        stderr.contains("7 created, 0 closed, 1 error(s)"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("create,US01,C3,STANDARD,95,REVIEW"),
        "{stdout}"
    );
    let runs = db.ok(&["actions", "runs", "--errors", "--format", "csv"]);
    assert!(
        runs.contains(
            "run 1: customer US01 C4: rule STANDARD 95: filter column 11: division by zero"
        ),
        "{runs}"
    );
}

#[test]
fn explain_shows_each_rule_its_values_and_the_decision() {
    let db = TestDb::new();
    setup(&db);
    let out = db.ok(&["rules", "explain", "US01", "C2", "--as-of", FRIDAY]);
    for expected in [
        "US01 C2: credit class STANDARD, as of 2015-03-13",
        "rule 10 REMIND (invoice view): does not match",
        "  I2: due_date_days 40 == -3: no",
        "rule 20 NOTICE (invoice view): matches, but rule 30 is higher on the ladder",
        "  tagged: I3 (300.00)",
        "rule 30 CALL1 (customer view): applies: generate creates an issue",
        "  total_past_due 2,300.00 > 500: yes",
        "  over_30 2,000.00 > 0: yes",
        "rule 70 ESC (customer view): does not match",
        "  over_60 0.00 > 0: no",
        "rule 90 REVIEW (customer view, standalone): applies: generate creates an issue",
    ] {
        assert!(out.contains(expected), "{expected}\n{out}");
    }
    generate(&db, FRIDAY, &[]);
    let after = db.ok(&["rules", "explain", "US01", "C2", "--as-of", FRIDAY]);
    assert!(
        after.contains("rule 30 CALL1 (customer view): applies; an issue by this rule was already created on 2015-03-13"),
        "{after}"
    );
    let monday = db.ok(&["rules", "explain", "US01", "C2", "--as-of", "2015-03-16"]);
    assert!(
        monday
            .contains("rule 30 CALL1 (customer view): applies; issue 2 by this rule is still open"),
        "{monday}"
    );
    let none = db.ok(&["rules", "explain", "US01", "C4", "--as-of", FRIDAY]);
    assert!(
        none.contains("rule 30 CALL1 (customer view): does not match"),
        "{none}"
    );
    let err = db.fails(&["rules", "explain", "US01", "C9"]);
    assert!(
        err.contains("no customer \"C9\" in company \"US01\""),
        "{err}"
    );
}

#[test]
fn issues_keep_the_reason_and_the_tagged_amount() {
    let db = TestDb::new();
    setup(&db);
    generate(&db, FRIDAY, &[]);
    let queue = db.ok(&["actions", "list", "--format", "json"]);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&queue).unwrap();
    let call = rows
        .iter()
        .find(|r| field(r, "action_code") == "CALL1" && field(r, "customer_id") == "C2")
        .unwrap();
    assert_eq!(field(call, "subject"), "First collection call");
    assert_eq!(field(call, "activity_type"), "Phone");
    assert_eq!(field(call, "followup_date"), "2015-03-17");
    assert_eq!(
        field(call, "reason"),
        "total_past_due 2,300.00 > 500; over_30 2,000.00 > 0"
    );
    let remind = rows
        .iter()
        .find(|r| field(r, "action_code") == "REMIND")
        .unwrap();
    assert_eq!(field(remind, "tagged"), "1");
    assert_eq!(
        field(remind, "reason"),
        "I1: tran_type \"IN\" == \"IN\"; balance 1,000.00 > 0; due_date_days -3 == -3"
    );
}

#[test]
fn schedules_run_once_per_due_date_even_across_restarts() {
    let db = TestDb::new();
    setup_with_classes(
        &db,
        "company_id,credit_class,description,contact_frequency_days,days_to_respond,schedule,schedule_time\n\
         US01,STANDARD,Standard terms,3,2,\"Mon,Thu\",07:00\n\
         US01,KEY,Key accounts,,,daily,\n",
    );
    // Friday 06:30: KEY's daily 06:00 run is due; STANDARD's latest is Thursday 07:00, when
    // C1's invoice was not yet due in 3 days.
    let out = db.ok(&["run-schedules", "--now", "2015-03-13 06:30"]);
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "schedule US01 KEY 2015-03-13: 1 created, 0 closed, 0 error(s) (run 1)",
            "schedule US01 STANDARD 2015-03-12: 3 created, 0 closed, 0 error(s) (run 2)",
        ]
    );
    // Another process, later the same morning: nothing is due twice.
    let again = db.ok(&["run-schedules", "--now", "2015-03-13 09:00"]);
    assert_eq!(again.trim(), "no schedule due at 2015-03-13 09:00");
    // Saturday: only KEY runs again.
    let saturday = db.ok(&["run-schedules", "--now", "2015-03-14 06:00"]);
    assert_eq!(
        saturday.trim(),
        "schedule US01 KEY 2015-03-14: 0 created, 0 closed, 0 error(s) (run 3)"
    );
    let runs = db.ok(&["actions", "runs", "--format", "csv"]);
    let logged: Vec<String> = runs
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            format!("{} {} {} {} {}", f[1], f[2], f[3], f[4], f[7])
        })
        .collect();
    assert_eq!(
        logged,
        [
            "2015-03-14 US01 KEY schedule 0",
            "2015-03-12 US01 STANDARD schedule 3",
            "2015-03-13 US01 KEY schedule 1",
        ]
    );
    let err = db.fails(&["run-schedules", "--now", "tomorrow"]);
    assert!(
        err.contains("not a moment \"tomorrow\", expected YYYY-MM-DD HH:MM"),
        "{err}"
    );
}

#[test]
fn schedules_are_checked_at_import() {
    let db = TestDb::new();
    let dir = db.folder(
        "bad",
        &[
            ("companies.csv", COMPANIES),
            (
                "credit_classes.csv",
                "company_id,credit_class,description,schedule,schedule_time\n\
                 US01,STANDARD,Standard,weekly,\n\
                 US01,KEY,Key,daily,25:00\n\
                 US01,SMALL,Small,,08:00\n",
            ),
        ],
    );
    let err = db.fails(&["import", common::path(&dir)]);
    for expected in [
        "credit_classes.csv:2: schedule: \"weekly\" is not a day of the week; write daily, or days such as Mon,Thu",
        "credit_classes.csv:3: schedule_time: not a time \"25:00\", expected HH:MM such as 06:30",
        "credit_classes.csv:4: schedule_time: a time needs a schedule",
    ] {
        assert!(err.contains(expected), "{expected}\n{err}");
    }
}

/// Replaces the rules of the test book by `rules` (the same header as [`RULES`]).
fn with_rules(db: &TestDb, rules: &str) {
    db.import(
        "book",
        &[
            ("companies.csv", COMPANIES),
            ("users.csv", USERS),
            ("credit_classes.csv", CLASSES),
            ("action_codes.csv", CODES),
            ("rules.csv", rules),
            ("customers.csv", CUSTOMERS),
            ("invoices.csv", INVOICES),
        ],
        FRIDAY,
    );
}

#[test]
fn create_if_exists_creates_again_but_never_twice_a_day() {
    let db = TestDb::new();
    with_rules(
        &db,
        "company_id,credit_class,seq_no,action_code,view,filter,create_if_exists\n\
         US01,STANDARD,70,ESC,customer,over_60 > 0,yes\n\
         US01,STANDARD,75,ESC,customer,over_90 > 0,no\n",
    );
    assert_eq!(
        lines(&generate(&db, FRIDAY, &[])),
        ["create C3 STANDARD 75 ESC c.okafor 2015-03-13 2015-03-19"]
    );
    // Rule 75 is higher on the ladder; with it gone, 70 applies on Monday.
    with_rules(
        &db,
        "company_id,credit_class,seq_no,action_code,view,filter,create_if_exists,active\n\
         US01,STANDARD,70,ESC,customer,over_60 > 0,yes,\n\
         US01,STANDARD,75,ESC,customer,over_90 > 0,no,false\n",
    );
    assert_eq!(
        lines(&generate(&db, "2015-03-16", &[])),
        ["create C3 STANDARD 70 ESC c.okafor 2015-03-16 2015-03-20"]
    );
    // Tuesday: rule 70's issue is still open, and it is created again all the same.
    assert_eq!(
        lines(&generate(&db, "2015-03-17", &[])),
        ["create C3 STANDARD 70 ESC c.okafor 2015-03-17 2015-03-23"]
    );
    assert!(
        generate(&db, "2015-03-17", &[]).is_empty(),
        "never twice the same day"
    );
}

#[test]
fn follow_ups_go_to_the_follow_up_user_or_the_assigned_one() {
    let db = TestDb::new();
    with_rules(
        &db,
        "company_id,credit_class,seq_no,action_code,view,filter,followup_days,followup_user\n\
         US01,STANDARD,30,CALL1,customer,over_30 > 0,3,mgr.lee\n\
         US01,KEY,10,CALL1,customer,total_past_due > 0,0,\n",
    );
    generate(&db, FRIDAY, &[]);
    let queue = db.ok(&["actions", "list", "--format", "json"]);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&queue).unwrap();
    let c3 = rows
        .iter()
        .find(|r| field(r, "customer_id") == "C3")
        .unwrap();
    assert_eq!(field(c3, "followup_date"), "2015-03-18");
    let c5 = rows
        .iter()
        .find(|r| field(r, "customer_id") == "C5")
        .unwrap();
    assert_eq!(field(c5, "followup_date"), "2015-03-13");
    assert_eq!(rows.len(), 3, "C2 and C3 in STANDARD, C5 in KEY: {queue}");
}

#[test]
fn rules_read_the_customer_texts_they_name_in_either_view() {
    // A run reads only the customer texts its rules name: each of these must arrive, and the
    // reason written on the issue shows the text it read.
    let db = TestDb::new();
    with_rules(
        &db,
        "company_id,credit_class,seq_no,action_code,view,filter,standalone\n\
         US01,STANDARD,10,REMIND,customer,\"customer_class == \"\"DEALER\"\"\",yes\n\
         US01,STANDARD,20,NOTICE,invoice,\"balance > 0 && customer.status == \"\"HOLD\"\"\",yes\n",
    );
    db.import(
        "texts",
        &[(
            "customers.csv",
            "company_id,customer_id,name,customer_class,status,addr_line1\n\
             US01,C1,Acme,DEALER,OK,1 Main St\n\
             US01,C2,Bolt,RETAIL,HOLD,2 Main St\n\
             US01,C3,Crane,,HOLD,\n",
        )],
        FRIDAY,
    );
    assert_eq!(
        lines(&generate(&db, FRIDAY, &[])),
        [
            "create C1 STANDARD 10 REMIND - 2015-03-13 2015-03-17",
            "create C2 STANDARD 20 NOTICE - 2015-03-13 2015-03-17 I2,I3",
            "create C3 STANDARD 20 NOTICE - 2015-03-13 2015-03-17 I4",
        ]
    );
    // In CSV, a quote inside a field is doubled.
    let queue = db.ok(&["actions", "list", "--format", "csv"]);
    assert!(
        queue.contains(r#"customer_class ""DEALER"" == ""DEALER"""#),
        "{queue}"
    );
    assert!(
        queue.contains(r#"I2: balance 2,000.00 > 0; customer.status ""HOLD"" == ""HOLD"""#),
        "{queue}"
    );
}

#[test]
fn close_when_paid_closes_the_issues_of_customers_with_nothing_to_pay() {
    let db = TestDb::new();
    with_rules(
        &db,
        "company_id,credit_class,seq_no,action_code,view,filter,standalone\n\
         US01,STANDARD,90,REVIEW,customer,customer_class == null,yes\n",
    );
    assert_eq!(
        generate(&db, FRIDAY, &[]).len(),
        4,
        "C1 to C4 have no class"
    );
    assert_eq!(
        db.ok(&["settings", "get", "close_when_paid"]).trim(),
        "false"
    );
    // The rule still applies to C4, which owes nothing: its issue stays.
    db.ok(&["settings", "set", "close_when_paid", "true"]);
    assert!(generate(&db, "2015-03-16", &[]).is_empty());
    // With the rule gone, C4's issue closes because C4 owes nothing; the others stay.
    with_rules(
        &db,
        "company_id,credit_class,seq_no,action_code,view,filter,standalone,active\n\
         US01,STANDARD,90,REVIEW,customer,customer_class == null,yes,false\n",
    );
    assert_eq!(
        lines(&generate(&db, "2015-03-17", &[])),
        ["close C4 STANDARD 90 REVIEW - 2015-03-13 2015-03-17"]
    );
    let err = db.fails(&["settings", "set", "close_when_paid", "maybe"]);
    assert!(
        err.contains("setting close_when_paid: \"maybe\" is not true or false"),
        "{err}"
    );
}

#[test]
fn respond_by_follows_the_calendar_as_the_glossary_counts() {
    /// The book, with C5 owing an invoice already late on 2015-01-09.
    fn late_in_january(db: &TestDb) {
        setup(db);
        db.import(
            "january",
            &[(
                "invoices.csv",
                "company_id,customer_id,tran_id,tran_type,tran_date,due_date,amount,balance\n\
                 US01,C5,I8,IN,2014-12-02,2015-01-01,80,80\n",
            )],
            "2015-01-09",
        );
    }
    let db = TestDb::new();
    late_in_january(&db);
    // Every day a working day: an action of 2015-01-09 with 3 days to respond (the site's,
    // for class KEY) is past due on 2015-01-12.
    db.ok(&["settings", "set", "days_off", "none"]);
    assert_eq!(
        lines(&generate(&db, "2015-01-09", &["--credit-class", "KEY"])),
        ["create C5 KEY 10 CALL1 - 2015-01-09 2015-01-12"]
    );
    // A day off in the calendar pushes it on by a day.
    let db = TestDb::new();
    late_in_january(&db);
    db.ok(&["settings", "set", "days_off", "none"]);
    db.import(
        "holiday",
        &[(
            "calendar.csv",
            "company_id,date,description\nUS01,2015-01-10,Stocktaking\n",
        )],
        "2015-01-09",
    );
    assert_eq!(
        lines(&generate(&db, "2015-01-09", &["--credit-class", "KEY"])),
        ["create C5 KEY 10 CALL1 - 2015-01-09 2015-01-13"]
    );
}

/// Hundreds of customers of two credit classes share the store's item pages, so the rules run
/// over pages whose customers (and their open items) belong to either class, and over
/// customers without items: each customer gets what its own class's rules say, and its own
/// invoices are tagged.
#[test]
fn each_customer_of_a_mixed_page_gets_its_own_class_rules() {
    let db = TestDb::new();
    let rules = "company_id,credit_class,seq_no,action_code,view,filter\n\
         US01,STANDARD,10,NOTICE,invoice,due_date_days >= 1 && balance > 2000\n\
         US01,STANDARD,20,CALL1,customer,total_past_due > 4000\n\
         US01,KEY,10,REVIEW,invoice,balance >= 500 && due_date_days < 0\n\
         US01,KEY,20,ESC,customer,total_past_due > 5000\n";
    let class = |n: u32| {
        if n.is_multiple_of(3) {
            "KEY"
        } else {
            "STANDARD"
        }
    };
    let mut customers = String::from("company_id,customer_id,name,credit_class\n");
    let mut invoices = String::from(
        "company_id,customer_id,tran_id,tran_type,tran_date,due_date,amount,balance\n",
    );
    for n in 1..=610 {
        customers.push_str(&format!("US01,C{n:03},Customer {n},{}\n", class(n)));
        // The last ten have no items.
        if n <= 600 {
            let late = n * 10;
            invoices.push_str(&format!(
                "US01,C{n:03},I{n:03}A,IN,2015-02-01,2015-03-01,{late},{late}\n\
                 US01,C{n:03},I{n:03}B,IN,2015-02-20,2015-03-20,500,500\n"
            ));
        }
    }
    db.import(
        "mixed",
        &[
            ("companies.csv", COMPANIES),
            ("users.csv", USERS),
            ("credit_classes.csv", CLASSES),
            ("action_codes.csv", CODES),
            ("rules.csv", rules),
            ("customers.csv", &customers),
            ("invoices.csv", &invoices),
        ],
        FRIDAY,
    );
    let got: Vec<String> = generate(&db, FRIDAY, &["--preview"])
        .iter()
        .map(|c| {
            let tagged: Vec<&str> = c["tagged"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap())
                .collect();
            format!(
                "{} {} {} {} {}",
                field(c, "customer_id"),
                field(c, "credit_class"),
                field(c, "seq_no"),
                field(c, "action_code"),
                tagged.join(",")
            )
            .trim_end()
            .to_owned()
        })
        .collect();
    // The highest matching rung of each customer's own class: past due is n × 10 (the A
    // invoice, 12 days late); the B invoice is not yet due.
    let expected: Vec<String> = (1..=600)
        .filter_map(|n: u32| match class(n) {
            "KEY" if n * 10 > 5000 => Some(format!("C{n:03} KEY 20 ESC")),
            "KEY" => Some(format!("C{n:03} KEY 10 REVIEW I{n:03}B")),
            _ if n * 10 > 4000 => Some(format!("C{n:03} STANDARD 20 CALL1")),
            _ if n * 10 > 2000 => Some(format!("C{n:03} STANDARD 10 NOTICE I{n:03}A")),
            _ => None,
        })
        .collect();
    assert_eq!(got, expected);
}

/// Issues of the store as `(issue_id, company_id, customer_id)`, by id.
fn issue_ids(db: &TestDb) -> Vec<(i64, String, String)> {
    let out = db.ok(&["actions", "list", "--format", "json"]);
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}"));
    let mut ids: Vec<(i64, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["issue_id"].as_i64().unwrap(),
                r["company_id"].as_str().unwrap().to_owned(),
                r["customer_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    ids.sort();
    ids
}

/// Whether ids follow the customers' order.
fn in_customer_order(issues: &[(i64, String, String)]) -> bool {
    issues
        .windows(2)
        .all(|w| (&w[0].1, &w[0].2) <= (&w[1].1, &w[1].2))
}

/// A run over more customers than a worker decides at a time: the batches are decided on both
/// cores in whatever order they finish and written as they come, in the customers' order, so
/// issue ids follow that order across batches; a preview prints what the run then does.
#[test]
fn a_run_over_many_batches_numbers_its_issues_in_customer_order() {
    let db = TestDb::new();
    // Five batches of 1,024 customers: most customers get an issue on the first day.
    db.ok(&["demo", "--customers", "5000", "--as-of", "2026-11-24"]);
    let first = issue_ids(&db);
    let customers: std::collections::HashSet<_> = first.iter().map(|i| &i.2).collect();
    assert!(
        customers.len() > 3000,
        "{} customers with issues",
        customers.len()
    );
    assert!(in_customer_order(&first));

    let preview = generate(&db, "2026-12-04", &["--preview"]);
    let run = generate(&db, "2026-12-04", &[]);
    assert_eq!(lines(&preview), lines(&run));
    let created = run
        .iter()
        .filter(|c| field(c, "change") == "create")
        .count();
    assert!(created > 100, "{created} created");
    let last = first.last().map_or(0, |i| i.0);
    let second: Vec<_> = issue_ids(&db).into_iter().filter(|i| i.0 > last).collect();
    assert_eq!(second.len(), created);
    assert_eq!(second.first().map(|i| i.0), Some(last + 1));
    assert!(in_customer_order(&second));
    assert!(generate(&db, "2026-12-04", &[]).is_empty());
}

/// A run that cannot read the book stops with one line saying why, and writes nothing: the
/// run's transaction, opened before its customers are decided, is rolled back whole.
#[test]
fn a_run_that_fails_writes_nothing() {
    let db = TestDb::new();
    setup(&db);
    let cut = db
        .execute("UPDATE item_pages SET data = SUBSTR(data, 1, LENGTH(data) - 1)")
        .expect("cut the pages");
    assert!(cut > 0);
    for extra in [&["--preview"][..], &[]] {
        let mut args = vec!["actions", "generate", "--as-of", FRIDAY];
        args.extend_from_slice(extra);
        let stderr = db.fails(&args);
        assert!(stderr.contains("item page ends early"), "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    }
    let queue = db.ok(&["actions", "list", "--format", "csv"]);
    assert_eq!(queue.lines().count(), 1, "no issue: {queue}");
    let runs = db.ok(&["actions", "runs", "--format", "csv"]);
    assert_eq!(runs.lines().count(), 1, "no run: {runs}");
}
