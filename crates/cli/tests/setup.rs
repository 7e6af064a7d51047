//! The setup files of section 4 (credit classes, activity types, action codes, reason codes,
//! rules, the calendar) through `arrears import`, and `arrears rules list`.

mod common;

use common::{SETUP_CLASSES as CLASSES, SETUP_COMPANIES as COMPANIES, SETUP_USERS as USERS};
use common::{TestDb, path};

const TYPES: &str = "company_id,activity_type,base_type,description,procedures\n\
US01,Escalation,phone,Call to the credit manager,\"Check the hold, then call.\"\n";

const CODES: &str = "company_id,action_code,description,activity_type,priority,customer_contact\n\
US01,REMIND,Payment reminder,EmailSend,5,yes\n\
US01,CALL1,First collection call,Phone,3,true\n\
US01,ESC,Escalate to credit manager,Escalation,1,\n";

const REASONS: &str = "company_id,reason_code,description,severity\n\
US01,PRICE,Wrong price,2\n\
US01,SHIP,Not delivered,1\n";

const RULES: &str = "company_id,credit_class,seq_no,action_code,view,filter,standalone,auto_close,days_to_respond,override_user,followup_days\n\
US01,STANDARD,10,REMIND,invoice,\"tran_type == \"\"IN\"\" && balance > 0 && due_date_days == -3\",,,,,\n\
US01,STANDARD,30,CALL1,customer,total_past_due > 500 && over_30 > 0 && !credit_hold,no,yes,1,,2\n\
US01,STANDARD,70,ESC,customer,over_60 > 0,,,,mgr.lee,\n";

const CALENDAR: &str = "company_id,date,description\n\
US01,2015-12-25,Christmas Day\n\
US01,2016-01-01,New Year's Day\n";

fn setup_files() -> Vec<(&'static str, &'static str)> {
    vec![
        ("companies.csv", COMPANIES),
        ("users.csv", USERS),
        ("credit_classes.csv", CLASSES),
        ("activity_types.csv", TYPES),
        ("action_codes.csv", CODES),
        ("reason_codes.csv", REASONS),
        ("rules.csv", RULES),
        ("calendar.csv", CALENDAR),
    ]
}

/// A folder of the setup files with one of them replaced.
fn with(file: &'static str, content: &'static str) -> Vec<(&'static str, &'static str)> {
    let mut files = setup_files();
    for f in &mut files {
        if f.0 == file {
            f.1 = content;
        }
    }
    files
}

/// Imports a folder expected to fail; gives its problems and checks nothing was written.
fn problems(db: &TestDb, files: &[(&str, &str)]) -> String {
    let dir = db.folder("bad", files);
    let err = db.fails(&["import", path(&dir), "--as-of", "2015-03-15"]);
    let rules = db.ok(&["rules", "list", "--format", "csv"]);
    assert_eq!(rules.lines().count(), 1, "nothing written: {rules}");
    err
}

#[test]
fn setup_files_import_and_list() {
    let db = TestDb::new();
    let summary = db.import("setup", &setup_files(), "2015-03-15");
    for expected in [
        "credit_classes.csv 2 rows (2 new",
        "activity_types.csv 1 rows (1 new",
        "action_codes.csv 3 rows (3 new",
        "reason_codes.csv 2 rows (2 new",
        "rules.csv 3 rows (3 new",
        "calendar.csv 2 rows (2 new",
    ] {
        assert!(summary.contains(expected), "{expected}: {summary}");
    }
    let rules = db.ok(&["rules", "list", "--format", "csv"]);
    let lines: Vec<&str> = rules.lines().collect();
    assert_eq!(
        lines[0],
        "company_id,credit_class,seq_no,action_code,view,filter,standalone,create_if_exists,\
         auto_close,days_to_respond,override_user,followup_days,followup_user,active"
    );
    assert_eq!(
        lines[1],
        "US01,STANDARD,10,REMIND,invoice,\"tran_type == \"\"IN\"\" && balance > 0 && due_date_days == -3\",false,false,false,,,,,true"
    );
    assert_eq!(
        lines[2],
        "US01,STANDARD,30,CALL1,customer,total_past_due > 500 && over_30 > 0 && !credit_hold,false,false,true,1,,2,,true"
    );
    assert_eq!(
        lines[3],
        "US01,STANDARD,70,ESC,customer,over_60 > 0,false,false,false,,mgr.lee,,,true"
    );
    let one = db.ok(&["rules", "list", "--credit-class", "KEY", "--format", "csv"]);
    assert_eq!(one.lines().count(), 1, "{one}");
}

#[test]
fn importing_the_setup_twice_changes_nothing() {
    let db = TestDb::new();
    db.import("setup", &setup_files(), "2015-03-15");
    let again = db.import("again", &setup_files(), "2015-03-16");
    for file in [
        "credit_classes.csv 2",
        "rules.csv 3",
        "calendar.csv 2",
        "action_codes.csv 3",
    ] {
        let expected = format!("{file} rows (0 new, 0 changed, ");
        assert!(again.contains(&expected), "{expected}: {again}");
    }
}

#[test]
fn rules_may_refer_to_setup_already_in_the_store() {
    let db = TestDb::new();
    db.import("setup", &setup_files(), "2015-03-15");
    let summary = db.import(
        "more",
        &[(
            "rules.csv",
            "company_id,credit_class,seq_no,action_code,view,filter\n\
             US01,KEY,10,CALL1,customer,total_past_due > 0\n\
             US01,STANDARD,30,CALL1,customer,total_past_due > 1000\n",
        )],
        "2015-03-16",
    );
    assert!(
        summary.contains("rules.csv 2 rows (1 new, 1 changed, 0 unchanged)"),
        "{summary}"
    );
    let rules = db.ok(&["rules", "list", "--format", "csv", "--company", "US01"]);
    assert!(
        rules.contains("US01,STANDARD,30,CALL1,customer,total_past_due > 1000,"),
        "{rules}"
    );
    assert_eq!(rules.lines().count(), 5, "{rules}");
}

#[test]
fn bad_filters_are_rejected_with_the_place_and_the_nearest_name() {
    let db = TestDb::new();
    let rules = "company_id,credit_class,seq_no,action_code,view,filter\n\
        US01,STANDARD,10,CALL1,customer,total_pastdue > 500\n\
        US01,STANDARD,20,CALL1,customer,over_30 > 0 && name > 5\n\
        US01,STANDARD,30,CALL1,customer,over_30 = 0\n\
        US01,STANDARD,40,CALL1,invoice,tran_type == \"IN\" && customer.credit_hld\n\
        US01,STANDARD,50,CALL1,customer,total_age\n\
        US01,STANDARD,60,CALL1,customer,tran_type == \"IN\"\n";
    let err = problems(&db, &with("rules.csv", rules));
    for expected in [
        "rules.csv:2: filter: column 1: unknown field \"total_pastdue\", did you mean \"total_past_due\"?",
        "rules.csv:3: filter: column 23: cannot compare a text with a number",
        "rules.csv:4: filter: column 9: unexpected character '=', did you mean \"==\"?",
        "rules.csv:5: filter: column 22: unknown field \"customer.credit_hld\", did you mean \"customer.credit_hold\"?",
        "rules.csv:6: filter: column 1: a filter must be true or false; this one gives a number",
        "rules.csv:7: filter: column 1: unknown field \"tran_type\"",
    ] {
        assert!(err.contains(expected), "{expected}\n{err}");
    }
}

#[test]
fn rules_must_name_what_exists() {
    let db = TestDb::new();
    let rules = "company_id,credit_class,seq_no,action_code,view,filter,override_user,followup_user,days_to_respond\n\
        US01,GOLD,10,CALL1,customer,over_30 > 0,,,\n\
        US01,STANDARD,20,CALL9,customer,over_30 > 0,,,\n\
        US01,STANDARD,30,CALL1,account,over_30 > 0,,,\n\
        US01,STANDARD,40,CALL1,customer,over_30 > 0,j.doe,nobody,\n\
        US01,STANDARD,ten,CALL1,customer,over_30 > 0,,,\n\
        US01,STANDARD,60,CALL1,customer,over_30 > 0,,,-1\n\
        US01,STANDARD,60,CALL1,customer,over_60 > 0,,,\n\
        EU01,STANDARD,70,CALL1,customer,over_60 > 0,,,\n";
    let err = problems(&db, &with("rules.csv", rules));
    for expected in [
        "rules.csv:2: credit_class: credit class \"GOLD\" is neither in the store nor in this sync",
        "rules.csv:3: action_code: action code \"CALL9\" is neither in the store nor in this sync",
        "rules.csv:4: view: unknown view \"account\", expected customer or invoice",
        "rules.csv:5: override_user: user \"j.doe\" is neither in the store nor in this sync",
        "rules.csv:5: followup_user: user \"nobody\" is neither in the store nor in this sync",
        "rules.csv:6: seq_no: not a whole number from 0 to 999999: \"ten\"",
        "rules.csv:7: days_to_respond: not a number of days \"-1\"",
        "rules.csv:8: seq_no: duplicate key, first on line 7",
        "rules.csv:9: company_id: company \"EU01\" is neither in the store nor in this sync",
    ] {
        assert!(err.contains(expected), "{expected}\n{err}");
    }
}

#[test]
fn action_codes_and_activity_types_are_checked() {
    let db = TestDb::new();
    let types = "company_id,activity_type,base_type\n\
        US01,Escalation,Phone\n\
        US01,Phone,Phone\n\
        US01,Visit,Meeting\n";
    let codes = "company_id,action_code,description,activity_type,priority\n\
        US01,CALL1,First call,Phone,3\n\
        US01,REMIND,Reminder,Fax,5\n\
        US01,ESC,Escalate,Escalation,0\n\
        US01,NOTE,,AcctNote,2\n";
    let mut files = with("activity_types.csv", types);
    for f in &mut files {
        if f.0 == "action_codes.csv" {
            f.1 = codes;
        }
    }
    let err = problems(&db, &files);
    for expected in [
        "activity_types.csv:3: activity_type: Phone is a standard activity type; a custom type needs a name of its own",
        "activity_types.csv:4: base_type: unknown activity type \"Meeting\", expected one of Phone, EmailSend, EmailRcd, AcctNote, Dispute, ExpectPay",
        "action_codes.csv:3: activity_type: activity type \"Fax\" is neither standard (Phone, EmailSend, EmailRcd, AcctNote, Dispute, ExpectPay) nor in activity_types.csv or the store",
        "action_codes.csv:4: priority: not a whole number from 1 to 999: \"0\"",
        "action_codes.csv:5: description: required value missing",
    ] {
        assert!(err.contains(expected), "{expected}\n{err}");
    }
}

#[test]
fn a_default_credit_class_must_exist() {
    let db = TestDb::new();
    let companies = "company_id,name,home_currency,default_credit_class\n\
        US01,Demo Inc.,USD,PLATINUM\n";
    let err = problems(&db, &with("companies.csv", companies));
    assert!(
        err.contains("companies.csv:2: default_credit_class: credit class \"PLATINUM\" is neither in the store nor in this sync"),
        "{err}"
    );
}

#[test]
fn calendar_days_are_dates_and_unique() {
    let db = TestDb::new();
    let calendar = "company_id,date,description\n\
        US01,2015-12-25,Christmas Day\n\
        US01,25/12/2015,Christmas again\n\
        US01,2015-12-25,Christmas twice\n";
    let err = problems(&db, &with("calendar.csv", calendar));
    assert!(
        err.contains("calendar.csv:3: date: not a date \"25/12/2015\", expected YYYY-MM-DD"),
        "{err}"
    );
    assert!(
        err.contains("calendar.csv:4: date: duplicate key, first on line 2"),
        "{err}"
    );
}

#[test]
fn working_week_and_default_days_to_respond_are_settings() {
    let db = TestDb::new();
    assert_eq!(db.ok(&["settings", "get", "days_off"]).trim(), "Sat,Sun");
    assert_eq!(db.ok(&["settings", "get", "days_to_respond"]).trim(), "3");
    assert_eq!(
        db.ok(&["settings", "set", "days_off", "fri,sat"]).trim(),
        "days_off = Fri,Sat"
    );
    db.ok(&["settings", "set", "days_to_respond", "5"]);
    let all = db.ok(&["settings", "get"]);
    assert!(
        all.contains("days_off = Fri,Sat\ndays_to_respond = 5"),
        "{all}"
    );
    let err = db.fails(&["settings", "set", "days_off", "Sat,Funday"]);
    assert!(
        err.contains("setting days_off: \"Funday\" is not a day of the week"),
        "{err}"
    );
    let err = db.fails(&["settings", "set", "days_to_respond", "soon"]);
    assert!(
        err.contains("setting days_to_respond: \"soon\" is not a whole number of days"),
        "{err}"
    );
    db.ok(&["settings", "set", "days_off", ""]);
    assert_eq!(db.ok(&["settings", "get", "days_off"]).trim(), "Sat,Sun");
}

#[test]
fn the_starter_ladder_gives_each_stage_its_action() {
    let db = TestDb::new();
    let err = db.fails(&["setup", "defaults"]);
    assert!(err.contains("no companies in the store"), "{err}");
    let customers = "company_id,customer_id,name,assigned_user,date_established,credit_limit\n\
        US01,C1,Due in three,c.okafor,,\n\
        US01,C2,One day late,c.okafor,,\n\
        US01,C3,Five days late,c.okafor,,\n\
        US01,C4,Fifteen days late,c.okafor,,\n\
        US01,C5,Thirty days late,c.okafor,,\n\
        US01,C6,Forty-five days late,c.okafor,,\n\
        US01,C7,Sixty days late,c.okafor,,\n\
        US01,C8,New account,c.okafor,2015-03-03,\n\
        US01,C9,Old account,c.okafor,2010-01-01,5000\n";
    let invoices = "company_id,customer_id,tran_id,tran_date,due_date,amount,balance\n\
        US01,C1,I1,2015-02-14,2015-03-16,100,100\n\
        US01,C2,I2,2015-02-10,2015-03-12,100,100\n\
        US01,C3,I3,2015-02-06,2015-03-08,100,100\n\
        US01,C4,I4,2015-01-27,2015-02-26,100,100\n\
        US01,C5,I5,2015-01-12,2015-02-11,100,100\n\
        US01,C6,I6,2014-12-28,2015-01-27,100,100\n\
        US01,C7,I7,2014-12-13,2015-01-12,100,100\n";
    db.import(
        "book",
        &[
            (
                "companies.csv",
                "company_id,name,home_currency\nUS01,Demo Inc.,USD\n",
            ),
            ("users.csv", USERS),
            ("customers.csv", customers),
            ("invoices.csv", invoices),
        ],
        "2015-03-13",
    );
    let out = db.ok(&["setup", "defaults", "--as-of", "2015-03-13"]);
    assert!(
        out.contains("starter setup: credit class STANDARD in 1 companies, escalations to mgr.lee"),
        "{out}"
    );
    assert!(
        out.contains("rules.csv 9 rows (9 new, 0 changed, 0 unchanged)"),
        "{out}"
    );
    let again = db.ok(&["setup", "defaults", "--as-of", "2015-03-13"]);
    assert!(
        again.contains("rules.csv 9 rows (0 new, 0 changed, 9 unchanged)"),
        "{again}"
    );
    let made = db.ok(&[
        "actions",
        "generate",
        "--as-of",
        "2015-03-13",
        "--format",
        "csv",
    ]);
    let got: Vec<String> = made
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            format!("{} {} {} {}", f[2], f[4], f[5], f[6])
        })
        .collect();
    assert_eq!(
        got,
        [
            "C1 10 REMIND c.okafor",
            "C2 20 PASTDUE c.okafor",
            "C3 30 CALL1 c.okafor",
            "C4 40 LETTER c.okafor",
            "C5 50 CALL2 c.okafor",
            "C6 60 DEMAND c.okafor",
            "C7 70 ESCALATE mgr.lee",
            "C8 80 WELCOME c.okafor",
            "C9 90 REVIEW c.okafor",
        ]
    );
    // Four weeks on, the first call's invoice is 33 days late, past the first call's range
    // (5 to 29 days): the call closes on its own.
    let later = db.ok(&[
        "actions",
        "generate",
        "--as-of",
        "2015-04-10",
        "--format",
        "csv",
    ]);
    assert!(later.contains("close,US01,C3,STANDARD,30,CALL1"), "{later}");
}

#[test]
fn a_companies_file_without_the_column_keeps_the_default_class() {
    let db = TestDb::new();
    db.import("setup", &setup_files(), "2015-03-15");
    let erp = db.import(
        "erp",
        &[(
            "companies.csv",
            "company_id,name,home_currency\nUS01,Demo Inc.,USD\n",
        )],
        "2015-03-16",
    );
    assert!(
        erp.contains("companies.csv 1 rows (0 new, 0 changed, 1 unchanged)"),
        "{erp}"
    );
    let cleared = db.import(
        "cleared",
        &[(
            "companies.csv",
            "company_id,name,home_currency,default_credit_class\nUS01,Demo Inc.,USD,\n",
        )],
        "2015-03-17",
    );
    assert!(
        cleared.contains("companies.csv 1 rows (0 new, 1 changed, 0 unchanged)"),
        "{cleared}"
    );
}
