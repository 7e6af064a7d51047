//! The collections setup a sync may bring beside the book (section 4 of the contract):
//! credit classes, activity types, action codes, reason codes, rules and the calendar.

use chrono::NaiveDate;
use futures_util::TryStreamExt;
use sqlx::Row;

use crate::keys::{Key, KeyState, Keys, key};
use crate::rows::{Change, CompanyRow, Param, Record, UserRow};
use crate::tx::on_tx;
use crate::workflow::{Actor, NewEvent};
use crate::{Store, StoreError, Tx, on_pool};

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

/// A setup row whose every change a sync logs, before and after, in the event log.
pub trait SetupEntity: Record {
    /// The kind of record, as the event log names it.
    const ENTITY: &'static str;
}

impl SetupEntity for CompanyRow {
    const ENTITY: &'static str = "company";
}
impl SetupEntity for UserRow {
    const ENTITY: &'static str = "user";
}
impl SetupEntity for CreditClassRow {
    const ENTITY: &'static str = "credit_class";
}
impl SetupEntity for ActivityTypeRow {
    const ENTITY: &'static str = "activity_type";
}
impl SetupEntity for ActionCodeRow {
    const ENTITY: &'static str = "action_code";
}
impl SetupEntity for ReasonCodeRow {
    const ENTITY: &'static str = "reason_code";
}
impl SetupEntity for RuleRow {
    const ENTITY: &'static str = "rule";
}
impl SetupEntity for CalendarRow {
    const ENTITY: &'static str = "calendar_day";
}

type Fields = serde_json::Map<String, serde_json::Value>;

/// One value as the event log writes it: dates as `YYYY-MM-DD`.
fn param_json(p: Param<'_>) -> serde_json::Value {
    use serde_json::Value;
    match p {
        Param::Text(t) => t.map_or(Value::Null, |t| Value::String(t.to_owned())),
        Param::Int(i) => i.map_or(Value::Null, Value::from),
        Param::Bool(b) => Value::Bool(b),
        Param::Date(d) | Param::Day(d) => d.map_or(Value::Null, |d| Value::String(d.to_string())),
    }
}

/// A row as the event log keeps it: its columns by name.
fn row_fields<R: Record>(params: &[Param<'_>]) -> Fields {
    R::COLUMNS
        .iter()
        .zip(params)
        .map(|(c, p)| ((*c).to_owned(), param_json(*p)))
        .collect()
}

impl Tx {
    /// Writes setup rows as [`Tx::upsert`] does, and logs each one's change: the row as
    /// stored before (none when new) and as written.
    pub async fn upsert_logged<R: SetupEntity>(
        &mut self,
        actor: Actor<'_>,
        rows: &[Change<R>],
    ) -> Result<(), StoreError> {
        let mut befores = Vec::with_capacity(rows.len());
        for change in rows {
            befores.push(match change.new {
                true => None,
                false => self.stored_fields(&change.row).await?,
            });
        }
        self.upsert(rows).await?;
        let company_keyed = R::COLUMNS[0] == "company_id";
        for (change, before) in rows.iter().zip(befores) {
            let params = change.row.params();
            let key: Vec<String> = params[..R::KEY_LEN]
                .iter()
                .map(|p| match param_json(*p) {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                })
                .collect();
            let (company, id) = match (company_keyed, key.split_first()) {
                (true, Some((company, rest))) if !rest.is_empty() => {
                    (Some(company.as_str()), rest.join("/"))
                }
                (true, Some((company, _))) => (Some(company.as_str()), company.clone()),
                _ => (None, key.join("/")),
            };
            let after = row_fields::<R>(&params);
            let event = NewEvent {
                company_id: company,
                customer_id: None,
                entity: R::ENTITY,
                entity_id: id,
                action: if before.is_some() { "update" } else { "create" },
                before: before.and_then(|b| serde_json::to_string(&b).ok()),
                after: serde_json::to_string(&after).ok(),
            };
            self.log_event(actor, &event).await?;
        }
        Ok(())
    }

    /// The stored row with `row`'s key, each column read as `row` has it.
    async fn stored_fields<R: Record>(&mut self, row: &R) -> Result<Option<Fields>, StoreError> {
        let params = row.params();
        let wheres: Vec<String> = R::COLUMNS[..R::KEY_LEN]
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c} = ${}", i + 1))
            .collect();
        let sql = format!(
            "SELECT {} FROM {} WHERE {}",
            R::COLUMNS.join(", "),
            R::TABLE,
            wheres.join(" AND ")
        );
        Ok(on_tx!(self, tx => {
            let mut query = sqlx::query(&sql);
            for p in &params[..R::KEY_LEN] {
                query = match *p {
                    Param::Text(t) => query.bind(t),
                    Param::Int(i) => query.bind(i),
                    Param::Bool(b) => query.bind(b),
                    Param::Date(d) | Param::Day(d) => query.bind(d),
                };
            }
            match query.fetch_optional(&mut **tx).await? {
                None => None,
                Some(found) => {
                    let mut fields = Fields::new();
                    for (i, (column, p)) in R::COLUMNS.iter().zip(&params).enumerate() {
                        let value = match p {
                            Param::Text(_) => param_json(Param::Text(found.try_get::<Option<&str>, _>(i)?)),
                            Param::Int(_) => param_json(Param::Int(found.try_get(i)?)),
                            Param::Bool(_) => param_json(Param::Bool(found.try_get(i)?)),
                            // The setup keeps every date as a date (day numbers are the
                            // invoices' only).
                            Param::Date(_) | Param::Day(_) => param_json(Param::Date(found.try_get(i)?)),
                        };
                        fields.insert((*column).to_owned(), value);
                    }
                    Some(fields)
                }
            }
        }))
    }
}
