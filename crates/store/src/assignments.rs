//! Customers assigned to users by an admin in Arrears. The customer's `assigned_user` is the
//! assignment in force, so every query that scopes by it keeps working; an admin's assignment
//! is also kept in `assignments`, with what customers.csv said, so that a later sync keeps it
//! (noting the file's new word) until an admin hands the customer back to the sync's
//! assignment. Each change is logged, and the customer row it replaces kept for the aging of
//! past dates.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::tx::on_tx;
use crate::workflow::{Actor, NewEvent, json};
use crate::{Change, CustomerRow, Store, StoreError, Tx, on_pool};

/// Who a customer is assigned to, and where that comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Assignment {
    pub company_id: String,
    pub customer_id: String,
    /// The assignment in force; none: the company's unassigned pool.
    pub assigned_user: Option<String>,
    /// `arrears` when an admin set it here, `sync` when it is customers.csv's.
    pub source: &'static str,
    /// What customers.csv says.
    pub sync_user: Option<String>,
    pub assigned_by: Option<String>,
    pub assigned_on: Option<NaiveDate>,
    pub assigned_at: Option<DateTime<Utc>>,
}

/// Where to put customers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignTo<'a> {
    /// To a user, or with none to the unassigned pool, whatever later syncs say.
    User(Option<&'a str>),
    /// Back to what customers.csv says, now and at every later sync.
    Sync,
}

/// Why an assignment was refused; nothing was written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AssignRefused {
    #[error("no user {0:?}")]
    UnknownUser(String),
    #[error("no customer {1:?} in company {0:?}")]
    UnknownCustomer(String, String),
}

/// A customer's assignment row: company, customer, assigned_user, pinned, user_id, sync_user,
/// assigned_by, assigned_on, assigned_at.
type Read = (
    String,
    String,
    Option<String>,
    bool,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<NaiveDate>,
    Option<DateTime<Utc>>,
);

const READ: &str = "SELECT c.company_id, c.customer_id, c.assigned_user, \
     a.company_id IS NOT NULL, a.user_id, a.sync_user, a.assigned_by, a.assigned_on, \
     a.assigned_at FROM customers c LEFT JOIN assignments a \
     ON a.company_id = c.company_id AND a.customer_id = c.customer_id \
     WHERE c.company_id = $1 AND c.customer_id = $2";

fn assignment(r: Read) -> Assignment {
    let (company_id, customer_id, assigned_user, pinned, _, sync_user, by, on, at) = r;
    Assignment {
        company_id,
        customer_id,
        sync_user: if pinned {
            sync_user
        } else {
            assigned_user.clone()
        },
        assigned_user,
        source: if pinned { "arrears" } else { "sync" },
        assigned_by: by,
        assigned_on: on,
        assigned_at: at,
    }
}

impl Tx {
    async fn assignment(
        &mut self,
        company: &str,
        customer: &str,
    ) -> Result<Option<Assignment>, StoreError> {
        let row: Option<Read> = on_tx!(self, tx => {
            sqlx::query_as(READ).bind(company).bind(customer).fetch_optional(&mut **tx).await?
        });
        Ok(row.map(assignment))
    }

    /// The customers an admin assigned in Arrears: a sync must keep their assignment.
    pub async fn assigned_in_arrears(&mut self) -> Result<HashSet<(String, String)>, StoreError> {
        const SQL: &str = "SELECT company_id, customer_id FROM assignments";
        let rows: Vec<(String, String)> = on_tx!(self, tx => {
            sqlx::query_as(SQL).fetch_all(&mut **tx).await?
        });
        Ok(rows.into_iter().collect())
    }

    /// After a sync wrote customer `rows`: each one an admin assigned in Arrears (in `kept`)
    /// gets its admin's assignment back, and what customers.csv now says is noted.
    pub async fn keep_assignments(
        &mut self,
        rows: &[Change<CustomerRow>],
        kept: &HashSet<(String, String)>,
    ) -> Result<(), StoreError> {
        const NOTE: &str =
            "UPDATE assignments SET sync_user = $1 WHERE company_id = $2 AND customer_id = $3";
        const KEEP: &str = "UPDATE customers SET assigned_user = (SELECT a.user_id \
             FROM assignments a WHERE a.company_id = customers.company_id \
             AND a.customer_id = customers.customer_id) \
             WHERE company_id = $1 AND customer_id = $2";
        if kept.is_empty() {
            return Ok(());
        }
        for change in rows {
            let r = &change.row;
            if change.new || !kept.contains(&(r.company_id.clone(), r.customer_id.clone())) {
                continue;
            }
            on_tx!(self, tx => {
                sqlx::query(NOTE)
                    .bind(r.text("assigned_user"))
                    .bind(&r.company_id)
                    .bind(&r.customer_id)
                    .execute(&mut **tx)
                    .await?;
                sqlx::query(KEEP)
                    .bind(&r.company_id)
                    .bind(&r.customer_id)
                    .execute(&mut **tx)
                    .await?;
            });
        }
        Ok(())
    }

    /// Puts one customer where `to` says; whether its assignment changed.
    async fn assign_one(
        &mut self,
        actor: Actor<'_>,
        before: &Assignment,
        to: AssignTo<'_>,
    ) -> Result<bool, StoreError> {
        const PIN: &str = "INSERT INTO assignments (company_id, customer_id, user_id, sync_user, \
             assigned_by, assigned_on, assigned_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (company_id, customer_id) DO UPDATE SET user_id = excluded.user_id, \
             assigned_by = excluded.assigned_by, assigned_on = excluded.assigned_on, \
             assigned_at = excluded.assigned_at";
        const UNPIN: &str = "DELETE FROM assignments WHERE company_id = $1 AND customer_id = $2";
        const SET: &str =
            "UPDATE customers SET assigned_user = $1 WHERE company_id = $2 AND customer_id = $3";
        let (company, customer) = (before.company_id.as_str(), before.customer_id.as_str());
        let (user, action) = match to {
            AssignTo::User(user) => {
                if before.source == "arrears" && before.assigned_user.as_deref() == user {
                    return Ok(false);
                }
                on_tx!(self, tx => {
                    sqlx::query(PIN)
                        .bind(company)
                        .bind(customer)
                        .bind(user)
                        .bind(&before.sync_user)
                        .bind(actor.user_id)
                        .bind(actor.business_date)
                        .bind(actor.at)
                        .execute(&mut **tx)
                        .await?;
                });
                (user, "assign")
            }
            AssignTo::Sync => {
                if before.source == "sync" {
                    return Ok(false);
                }
                on_tx!(self, tx => {
                    sqlx::query(UNPIN).bind(company).bind(customer).execute(&mut **tx).await?;
                });
                (before.sync_user.as_deref(), "to_sync")
            }
        };
        self.keep_customer(actor.business_date, company, customer)
            .await?;
        on_tx!(self, tx => {
            sqlx::query(SET).bind(user).bind(company).bind(customer).execute(&mut **tx).await?;
        });
        let after = self.assignment(company, customer).await?;
        let event = NewEvent {
            company_id: Some(company),
            customer_id: Some(customer),
            entity: "assignment",
            entity_id: customer.to_owned(),
            action,
            before: json(before),
            after: after.as_ref().and_then(json),
        };
        self.log_event(actor, &event).await?;
        Ok(true)
    }
}

impl Store {
    /// The customers an admin assigned here, by company and id.
    pub async fn assignments(&self) -> Result<Vec<Assignment>, StoreError> {
        const SQL: &str = "SELECT c.company_id, c.customer_id, c.assigned_user, TRUE, \
             a.user_id, a.sync_user, a.assigned_by, a.assigned_on, a.assigned_at \
             FROM assignments a JOIN customers c \
             ON c.company_id = a.company_id AND c.customer_id = a.customer_id \
             ORDER BY c.company_id, c.customer_id";
        let rows: Vec<Read> = on_pool!(self, pool => sqlx::query_as(SQL).fetch_all(pool).await?);
        Ok(rows.into_iter().map(assignment).collect())
    }

    /// Who a customer is assigned to and why; none when there is no such customer.
    pub async fn assignment(
        &self,
        company: &str,
        customer: &str,
    ) -> Result<Option<Assignment>, StoreError> {
        let row: Option<Read> = on_pool!(self, pool => {
            sqlx::query_as(READ).bind(company).bind(customer).fetch_optional(pool).await?
        });
        Ok(row.map(assignment))
    }

    /// Puts every customer of `customers` (company, customer) where `to` says, all or none,
    /// logging each one that changed; how many changed.
    pub async fn assign(
        &self,
        actor: Actor<'_>,
        customers: &[(String, String)],
        to: AssignTo<'_>,
    ) -> Result<Result<usize, AssignRefused>, StoreError> {
        self.assign_or_preview(actor, customers, to, true).await
    }

    /// How many of `customers` [`Store::assign`] would move, writing nothing.
    pub async fn assign_preview(
        &self,
        customers: &[(String, String)],
        to: AssignTo<'_>,
    ) -> Result<Result<usize, AssignRefused>, StoreError> {
        let actor = Actor {
            user_id: "preview",
            at: Utc::now(),
            business_date: Utc::now().date_naive(),
        };
        self.assign_or_preview(actor, customers, to, false).await
    }

    async fn assign_or_preview(
        &self,
        actor: Actor<'_>,
        customers: &[(String, String)],
        to: AssignTo<'_>,
        write: bool,
    ) -> Result<Result<usize, AssignRefused>, StoreError> {
        const USER: &str = "SELECT COUNT(*) FROM users WHERE user_id = $1";
        let mut tx = self.begin().await?;
        if let AssignTo::User(Some(user)) = to {
            let known: i64 = on_tx!(&mut tx, t => {
                sqlx::query_scalar(USER).bind(user).fetch_one(&mut **t).await?
            });
            if known == 0 {
                tx.rollback().await?;
                return Ok(Err(AssignRefused::UnknownUser(user.to_owned())));
            }
        }
        let mut changed = 0;
        for (company, customer) in customers {
            let Some(before) = tx.assignment(company, customer).await? else {
                tx.rollback().await?;
                return Ok(Err(AssignRefused::UnknownCustomer(
                    company.clone(),
                    customer.clone(),
                )));
            };
            if tx.assign_one(actor, &before, to).await? {
                changed += 1;
            }
        }
        if write {
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        Ok(Ok(changed))
    }
}
