//! What users keep at their desk: account notes and named views of My Accounts.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use crate::{Store, StoreError, on_pool};

/// A note on an account.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct AccountNote {
    pub note_id: i64,
    pub company_id: String,
    pub customer_id: String,
    pub note: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// A named view of My Accounts: its query as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, FromRow)]
pub struct SavedView {
    pub user_id: String,
    pub name: String,
    pub filter: String,
    pub sort: String,
    pub columns: String,
    pub per_page: String,
    pub is_default: bool,
}

impl Store {
    /// An account's notes, newest first.
    pub async fn account_notes(
        &self,
        company: &str,
        customer: &str,
    ) -> Result<Vec<AccountNote>, StoreError> {
        const SQL: &str = "SELECT note_id, company_id, customer_id, note, created_at, created_by \
             FROM account_notes WHERE company_id = $1 AND customer_id = $2 ORDER BY note_id DESC";
        Ok(on_pool!(self, pool => {
            sqlx::query_as(SQL).bind(company).bind(customer).fetch_all(pool).await?
        }))
    }

    /// Adds a note; its id.
    pub async fn add_account_note(
        &self,
        company: &str,
        customer: &str,
        note: &str,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        const SQL: &str = "INSERT INTO account_notes (company_id, customer_id, note, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5) RETURNING note_id";
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar(SQL).bind(company).bind(customer).bind(note).bind(at).bind(by)
                .fetch_one(pool).await?
        }))
    }

    /// A user's views, by name.
    pub async fn saved_views(&self, user_id: &str) -> Result<Vec<SavedView>, StoreError> {
        const SQL: &str = "SELECT user_id, name, filter, sort, columns, per_page, is_default \
             FROM saved_views WHERE user_id = $1 ORDER BY name";
        Ok(on_pool!(self, pool => sqlx::query_as(SQL).bind(user_id).fetch_all(pool).await?))
    }

    /// Saves a view under its name, replacing one of the same name; a default view makes
    /// the user's other views not the default.
    pub async fn save_view(&self, view: &SavedView) -> Result<(), StoreError> {
        const CLEAR: &str = "UPDATE saved_views SET is_default = $2 WHERE user_id = $1 AND $3";
        const SQL: &str = "INSERT INTO saved_views (user_id, name, filter, sort, columns, per_page, is_default) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (user_id, name) DO UPDATE SET \
             filter = excluded.filter, sort = excluded.sort, columns = excluded.columns, \
             per_page = excluded.per_page, is_default = excluded.is_default";
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(CLEAR).bind(&view.user_id).bind(false).bind(view.is_default).execute(&mut *tx).await?;
            sqlx::query(SQL)
                .bind(&view.user_id)
                .bind(&view.name)
                .bind(&view.filter)
                .bind(&view.sort)
                .bind(&view.columns)
                .bind(&view.per_page)
                .bind(view.is_default)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Deletes a view; false when there was none of that name.
    pub async fn delete_view(&self, user_id: &str, name: &str) -> Result<bool, StoreError> {
        const SQL: &str = "DELETE FROM saved_views WHERE user_id = $1 AND name = $2";
        let n = on_pool!(self, pool => {
            sqlx::query(SQL).bind(user_id).bind(name).execute(pool).await?.rows_affected()
        });
        Ok(n == 1)
    }
}

/// A customer's contact.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct Contact {
    pub contact_id: String,
    pub name: String,
    pub title: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub fax: Option<String>,
    pub is_primary: bool,
    pub include_in_email: bool,
}

impl Store {
    /// A customer's contacts, the primary first.
    pub async fn contacts(
        &self,
        company: &str,
        customer: &str,
    ) -> Result<Vec<Contact>, StoreError> {
        const SQL: &str = "SELECT contact_id, name, title, email, phone, fax, is_primary, include_in_email \
             FROM contacts WHERE company_id = $1 AND customer_id = $2 \
             ORDER BY is_primary DESC, contact_id";
        Ok(on_pool!(self, pool => {
            sqlx::query_as(SQL).bind(company).bind(customer).fetch_all(pool).await?
        }))
    }
}
