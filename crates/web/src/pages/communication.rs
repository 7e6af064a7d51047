//! The Communication screen, the invoice page (notes, disputes, the activities tagged to it),
//! and the Communication History grid of Account Detail.

use arrears_actions::plans::InstalmentState;
use arrears_domain::Value;
use arrears_store::{
    Activity, DisputeRecord, Event, ExpectedRecord, InvoiceNote, IssueRecord, PlanRecord,
};
use askama::Template;
use chrono::NaiveDate;

use super::{Nav, display, url_encode};

/// An activity type offered on the Communication screen, with its procedures.
pub struct TypeOption {
    pub name: String,
    pub base: String,
    pub procedures: Option<String>,
}

/// An open invoice that may be tagged.
pub struct TagOption {
    pub tran_id: String,
    pub tran_date: NaiveDate,
    pub due_date: String,
    pub balance: String,
    pub checked: bool,
}

/// The Communication form as typed (or as stored, when an activity is opened).
#[derive(Default)]
pub struct CommunicationForm {
    pub activity_type: String,
    pub action_code: String,
    pub description: String,
    pub note: String,
    pub call_result: String,
    pub followup_date: String,
    pub followup_user: String,
    pub followup_desc: String,
    pub followup_days: String,
    pub assigned_user: String,
    pub complete: bool,
    pub resolve: String,
    pub expected_amount: String,
    pub expected_date: String,
    pub promise: bool,
}

#[derive(Template)]
#[template(path = "communicate.html")]
pub struct CommunicatePage {
    pub nav: Nav,
    pub company_id: String,
    pub customer_id: String,
    pub name: String,
    /// Where the form posts.
    pub action: String,
    /// The issue it is logged on, if any.
    pub issue: Option<IssueRecord>,
    /// The activity being worked, when one is opened.
    pub activity: Option<Activity>,
    pub types: Vec<TypeOption>,
    pub codes: Vec<(String, String)>,
    pub users: Vec<String>,
    pub invoices: Vec<TagOption>,
    pub form: CommunicationForm,
    pub problem: Option<String>,
    pub as_of: NaiveDate,
    pub scores: super::Scores,
}

impl CommunicatePage {
    pub fn has_procedures(&self) -> bool {
        self.types.iter().any(|t| t.procedures.is_some())
    }

    pub fn account_link(&self) -> String {
        account_link(&self.company_id, &self.customer_id)
    }
}

pub fn account_link(company: &str, customer: &str) -> String {
    format!(
        "/customers/{}/{}",
        url_encode(company),
        url_encode(customer)
    )
}

/// One line of the Communication History grid, with the glossary's icons and colours.
pub struct HistoryLine {
    pub activity_id: i64,
    pub issue_id: i64,
    pub date: String,
    pub activity_type: String,
    pub description: String,
    pub user: String,
    pub note: String,
    pub open: bool,
    /// Tagged invoices.
    pub tagged: usize,
    /// An invoice dispute opened on this communication.
    pub disputed: bool,
    /// Phone calls: `blue` (not made yet), `green` (spoke to the customer), `red` (no
    /// contact).
    pub call: Option<&'static str>,
    /// Follow-ups: `blue` (not due), `red` (past due), `green` (done by its respond-by date).
    pub followup: Option<&'static str>,
    pub followup_date: String,
    /// The icons' titles.
    pub call_title: &'static str,
    pub followup_title: &'static str,
    /// An expected payment recorded on it: its colour and title.
    pub expected: Option<(&'static str, String)>,
}

impl HistoryLine {
    /// `activities` are every activity of the customer, so follow-ups can be found.
    pub fn new(
        a: &Activity,
        activities: &[Activity],
        disputes: &[DisputeRecord],
        as_of: NaiveDate,
    ) -> HistoryLine {
        let r = &a.record;
        let call = (r.activity_type == "Phone" || r.call_result.is_some()).then_some(
            match r.call_result.as_deref() {
                Some("spoke") => "green",
                Some(_) => "red",
                None => "blue",
            },
        );
        let followup = r.followup_date.map(|_| {
            let due = r.followup_respond_by.or(r.followup_date).unwrap_or(as_of);
            let next = activities
                .iter()
                .find(|f| f.record.followup_of == Some(r.activity_id));
            match next.map(|f| (f.record.completed_date, f.record.respond_by)) {
                Some((Some(done), by)) if done <= by => "green",
                Some((Some(_), _)) => "red",
                _ if due < as_of => "red",
                _ => "blue",
            }
        });
        HistoryLine {
            call_title: match call {
                Some("green") => "call: spoke to the customer",
                Some("red") => "call: no contact",
                _ => "call: not made yet",
            },
            followup_title: match followup {
                Some("green") => "follow-up done in time",
                Some("red") => "follow-up past due",
                _ => "follow-up not due",
            },
            activity_id: r.activity_id,
            issue_id: r.issue_id,
            date: r.start_date.to_string(),
            activity_type: r.activity_type.clone(),
            description: r.description.clone().unwrap_or_default(),
            user: r.assigned_user.clone().unwrap_or_default(),
            note: r.note.clone().unwrap_or_default(),
            open: r.is_open,
            tagged: a.tagged.len(),
            disputed: disputes
                .iter()
                .any(|d| d.activity_id == Some(r.activity_id)),
            call,
            followup,
            followup_date: r.followup_date.map(|d| d.to_string()).unwrap_or_default(),
            expected: None,
        }
    }

    /// Marks the line with the expected payment recorded on its activity, if any.
    pub fn with_expected(mut self, expected: &[ExpectedLine]) -> HistoryLine {
        self.expected = expected
            .iter()
            .find(|e| e.record.activity_id == Some(self.activity_id))
            .map(|e| (e.colour, e.title()));
        self
    }
}

/// One expected payment as listed.
pub struct ExpectedLine {
    pub record: ExpectedRecord,
    pub amount: String,
    pub actual: String,
    /// `blue` open, `green` kept, `red` broken or missed, `grey` cancelled.
    pub colour: &'static str,
    pub actual_pay_days: String,
}

impl ExpectedLine {
    pub fn new(record: ExpectedRecord) -> ExpectedLine {
        let colour = match record.status.as_str() {
            "kept" => "green",
            "broken" | "missed" => "red",
            "cancelled" => "grey",
            _ => "blue",
        };
        let matched = arrears_domain::promises::Matched {
            status: arrears_domain::promises::Status::parse(&record.status)
                .unwrap_or(arrears_domain::promises::Status::Open),
            actual_amount: record.actual_amount,
            actual_date: record.actual_date,
        };
        ExpectedLine {
            amount: display(&Value::Money(record.amount)),
            actual: display(&Value::Money(record.actual_amount)),
            colour,
            actual_pay_days: arrears_domain::promises::actual_pay_days(
                &record.expected(),
                &matched,
            )
            .map(|d| d.to_string())
            .unwrap_or_default(),
            record,
        }
    }

    /// What the icon says.
    pub fn title(&self) -> String {
        let r = &self.record;
        format!(
            "{} {} {} by {}: {}",
            if r.is_promise {
                "promise to pay"
            } else {
                "expected payment"
            },
            self.amount,
            r.currency,
            r.expected_date,
            r.status
        )
    }
}

/// One dispute as listed.
pub struct DisputeLine {
    pub record: DisputeRecord,
    pub amount: String,
}

/// One instalment of the plan in force, as listed.
pub struct PlanLine {
    pub no: u16,
    pub due_date: NaiveDate,
    pub amount: String,
    pub paid: String,
    pub balance: String,
    /// `paid`, `late` (open past its due date) or `open`.
    pub state: &'static str,
    pub closing_date: String,
    pub days_paid_late: String,
}

/// The plan in force on an invoice, with the invoice's original terms.
pub struct PlanView {
    pub record: PlanRecord,
    pub orig_due_date: String,
    pub orig_amount: String,
    pub orig_amount_hc: String,
    pub lines: Vec<PlanLine>,
}

impl PlanView {
    pub fn new(record: PlanRecord, schedule: Vec<InstalmentState>) -> PlanView {
        let money = |m| display(&Value::Money(m));
        PlanView {
            orig_due_date: record
                .orig_due_date
                .map(|d| d.to_string())
                .unwrap_or_default(),
            orig_amount: money(record.orig_amount),
            orig_amount_hc: money(record.orig_amount_hc),
            lines: schedule
                .into_iter()
                .map(|s| PlanLine {
                    no: s.instalment,
                    due_date: s.due_date,
                    amount: money(s.amount),
                    paid: money(s.paid),
                    balance: money(s.balance),
                    state: if s.balance.is_zero() {
                        "paid"
                    } else if s.late {
                        "late"
                    } else {
                        "open"
                    },
                    closing_date: s.closing_date.map(|d| d.to_string()).unwrap_or_default(),
                    days_paid_late: s.days_paid_late.map(|d| d.to_string()).unwrap_or_default(),
                })
                .collect(),
            record,
        }
    }
}

#[derive(Template)]
#[template(path = "invoice.html")]
pub struct InvoicePage {
    pub nav: Nav,
    pub company_id: String,
    pub customer_id: String,
    pub name: String,
    pub tran_id: String,
    pub facts: Vec<super::Pair>,
    pub open: bool,
    pub notes: Vec<InvoiceNote>,
    pub disputes: Vec<DisputeLine>,
    pub reasons: Vec<(String, String)>,
    /// The activities the invoice is tagged to: View Activities.
    pub activities: Vec<HistoryLine>,
    /// May log work (not inquiry users).
    pub works: bool,
    /// The plan in force, the cancelled ones, and whether the caller may make or cancel one.
    pub plan: Option<PlanView>,
    pub past_plans: Vec<PlanRecord>,
    pub administers: bool,
    /// The balance the instalments of a new plan add up to, with its currency.
    pub balance: String,
    /// Rows of the plan form.
    pub plan_rows: Vec<usize>,
    pub scores: super::Scores,
    pub problem: Option<String>,
    pub as_of: NaiveDate,
}

impl InvoicePage {
    pub fn account_link(&self) -> String {
        account_link(&self.company_id, &self.customer_id)
    }

    pub fn base(&self) -> String {
        format!(
            "{}/invoices/{}",
            self.account_link(),
            url_encode(&self.tran_id)
        )
    }
}

/// One event of a customer's history as shown.
pub struct EventLine {
    pub at: String,
    pub user: String,
    pub what: String,
    pub change: String,
}

impl EventLine {
    pub fn new(e: &Event) -> EventLine {
        EventLine {
            at: e.at.format("%Y-%m-%d %H:%M").to_string(),
            user: e.user_id.clone(),
            what: format!(
                "{} {} {}",
                e.entity.replace('_', " "),
                e.entity_id,
                e.action
            ),
            change: change_summary(e.before.as_deref(), e.after.as_deref()),
        }
    }
}

/// The fields an event changed, as `field: before → after`, or the new record's fields.
pub fn change_summary(before: Option<&str>, after: Option<&str>) -> String {
    let parse = |t: Option<&str>| {
        t.and_then(|t| serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(t).ok())
    };
    let (before, after) = (parse(before), parse(after));
    let shown = |v: Option<&serde_json::Value>| match v {
        None | Some(serde_json::Value::Null) => "—".to_owned(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    const SKIP: [&str; 4] = ["version", "company_id", "customer_id", "entered_at"];
    match (before, after) {
        (Some(b), Some(a)) => a
            .iter()
            .filter(|(k, v)| !SKIP.contains(&k.as_str()) && b.get(*k) != Some(*v))
            .map(|(k, v)| format!("{k}: {} → {}", shown(b.get(k)), shown(Some(v))))
            .collect::<Vec<_>>()
            .join("; "),
        (None, Some(a)) => a
            .iter()
            .filter(|(k, v)| !SKIP.contains(&k.as_str()) && !v.is_null())
            .map(|(k, v)| format!("{k}: {}", shown(Some(v))))
            .collect::<Vec<_>>()
            .join("; "),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use arrears_store::{Activity, ActivityRecord};
    use chrono::NaiveDate;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2015, 1, d).unwrap()
    }

    fn activity(id: i64, call: Option<&str>, followup: Option<(u32, u32)>) -> Activity {
        Activity {
            record: ActivityRecord {
                activity_id: id,
                issue_id: 1,
                company_id: "US01".into(),
                customer_id: "C1".into(),
                activity_type: "Phone".into(),
                action_code: None,
                description: None,
                assigned_user: Some("cole".into()),
                is_open: false,
                customer_contact: true,
                start_date: day(1),
                respond_by: day(1),
                followup_date: followup.map(|(d, _)| day(d)),
                followup_user: None,
                followup_desc: None,
                followup_respond_by: followup.map(|(_, r)| day(r)),
                followup_of: None,
                created_date: day(1),
                created_by: "cole".into(),
                completed_date: Some(day(1)),
                completed_by: Some("cole".into()),
                note: None,
                call_result: call.map(str::to_owned),
                version: 1,
            },
            tagged: Vec::new(),
        }
    }

    /// The follow-up of activity 1, due on `respond_by`, completed on `done`.
    fn followup(respond_by: u32, done: Option<u32>) -> Activity {
        let mut f = activity(2, None, None);
        f.record.followup_of = Some(1);
        f.record.respond_by = day(respond_by);
        f.record.is_open = done.is_none();
        f.record.completed_date = done.map(day);
        f
    }

    #[test]
    fn calls_and_follow_ups_take_the_glossarys_colours() {
        let line = |a: &Activity, all: &[Activity], as_of: u32| {
            let l = super::HistoryLine::new(a, all, &[], day(as_of));
            (l.call, l.followup)
        };
        let spoke = activity(1, Some("spoke"), None);
        assert_eq!(line(&spoke, &[], 3), (Some("green"), None));
        let missed = activity(1, Some("no_contact"), None);
        assert_eq!(line(&missed, &[], 3).0, Some("red"));
        let not_made = activity(1, None, None);
        assert_eq!(line(&not_made, &[], 3).0, Some("blue"));
        // A follow-up dated the 1st, due the 5th.
        let asked = activity(1, Some("spoke"), Some((1, 5)));
        assert_eq!(line(&asked, &[], 3).1, Some("blue"), "not due yet");
        assert_eq!(line(&asked, &[], 6).1, Some("red"), "past due, not done");
        let open = [followup(5, None)];
        assert_eq!(
            line(&asked, &open, 6).1,
            Some("red"),
            "past due, still open"
        );
        let in_time = [followup(5, Some(4))];
        assert_eq!(
            line(&asked, &in_time, 9).1,
            Some("green"),
            "done by the 5th"
        );
        let late = [followup(5, Some(7))];
        assert_eq!(line(&asked, &late, 9).1, Some("red"), "done after the 5th");
    }

    #[test]
    fn a_change_lists_only_what_changed() {
        let before = r#"{"is_open": true, "note": null, "version": 1, "user": "mia"}"#;
        let after = r#"{"is_open": false, "note": "paid", "version": 2, "user": "mia"}"#;
        assert_eq!(
            super::change_summary(Some(before), Some(after)),
            "is_open: true → false; note: — → paid"
        );
        assert_eq!(
            super::change_summary(None, Some(r#"{"note": "x", "a": null}"#)),
            "note: x"
        );
    }
}
