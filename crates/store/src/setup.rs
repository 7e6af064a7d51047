//! The collections setup a sync may bring beside the book (section 4 of the contract):
//! credit classes, activity types, action codes, reason codes, rules and the calendar.

use chrono::NaiveDate;
use futures_util::TryStreamExt;
use sqlx::Row;

use crate::keys::{Key, KeyState, Keys, key};
use crate::rows::{Param, Record};
use crate::{Store, StoreError, on_pool};

fn text(s: &Option<String>) -> Param<'_> {
    Param::Text(s.as_deref())
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct CreditClassRow {
    pub company_id: String,
    pub credit_class: String,
    pub description: String,
    pub contact_frequency_days: Option<i64>,
    pub days_to_respond: Option<i64>,
    /// `daily` or weekdays such as `Mon,Thu`: when generate runs for the class on its own.
    pub schedule: Option<String>,
    /// `HH:MM`, with a schedule.
    pub schedule_time: Option<String>,
}

impl Record for CreditClassRow {
    const TABLE: &'static str = "credit_classes";
    const COLUMNS: &'static [&'static str] = &[
        "company_id",
        "credit_class",
        "description",
        "contact_frequency_days",
        "days_to_respond",
        "schedule",
        "schedule_time",
    ];
    const KEY_LEN: usize = 2;
    fn params(&self) -> Vec<Param<'_>> {
        vec![
            Param::Text(Some(&self.company_id)),
            Param::Text(Some(&self.credit_class)),
            Param::Text(Some(&self.description)),
            Param::Int(self.contact_frequency_days),
            Param::Int(self.days_to_respond),
            text(&self.schedule),
            text(&self.schedule_time),
        ]
    }
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ActivityTypeRow {
    pub company_id: String,
    pub activity_type: String,
    /// One of the six standard types this one behaves as.
    pub base_type: String,
    pub description: Option<String>,
    /// What a collector should do, shown while logging an activity of this type.
    pub procedures: Option<String>,
}

impl Record for ActivityTypeRow {
    const TABLE: &'static str = "activity_types";
    const COLUMNS: &'static [&'static str] = &[
        "company_id",
        "activity_type",
        "base_type",
        "description",
        "procedures",
    ];
    const KEY_LEN: usize = 2;
    fn params(&self) -> Vec<Param<'_>> {
        vec![
            Param::Text(Some(&self.company_id)),
            Param::Text(Some(&self.activity_type)),
            Param::Text(Some(&self.base_type)),
            text(&self.description),
            text(&self.procedures),
        ]
    }
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ActionCodeRow {
    pub company_id: String,
    pub action_code: String,
    /// The subject of the issues the code creates.
    pub description: String,
    pub activity_type: String,
    /// 1 is the highest.
    pub priority: i64,
    pub communication_note: Option<String>,
    /// Counts toward the credit class's contact frequency.
    pub customer_contact: bool,
    pub email_template: Option<String>,
    pub letter_template: Option<String>,
    pub attach_invoices: bool,
}

impl Record for ActionCodeRow {
    const TABLE: &'static str = "action_codes";
    const COLUMNS: &'static [&'static str] = &[
        "company_id",
        "action_code",
        "description",
        "activity_type",
        "priority",
        "communication_note",
        "customer_contact",
        "email_template",
        "letter_template",
        "attach_invoices",
    ];
    const KEY_LEN: usize = 2;
    fn params(&self) -> Vec<Param<'_>> {
        vec![
            Param::Text(Some(&self.company_id)),
            Param::Text(Some(&self.action_code)),
            Param::Text(Some(&self.description)),
            Param::Text(Some(&self.activity_type)),
            Param::Int(Some(self.priority)),
            text(&self.communication_note),
            Param::Bool(self.customer_contact),
            text(&self.email_template),
            text(&self.letter_template),
            Param::Bool(self.attach_invoices),
        ]
    }
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ReasonCodeRow {
    pub company_id: String,
    pub reason_code: String,
    pub description: String,
    pub severity: i64,
}

impl Record for ReasonCodeRow {
    const TABLE: &'static str = "reason_codes";
    const COLUMNS: &'static [&'static str] =
        &["company_id", "reason_code", "description", "severity"];
    const KEY_LEN: usize = 2;
    fn params(&self) -> Vec<Param<'_>> {
        vec![
            Param::Text(Some(&self.company_id)),
            Param::Text(Some(&self.reason_code)),
            Param::Text(Some(&self.description)),
            Param::Int(Some(self.severity)),
        ]
    }
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct RuleRow {
    pub company_id: String,
    pub credit_class: String,
    pub seq_no: i64,
    pub action_code: String,
    /// `customer` or `invoice`.
    pub view: String,
    /// The filter as written; it parsed and checked when the row was imported.
    pub filter: String,
    pub standalone: bool,
    pub create_if_exists: bool,
    pub auto_close: bool,
    pub days_to_respond: Option<i64>,
    pub override_user: Option<String>,
    pub followup_days: Option<i64>,
    pub followup_user: Option<String>,
    pub active: bool,
}

impl Record for RuleRow {
    const TABLE: &'static str = "rules";
    const COLUMNS: &'static [&'static str] = &[
        "company_id",
        "credit_class",
        "seq_no",
        "action_code",
        "view",
        "filter",
        "standalone",
        "create_if_exists",
        "auto_close",
        "days_to_respond",
        "override_user",
        "followup_days",
        "followup_user",
        "active",
    ];
    const KEY_LEN: usize = 3;
    fn params(&self) -> Vec<Param<'_>> {
        vec![
            Param::Text(Some(&self.company_id)),
            Param::Text(Some(&self.credit_class)),
            Param::Int(Some(self.seq_no)),
            Param::Text(Some(&self.action_code)),
            Param::Text(Some(&self.view)),
            Param::Text(Some(&self.filter)),
            Param::Bool(self.standalone),
            Param::Bool(self.create_if_exists),
            Param::Bool(self.auto_close),
            Param::Int(self.days_to_respond),
            text(&self.override_user),
            Param::Int(self.followup_days),
            text(&self.followup_user),
            Param::Bool(self.active),
        ]
    }
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct CalendarRow {
    pub company_id: String,
    /// A non-working day besides the weekly days off.
    pub date: NaiveDate,
    pub description: Option<String>,
}

impl Record for CalendarRow {
    const TABLE: &'static str = "calendar";
    const COLUMNS: &'static [&'static str] = &["company_id", "date", "description"];
    const KEY_LEN: usize = 2;
    fn params(&self) -> Vec<Param<'_>> {
        vec![
            Param::Text(Some(&self.company_id)),
            Param::Date(Some(self.date)),
            text(&self.description),
        ]
    }
}

/// A setup table read back whole: `R`'s columns, ordered by its key.
pub trait SetupRecord:
    Record
    + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
    + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
    + Send
    + Unpin
{
}

impl<R> SetupRecord for R where
    R: Record
        + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin
{
}

impl Store {
    /// Every row of a setup table, of one company or all, in key order.
    pub async fn setup<R: SetupRecord>(&self, company: Option<&str>) -> Result<Vec<R>, StoreError> {
        let sql = format!(
            "SELECT {} FROM {} WHERE ($1 IS NULL OR company_id = $1) ORDER BY {}",
            R::COLUMNS.join(", "),
            R::TABLE,
            R::COLUMNS[..R::KEY_LEN].join(", ")
        );
        Ok(on_pool!(self, pool => {
            sqlx::query_as::<_, R>(&sql).bind(company).fetch_all(pool).await?
        }))
    }

    /// Every stored key of a keyed table, its columns joined as a sync joins them, with the
    /// row's content hash.
    pub async fn keys_of<R: Record>(&self) -> Result<Keys, StoreError> {
        let columns: Vec<String> = R::COLUMNS[..R::KEY_LEN]
            .iter()
            .map(|c| format!("CAST({c} AS TEXT)"))
            .collect();
        let sql = format!("SELECT {}, row_hash FROM {}", columns.join(", "), R::TABLE);
        let mut keys = Keys::default();
        on_pool!(self, pool => {
            let mut rows = sqlx::query(&sql).fetch(pool);
            while let Some(row) = rows.try_next().await? {
                let parts: Vec<&str> = (0..R::KEY_LEN)
                    .map(|i| row.try_get::<&str, _>(i))
                    .collect::<Result<_, _>>()?;
                let joined: Key = key(&parts);
                keys.insert(joined, KeyState { hash: row.try_get(R::KEY_LEN)?, date: None });
            }
        });
        Ok(keys)
    }
}
