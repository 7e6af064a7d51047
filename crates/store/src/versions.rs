//! The book as each business date left it: the invoice and customer rows a sync replaces,
//! kept with the date they held until, and the ones a later sync brought, kept as absent
//! until then (see `arrears_domain::then`).

use std::collections::{HashMap, HashSet};

use arrears_domain::{Item, Money, TranType};
use chrono::NaiveDate;

use crate::bulk::{Scope, scoped};
use crate::rows::JULIAN_DAY_ZERO;
use crate::{
    Change, CustomerRecord, CustomerRow, InvoiceRow, Param, Store, StoreError, Tx, on_pool,
};

/// A table whose replaced rows are kept in `versions`, keyed by company and `key`.
struct Kept {
    table: &'static str,
    versions: &'static str,
    key: &'static str,
    /// The columns copied besides the key, the first of them written on absent rows too
    /// (the customer an invoice belongs to), when `owned`.
    columns: &'static [&'static str],
    owned: bool,
    /// On SQLite, the table in memory a sync keeps its versions in until it has written
    /// everything else (see [`Tx::stage_versions`]).
    staged: &'static str,
    /// The columns among them SQLite keeps as day numbers, in the table and its versions
    /// (see `Param::Day`): read back as dates.
    days: &'static [&'static str],
}

const INVOICES: Kept = Kept {
    table: "invoices",
    versions: "invoice_versions",
    key: "tran_id",
    columns: &[
        "customer_id",
        "tran_type",
        "tran_date",
        "due_date",
        "amount",
        "balance",
        "amount_hc",
        "balance_hc",
        "closing_date",
    ],
    owned: true,
    staged: "staged_invoice_versions",
    days: &["tran_date", "due_date", "closing_date"],
};

const CUSTOMERS: Kept = Kept {
    table: "customers",
    versions: "customer_versions",
    key: "customer_id",
    columns: &[
        "name",
        "parent_id",
        "customer_class",
        "credit_class",
        "status",
        "currency",
        "credit_limit",
        "credit_hold",
        "assigned_user",
    ],
    owned: false,
    staged: "staged_customer_versions",
    days: &[],
};

/// An invoice as the store held it before a sync replaced it or moved its closing date:
/// what its version keeps. A sync has every stored invoice's owner, type, dates and amounts
/// from the item pages, so the version is written from them rather than copied from the
/// invoices table, which would read the table's page of each changed invoice once more.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredInvoice {
    pub company_id: String,
    pub tran_id: String,
    pub customer_id: String,
    pub item: Item,
}

/// The values of a kept invoice's version row.
const STORED_VALUES: usize = 13;

impl StoredInvoice {
    /// Its version row, valid until `day`, in the order of `Kept::all_columns`.
    fn params(&self, day: NaiveDate) -> [Param<'_>; STORED_VALUES] {
        let i = &self.item;
        [
            Param::Text(Some(&self.company_id)),
            Param::Text(Some(&self.tran_id)),
            Param::Date(Some(day)),
            Param::Bool(false),
            Param::Text(Some(&self.customer_id)),
            Param::Text(Some(i.tran_type.code())),
            Param::Day(Some(i.tran_date)),
            Param::Day(i.due_date),
            Param::Int(Some(i.amount.raw())),
            Param::Int(Some(i.balance.raw())),
            Param::Int(Some(i.amount_hc.raw())),
            Param::Int(Some(i.balance_hc.raw())),
            Param::Day(i.closing_date),
        ]
    }
}

/// What a version row holds: the row as it stood, or that it was not there yet.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Version {
    Kept,
    Absent,
}

/// Whether versions go to the sync's staged versions (see [`Tx::stage_versions`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Staged {
    Yes,
    No,
}

/// Keys written per statement on PostgreSQL.
const CHUNK: usize = 10_000;

impl Kept {
    /// Every column of a version row.
    fn all_columns(&self) -> String {
        format!(
            "company_id, {key}, valid_to, absent, {columns}",
            key = self.key,
            columns = self.columns.join(", ")
        )
    }

    /// Copies the stored rows as they stand, valid until `$3`; the first copy of a day is the
    /// one kept, so that two syncs on one day keep what the day began with. SQLite gets one
    /// key a statement (`$1`, `$2`), PostgreSQL arrays of them. On SQLite the copy is an
    /// `INSERT OR IGNORE` (the key is the table's only constraint a copy can break): an
    /// `INSERT … SELECT` that may stop halfway on a conflict makes SQLite copy every page it
    /// touches into a statement journal first (about 3 s of the 11 s a 10M re-sync spent writing
    /// its half a million changed invoices).
    fn keep_sql(&self, many: bool, into: &str) -> String {
        let columns = self.columns.join(", ");
        let from = if many {
            format!(
                "{t} s JOIN UNNEST($1::TEXT[], $2::TEXT[]) AS k(c, t) \
                 ON s.company_id = k.c AND s.{key} = k.t",
                t = self.table,
                key = self.key
            )
        } else {
            format!(
                "{t} s WHERE s.company_id = $1 AND s.{key} = $2",
                t = self.table,
                key = self.key
            )
        };
        // Copied as they are: a function in the copy (`date()` of a day number) would make
        // SQLite keep a statement journal of every page the copy writes.
        let copied: Vec<String> = self.columns.iter().map(|c| format!("s.{c}")).collect();
        let (insert, conflict) = if many {
            (
                "INSERT",
                format!(
                    " ON CONFLICT (company_id, {key}, valid_to) DO NOTHING",
                    key = self.key
                ),
            )
        } else {
            ("INSERT OR IGNORE", String::new())
        };
        format!(
            "{insert} INTO {into} (company_id, {key}, valid_to, absent, {columns}) \
             SELECT s.company_id, s.{key}, $3, FALSE, {copied} FROM {from}{conflict}",
            key = self.key,
            copied = copied.join(", ")
        )
    }

    /// Marks keys (with their owner, when `owned`) as not loaded before the last parameter.
    fn absent_sql(&self, many: bool, into: &str) -> String {
        let (owner, values) = match (self.owned, many) {
            (true, false) => (
                format!(", {}", self.columns[0]),
                "VALUES ($1, $2, $3, $4, TRUE)",
            ),
            (false, false) => (String::new(), "VALUES ($1, $2, $3, TRUE)"),
            (true, true) => (
                format!(", {}", self.columns[0]),
                "SELECT k.c, k.t, k.u, $4, TRUE \
                 FROM UNNEST($1::TEXT[], $2::TEXT[], $3::TEXT[]) AS k(c, t, u)",
            ),
            (false, true) => (
                String::new(),
                "SELECT k.c, k.t, $3, TRUE FROM UNNEST($1::TEXT[], $2::TEXT[]) AS k(c, t)",
            ),
        };
        format!(
            "INSERT INTO {into} (company_id, {key}{owner}, valid_to, absent) {values} \
             ON CONFLICT (company_id, {key}, valid_to) DO NOTHING",
            key = self.key,
        )
    }

    /// The earliest version of each key held after `$3` (the day asked for) among the keys
    /// in scope: what that day knew of each row changed since. `sqlite`: read the day numbers
    /// as dates.
    fn then_sql(&self, scope: Scope<'_>, sqlite: bool) -> String {
        let columns: Vec<String> = (self.columns.iter())
            .map(|c| {
                if sqlite && self.days.contains(c) {
                    format!("date(v.{c} + {JULIAN_DAY_ZERO})")
                } else {
                    format!("v.{c}")
                }
            })
            .collect();
        format!(
            "SELECT v.company_id, v.{key}, v.absent, {columns} FROM {v} v \
             WHERE {scope} AND v.valid_to > $3 AND NOT EXISTS \
             (SELECT 1 FROM {v} w WHERE w.company_id = v.company_id AND w.{key} = v.{key} \
             AND w.valid_to > $3 AND w.valid_to < v.valid_to)",
            key = self.key,
            v = self.versions,
            columns = columns.join(", "),
            scope = scoped("v.", scope),
        )
    }
}

impl Tx {
    /// The companies that have rows in `table`: a new row of one of them was not there
    /// before the sync that brings it; those of a company's first load always were.
    async fn companies_with(&mut self, table: &str) -> Result<HashSet<String>, StoreError> {
        let sql = format!(
            "SELECT c.company_id FROM companies c WHERE EXISTS \
             (SELECT 1 FROM {table} r WHERE r.company_id = c.company_id)"
        );
        let companies: Vec<String> = crate::tx::on_tx!(self, tx => {
            sqlx::query_scalar(&sql).fetch_all(&mut **tx).await?
        });
        Ok(companies.into_iter().collect())
    }

    /// Before a sync writes anything: on SQLite, the tables in memory it keeps the versions
    /// of the rows it replaces in until [`Tx::settle_versions`]. The versions come in the
    /// order of the files, company after company in the files' order, and not in the order of
    /// their tables' keys: written as they come, a sync goes back to pages of those tables it
    /// wrote long before (SQLite has put them in its log by then, and must then read back and
    /// sum every page logged since, at the commit: 0.6 s of a 10M re-sync). On PostgreSQL,
    /// nothing.
    pub async fn stage_versions(&mut self) -> Result<(), StoreError> {
        let Tx::Sqlite(tx) = self else {
            return Ok(());
        };
        for kept in [&INVOICES, &CUSTOMERS] {
            let sql = format!(
                "CREATE TEMP TABLE IF NOT EXISTS {staged} ({columns}, \
                 PRIMARY KEY (company_id, {key}, valid_to)) WITHOUT ROWID",
                staged = kept.staged,
                columns = kept.all_columns(),
                key = kept.key,
            );
            sqlx::query(&sql).execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Once a sync has written everything else: on SQLite, its staged versions go into their
    /// tables in the order of the tables' keys, each version a day already holds kept as it
    /// is; on PostgreSQL, nothing.
    pub async fn settle_versions(&mut self) -> Result<(), StoreError> {
        let Tx::Sqlite(tx) = self else {
            return Ok(());
        };
        for kept in [&INVOICES, &CUSTOMERS] {
            let columns = kept.all_columns();
            for sql in [
                format!(
                    "INSERT OR IGNORE INTO {v} ({columns}) SELECT {columns} FROM {staged} \
                     ORDER BY company_id, {key}, valid_to",
                    v = kept.versions,
                    staged = kept.staged,
                    key = kept.key,
                ),
                format!("DROP TABLE {}", kept.staged),
            ] {
                sqlx::query(&sql).execute(&mut **tx).await?;
            }
        }
        Ok(())
    }

    /// The companies that have invoices in the store.
    pub async fn invoice_companies(&mut self) -> Result<HashSet<String>, StoreError> {
        self.companies_with(INVOICES.table).await
    }

    /// The companies that have customers in the store.
    pub async fn customer_companies(&mut self) -> Result<HashSet<String>, StoreError> {
        self.companies_with(CUSTOMERS.table).await
    }

    /// Before a sync of business date `day` writes invoice `rows`: keeps each invoice of
    /// `replaced` as the store held it, and marks each new one of a company in `loaded` as
    /// absent before `day`.
    pub async fn keep_invoice_versions(
        &mut self,
        day: NaiveDate,
        rows: &[Change<InvoiceRow>],
        replaced: &[StoredInvoice],
        loaded: &HashSet<String>,
    ) -> Result<(), StoreError> {
        self.keep_invoices(day, replaced).await?;
        self.mark_arrived(&INVOICES, day, rows, loaded, |r| {
            (
                r.company_id.as_str(),
                r.tran_id.as_str(),
                r.customer_id.as_str(),
            )
        })
        .await
    }

    /// Keeps the invoices `stored` as the store held them, valid until `day`; the first copy
    /// of a day is the one kept.
    pub async fn keep_invoices(
        &mut self,
        day: NaiveDate,
        stored: &[StoredInvoice],
    ) -> Result<(), StoreError> {
        if stored.is_empty() {
            return Ok(());
        }
        match self {
            Tx::Sqlite(tx) => {
                let target = format!("{} ({})", INVOICES.staged, INVOICES.all_columns());
                let rows: Vec<[Param<'_>; STORED_VALUES]> =
                    stored.iter().map(|s| s.params(day)).collect();
                crate::sqlite::with_handle(tx, |c| crate::sqlite::insert_new(c, &target, &rows))
                    .await
            }
            Tx::Postgres(tx) => {
                let sql = format!(
                    "INSERT INTO {v} ({columns}) \
                     SELECT k.c, k.t, $12, FALSE, k.u, k.y, k.td, k.dd, k.a, k.b, k.ah, k.bh, k.cd \
                     FROM UNNEST($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::DATE[], \
                     $6::DATE[], $7::BIGINT[], $8::BIGINT[], $9::BIGINT[], $10::BIGINT[], \
                     $11::DATE[]) AS k(c, t, u, y, td, dd, a, b, ah, bh, cd) \
                     ON CONFLICT (company_id, tran_id, valid_to) DO NOTHING",
                    v = INVOICES.versions,
                    columns = INVOICES.all_columns(),
                );
                for chunk in stored.chunks(CHUNK) {
                    let texts = |f: fn(&StoredInvoice) -> &str| -> Vec<&str> {
                        chunk.iter().map(f).collect()
                    };
                    let dates = |f: fn(&Item) -> Option<NaiveDate>| -> Vec<Option<NaiveDate>> {
                        chunk.iter().map(|s| f(&s.item)).collect()
                    };
                    let money = |f: fn(&Item) -> Money| -> Vec<i64> {
                        chunk.iter().map(|s| f(&s.item).raw()).collect()
                    };
                    sqlx::query(&sql)
                        .bind(texts(|s| &s.company_id))
                        .bind(texts(|s| &s.tran_id))
                        .bind(texts(|s| &s.customer_id))
                        .bind(texts(|s| s.item.tran_type.code()))
                        .bind(dates(|i| Some(i.tran_date)))
                        .bind(dates(|i| i.due_date))
                        .bind(money(|i| i.amount))
                        .bind(money(|i| i.balance))
                        .bind(money(|i| i.amount_hc))
                        .bind(money(|i| i.balance_hc))
                        .bind(dates(|i| i.closing_date))
                        .bind(day)
                        .execute(&mut **tx)
                        .await?;
                }
                Ok(())
            }
        }
    }

    /// Keeps one stored customer as it stands, valid until `day`: before an admin changes it.
    pub(crate) async fn keep_customer(
        &mut self,
        day: NaiveDate,
        company: &str,
        customer: &str,
    ) -> Result<(), StoreError> {
        let key = [(company, customer, "")];
        (self.write_versions(&CUSTOMERS, Version::Kept, day, &key, Staged::No)).await
    }

    /// Before a sync of business date `day` writes customer `rows`: keeps each changed
    /// customer as it stands, and marks each new one of a company in `loaded` as absent
    /// before `day`.
    pub async fn keep_customer_versions(
        &mut self,
        day: NaiveDate,
        rows: &[Change<CustomerRow>],
        loaded: &HashSet<String>,
    ) -> Result<(), StoreError> {
        fn key(r: &CustomerRow) -> (&str, &str, &str) {
            (r.company_id.as_str(), r.customer_id.as_str(), "")
        }
        let changed: Vec<_> = (rows.iter().filter(|c| !c.new))
            .map(|c| key(&c.row))
            .collect();
        (self.write_versions(&CUSTOMERS, Version::Kept, day, &changed, Staged::Yes)).await?;
        self.mark_arrived(&CUSTOMERS, day, rows, loaded, key).await
    }

    /// Marks each new row of `rows` of a company in `loaded` absent before `day`; `key`
    /// gives a row's (company, key, owner).
    async fn mark_arrived<R>(
        &mut self,
        kept: &Kept,
        day: NaiveDate,
        rows: &[Change<R>],
        loaded: &HashSet<String>,
        key: impl Fn(&R) -> (&str, &str, &str),
    ) -> Result<(), StoreError> {
        let arrived: Vec<_> = (rows.iter().filter(|c| c.new))
            .map(|c| key(&c.row))
            .filter(|k| loaded.contains(k.0))
            .collect();
        (self.write_versions(kept, Version::Absent, day, &arrived, Staged::Yes)).await
    }

    /// Keeps the stored rows of `keys` (company, key, owner) as they stand, or marks them
    /// absent, valid until `day`.
    /// `Staged::Yes` in a sync: on SQLite into the sync's staged versions.
    async fn write_versions(
        &mut self,
        kept: &Kept,
        version: Version,
        day: NaiveDate,
        keys: &[(&str, &str, &str)],
        staged: Staged,
    ) -> Result<(), StoreError> {
        if keys.is_empty() {
            return Ok(());
        }
        let absent = version == Version::Absent;
        let into = match (&*self, staged) {
            (Tx::Sqlite(_), Staged::Yes) => kept.staged,
            _ => kept.versions,
        };
        let sql = |many| {
            if absent {
                kept.absent_sql(many, into)
            } else {
                kept.keep_sql(many, into)
            }
        };
        // Only an absent row names its owner.
        let owned = absent && kept.owned;
        match self {
            Tx::Sqlite(tx) => {
                let (sql, day) = (sqlite_sql(&sql(false)), day.to_string());
                crate::sqlite::with_handle(tx, |c| {
                    let mut statement = c.prepare(&sql)?;
                    for (company, key, owner) in keys {
                        if owned {
                            statement.execute(rusqlite::params![company, key, owner, day])?;
                        } else {
                            statement.execute(rusqlite::params![company, key, day])?;
                        }
                    }
                    Ok(())
                })
                .await
            }
            Tx::Postgres(tx) => {
                let sql = sql(true);
                for chunk in keys.chunks(CHUNK) {
                    let companies: Vec<&str> = chunk.iter().map(|k| k.0).collect();
                    let keys: Vec<&str> = chunk.iter().map(|k| k.1).collect();
                    let query = sqlx::query(&sql).bind(companies).bind(keys);
                    let query = if owned {
                        let owners: Vec<&str> = chunk.iter().map(|k| k.2).collect();
                        query.bind(owners)
                    } else {
                        query
                    };
                    query.bind(day).execute(&mut **tx).await?;
                }
                Ok(())
            }
        }
    }
}

/// SQLite numbers its parameters `?N`.
fn sqlite_sql(sql: &str) -> String {
    sql.replace('$', "?")
}

/// An invoice version: company, tran_id, absent, then `INVOICES.columns`.
type InvoiceVersion = (
    String,
    String,
    bool,
    Option<String>,
    Option<String>,
    Option<NaiveDate>,
    Option<NaiveDate>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<NaiveDate>,
);

/// A customer version: company, customer_id, absent, then `CUSTOMERS.columns`.
type CustomerVersion = (
    String,
    String,
    bool,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<bool>,
    Option<String>,
);

impl Store {
    /// Whether the book held on `day` may differ from today's: no for a day before the first
    /// good sync, whose book is aged as loaded since.
    async fn has_past(&self, day: NaiveDate) -> Result<bool, StoreError> {
        const FIRST: &str = "SELECT MIN(sync_date) FROM syncs WHERE status = 'ok'";
        let first: Option<NaiveDate> =
            on_pool!(self, pool => sqlx::query_scalar(FIRST).fetch_one(pool).await?);
        Ok(first.is_some_and(|first| day >= first))
    }

    /// The invoices of `scope` that the book held otherwise at the end of business date
    /// `day` than today: `(company, customer, tran_id, item then)`, none for one not loaded
    /// yet. Empty for a day before the first sync: the book loaded since is aged as it is.
    pub async fn invoices_then(
        &self,
        scope: Scope<'_>,
        day: NaiveDate,
    ) -> Result<Vec<(String, String, String, Option<Item>)>, StoreError> {
        if !self.has_past(day).await? {
            return Ok(Vec::new());
        }
        let sql = INVOICES.then_sql(scope, matches!(self, Store::Sqlite(_)));
        let rows: Vec<InvoiceVersion> = on_pool!(self, pool => {
            sqlx::query_as(&sql)
                .bind(scope.company)
                .bind(scope.customer)
                .bind(day)
                .fetch_all(pool)
                .await?
        });
        rows.into_iter()
            .map(|r| {
                let item = if r.2 { None } else { Some(item_of(&r)?) };
                Ok((r.0, r.3.unwrap_or_default(), r.1, item))
            })
            .collect()
    }

    /// The customers of one company, or of all, as the book held them at the end of business
    /// date `day`: each one a later sync changed as it was then, those it brought left out.
    pub async fn customers_as_of(
        &self,
        company: Option<&str>,
        day: NaiveDate,
    ) -> Result<Vec<CustomerRecord>, StoreError> {
        let today = self.customers(company).await?;
        if !self.has_past(day).await? {
            return Ok(today);
        }
        let scope = Scope::company(company);
        let sql = CUSTOMERS.then_sql(scope, matches!(self, Store::Sqlite(_)));
        let rows: Vec<CustomerVersion> = on_pool!(self, pool => {
            sqlx::query_as(&sql)
                .bind(scope.company)
                .bind(scope.customer)
                .bind(day)
                .fetch_all(pool)
                .await?
        });
        let mut then: HashMap<(String, String), Option<CustomerRecord>> = rows
            .into_iter()
            .map(|r| {
                let record = if r.2 { None } else { Some(customer_of(&r)?) };
                Ok(((r.0, r.1), record))
            })
            .collect::<Result<_, StoreError>>()?;
        if then.is_empty() {
            return Ok(today);
        }
        Ok(today
            .into_iter()
            .filter_map(
                |c| match then.remove(&(c.company_id.clone(), c.customer_id.clone())) {
                    Some(was) => was,
                    None => Some(c),
                },
            )
            .collect())
    }

    /// How many customers each company had at the end of business date `day`: today's,
    /// less those a later sync brought.
    pub async fn customer_counts_as_of(
        &self,
        day: NaiveDate,
    ) -> Result<HashMap<String, i64>, StoreError> {
        let mut counts = self.customer_counts().await?;
        if !self.has_past(day).await? {
            return Ok(counts);
        }
        // A customer is absent only before its first sync, so its earliest version after
        // `day` is the absent one whenever it came later.
        const SQL: &str = "SELECT v.company_id, COUNT(*) FROM customer_versions v \
             WHERE v.absent AND v.valid_to > $1 AND NOT EXISTS \
             (SELECT 1 FROM customer_versions w WHERE w.company_id = v.company_id \
             AND w.customer_id = v.customer_id AND w.valid_to > $1 \
             AND w.valid_to < v.valid_to) GROUP BY v.company_id";
        let later: Vec<(String, i64)> =
            on_pool!(self, pool => sqlx::query_as(SQL).bind(day).fetch_all(pool).await?);
        for (company, n) in later {
            if let Some(count) = counts.get_mut(&company) {
                *count -= n;
            }
        }
        Ok(counts)
    }
}

fn item_of(r: &InvoiceVersion) -> Result<Item, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("invoice version {}: {what}", r.1));
    let money = |m: Option<i64>| m.map(Money::from_raw).ok_or_else(|| corrupt("no amount"));
    Ok(Item {
        tran_type: r
            .4
            .as_deref()
            .unwrap_or_default()
            .parse::<TranType>()
            .map_err(|e| corrupt(&e))?,
        tran_date: r.5.ok_or_else(|| corrupt("no tran_date"))?,
        due_date: r.6,
        amount: money(r.7)?,
        balance: money(r.8)?,
        amount_hc: money(r.9)?,
        balance_hc: money(r.10)?,
        closing_date: r.11,
        excluded_hc: Money::ZERO,
        plan: None,
    })
}

fn customer_of(r: &CustomerVersion) -> Result<CustomerRecord, StoreError> {
    Ok(CustomerRecord {
        company_id: r.0.clone(),
        customer_id: r.1.clone(),
        name: r
            .3
            .clone()
            .ok_or_else(|| StoreError::Corrupt(format!("customer version {}: no name", r.1)))?,
        parent_id: r.4.clone(),
        customer_class: r.5.clone(),
        credit_class: r.6.clone(),
        status: r.7.clone(),
        currency: r.8.clone(),
        credit_limit: r.9.map(Money::from_raw),
        credit_hold: r.10.unwrap_or(false),
        assigned_user: r.11.clone(),
    })
}
