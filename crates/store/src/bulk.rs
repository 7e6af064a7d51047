//! Reading many rows on either store with one mapping: SQLite rows come straight from the
//! connection's own handle (the driver would copy every value first), PostgreSQL rows
//! through the driver.

use arrears_domain::Role;
use chrono::NaiveDate;
use futures_util::TryStreamExt;
use sqlx::Row as _;
use sqlx::postgres::PgRow;

use crate::{Store, StoreError};

/// Which customers a read is about: all, one company's, or one customer's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Scope<'a> {
    pub company: Option<&'a str>,
    pub customer: Option<&'a str>,
}

impl<'a> Scope<'a> {
    pub const ALL: Scope<'static> = Scope {
        company: None,
        customer: None,
    };

    pub fn company(company: Option<&'a str>) -> Scope<'a> {
        Scope {
            company,
            customer: None,
        }
    }

    pub fn customer(company: &'a str, customer: &'a str) -> Scope<'a> {
        Scope {
            company: Some(company),
            customer: Some(customer),
        }
    }
}

/// Whose customers a signed-in user sees (section 4 of the contract): an admin all; a
/// manager their own, their team's and the unassigned pool; a collector their own, their
/// team's (the users with the same manager) and the unassigned pool; inquiry their own. When
/// the `unassigned_team` setting gives the pool to one manager's team, only that team sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Viewer<'a> {
    pub user_id: &'a str,
    pub role: Role,
}

/// The manager whose team the unassigned pool is given to (the `unassigned_team` setting);
/// null when every team shares it.
const POOL: &str = "(SELECT value FROM settings WHERE key = 'unassigned_team')";

/// The condition on `customers` (columns qualified by `prefix`) that keeps the customers
/// `viewer` sees, with the viewer's id as parameter `$3`; every customer when there is none.
pub(crate) fn seen_by(prefix: &str, viewer: Option<Viewer<'_>>) -> String {
    let user = format!("{prefix}assigned_user");
    match viewer.map(|v| v.role) {
        None | Some(Role::Admin) => "($3 IS NULL OR $3 IS NOT NULL)".to_owned(),
        Some(Role::Manager) => format!(
            "(({user} IS NULL AND COALESCE({POOL}, $3) = $3) OR {user} = $3 \
             OR {user} IN (SELECT user_id FROM users WHERE manager = $3))"
        ),
        Some(Role::Collector) => format!(
            "(({user} IS NULL AND COALESCE({POOL}, '') IN ('', \
                 COALESCE((SELECT manager FROM users WHERE user_id = $3), ''))) \
             OR {user} = $3 OR {user} IN (SELECT t.user_id FROM users t \
             JOIN users me ON t.manager = me.manager WHERE me.user_id = $3))"
        ),
        Some(Role::Inquiry) => format!("{user} = $3"),
    }
}

/// The condition that keeps the rows in `scope`, on columns qualified by `prefix` (`"i."`,
/// or `""`): `company_id = $1` when there is a company, `$1 IS NULL` when there is none (and
/// the same for the customer and `$2`), so that the planner can use the key's index.
pub(crate) fn scoped(prefix: &str, scope: Scope<'_>) -> String {
    let company = match scope.company {
        Some(_) => format!("{prefix}company_id = $1"),
        None => "$1 IS NULL".to_owned(),
    };
    let customer = match scope.customer {
        Some(_) => format!("{prefix}customer_id = $2"),
        None => "$2 IS NULL".to_owned(),
    };
    format!("{company} AND {customer}")
}

/// The columns of one row, by position.
pub(crate) trait Cols {
    fn text(&self, i: usize) -> Result<Option<String>, StoreError>;
    fn int(&self, i: usize) -> Result<Option<i64>, StoreError>;
    fn date(&self, i: usize) -> Result<Option<NaiveDate>, StoreError>;
    fn flag(&self, i: usize) -> Result<bool, StoreError>;

    fn required_text(&self, i: usize) -> Result<String, StoreError> {
        self.text(i)?.ok_or_else(|| missing(i))
    }

    fn required_int(&self, i: usize) -> Result<i64, StoreError> {
        self.int(i)?.ok_or_else(|| missing(i))
    }

    fn required_date(&self, i: usize) -> Result<NaiveDate, StoreError> {
        self.date(i)?.ok_or_else(|| missing(i))
    }
}

fn missing(i: usize) -> StoreError {
    StoreError::Corrupt(format!(
        "column {} is empty where a value is required",
        i + 1
    ))
}

impl Cols for rusqlite::Row<'_> {
    fn text(&self, i: usize) -> Result<Option<String>, StoreError> {
        Ok(self.get(i)?)
    }

    fn int(&self, i: usize) -> Result<Option<i64>, StoreError> {
        Ok(self.get(i)?)
    }

    fn date(&self, i: usize) -> Result<Option<NaiveDate>, StoreError> {
        let text: Option<String> = self.get(i)?;
        text.map(|t| arrears_domain::parse_date(&t).map_err(StoreError::Corrupt))
            .transpose()
    }

    fn flag(&self, i: usize) -> Result<bool, StoreError> {
        Ok(self.get(i)?)
    }
}

impl Cols for PgRow {
    /// Without the driver's check of the column's type for each value, which a read of a
    /// million rows pays for each of their texts: any text the server sends decodes as one,
    /// and anything else fails to, as it would when checked.
    fn text(&self, i: usize) -> Result<Option<String>, StoreError> {
        Ok(self.try_get_unchecked(i)?)
    }

    fn int(&self, i: usize) -> Result<Option<i64>, StoreError> {
        Ok(self.try_get(i)?)
    }

    fn date(&self, i: usize) -> Result<Option<NaiveDate>, StoreError> {
        Ok(self.try_get(i)?)
    }

    fn flag(&self, i: usize) -> Result<bool, StoreError> {
        Ok(self.try_get(i)?)
    }
}

impl Store {
    /// Runs `sql` (whose parameters `$1` and `$2` are the scope's company and customer) and
    /// maps every row with `map`; `capacity` is how many rows to make room for up front.
    pub(crate) async fn read_rows<T>(
        &self,
        sql: &str,
        scope: Scope<'_>,
        capacity: usize,
        map: impl FnMut(&dyn Cols) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        self.read_rows_with(sql, &[scope.company, scope.customer], capacity, map)
            .await
    }

    /// Runs `sql` with its text parameters `$1`, `$2`, … and maps every row with `map`.
    pub(crate) async fn read_rows_with<T>(
        &self,
        sql: &str,
        params: &[Option<&str>],
        capacity: usize,
        mut map: impl FnMut(&dyn Cols) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        match self {
            Store::Sqlite(pool) => {
                let mut conn = pool.acquire().await?;
                crate::sqlite::with_handle(&mut conn, |c| {
                    let mut statement = c.prepare(sql)?;
                    let mut rows = statement.query(rusqlite::params_from_iter(params))?;
                    let mut out = Vec::with_capacity(capacity);
                    while let Some(row) = rows.next()? {
                        match map(row) {
                            Ok(value) => out.push(value),
                            Err(e) => return Ok(Err(e)),
                        }
                    }
                    Ok(Ok(out))
                })
                .await?
            }
            Store::Postgres(pool) => {
                let mut query = sqlx::query(sql);
                for p in params {
                    query = query.bind(*p);
                }
                // Row by row as they come: a row's buffer is freed (and reused for the next)
                // once it is read, instead of a million of them held until the last arrives.
                let mut rows = query.fetch(pool);
                let mut out = Vec::with_capacity(capacity);
                while let Some(row) = rows.try_next().await? {
                    out.push(map(&row)?);
                }
                Ok(out)
            }
        }
    }
}
