//! Signing in: users' passwords, sessions, API tokens and the sign-in log.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use crate::tx::on_tx;
use crate::workflow::{Actor, NewEvent};
use crate::{Store, StoreError, UserRow, on_pool};

/// A change to a user's sign-in, for the event log.
fn user_event(user_id: &str, action: &'static str, after: serde_json::Value) -> NewEvent<'static> {
    NewEvent {
        company_id: None,
        customer_id: None,
        entity: "user",
        entity_id: user_id.to_owned(),
        action,
        before: None,
        after: Some(after.to_string()),
    }
}

/// A user with what signing in needs.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct Account {
    pub user_id: String,
    pub name: String,
    pub email: Option<String>,
    pub role: String,
    pub manager: Option<String>,
    pub active: bool,
    pub password_hash: Option<String>,
    pub disabled: bool,
    /// Failed sign-ins in a row.
    pub failed: i64,
    pub locked_until: Option<DateTime<Utc>>,
}

/// A signed-in browser's session.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct Session {
    pub user_id: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

/// An API token, without its secret.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct Token {
    pub token_id: i64,
    pub user_id: String,
    pub name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// One sign-in attempt, good or bad.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct SignIn {
    pub at: DateTime<Utc>,
    pub user_id: String,
    pub ok: bool,
    pub outcome: String,
    pub client: Option<String>,
}

const ACCOUNT: &str = "SELECT u.user_id, u.name, u.email, u.role, u.manager, u.active, \
     l.password_hash, COALESCE(l.disabled, $2) AS disabled, COALESCE(l.failed, 0) AS failed, \
     l.locked_until FROM users u LEFT JOIN logins l ON l.user_id = u.user_id";

/// Makes sure the user has a row in `logins`, so that updates have something to change.
const ENSURE_LOGIN: &str =
    "INSERT INTO logins (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING";

impl Store {
    /// One user, with their sign-in state.
    pub async fn account(&self, user_id: &str) -> Result<Option<Account>, StoreError> {
        let sql = format!("{ACCOUNT} WHERE u.user_id = $1");
        Ok(on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(user_id).bind(false).fetch_optional(pool).await?
        }))
    }

    /// Every user, by id.
    pub async fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        let sql = format!("{ACCOUNT} WHERE $1 IS NULL ORDER BY u.user_id");
        Ok(on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(None::<String>).bind(false).fetch_all(pool).await?
        }))
    }

    /// Adds a user who is not in the store yet; false when the id is taken.
    pub async fn add_user(&self, user: &UserRow, actor: Actor<'_>) -> Result<bool, StoreError> {
        const SQL: &str = "INSERT INTO users (user_id, name, email, role, manager, active, row_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, 0) ON CONFLICT (user_id) DO NOTHING";
        let mut tx = self.begin().await?;
        let added = on_tx!(&mut tx, tx => {
            sqlx::query(SQL)
                .bind(&user.user_id)
                .bind(&user.name)
                .bind(&user.email)
                .bind(&user.role)
                .bind(&user.manager)
                .bind(user.active)
                .execute(&mut **tx)
                .await?
                .rows_affected()
        });
        if added != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        let after = serde_json::json!({
            "user_id": user.user_id,
            "name": user.name,
            "email": user.email,
            "role": user.role,
            "manager": user.manager,
            "active": user.active,
        });
        tx.log_event(actor, &user_event(&user.user_id, "create", after))
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Sets a user's password hash and clears their failed sign-ins and lock; the event log
    /// records that it was set, never the hash.
    pub async fn set_password_hash(
        &self,
        user_id: &str,
        hash: &str,
        actor: Actor<'_>,
    ) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE logins SET password_hash = $2, failed = 0, locked_until = NULL WHERE user_id = $1";
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, tx => {
            sqlx::query(ENSURE_LOGIN).bind(user_id).execute(&mut **tx).await?;
            sqlx::query(SQL).bind(user_id).bind(hash).execute(&mut **tx).await?;
        });
        let after = serde_json::json!({ "password": "set" });
        tx.log_event(actor, &user_event(user_id, "set_password", after))
            .await?;
        tx.commit().await
    }

    /// Disables (signing the user out everywhere) or enables a user.
    pub async fn set_disabled(
        &self,
        user_id: &str,
        disabled: bool,
        actor: Actor<'_>,
    ) -> Result<(), StoreError> {
        const WAS: &str = "SELECT disabled FROM logins WHERE user_id = $1";
        const SQL: &str = "UPDATE logins SET disabled = $2 WHERE user_id = $1";
        const END_SESSIONS: &str = "DELETE FROM sessions WHERE user_id = $1 AND $2";
        let mut tx = self.begin().await?;
        let was: Option<bool> = on_tx!(&mut tx, tx => {
            let was = sqlx::query_scalar(WAS).bind(user_id).fetch_optional(&mut **tx).await?;
            sqlx::query(ENSURE_LOGIN).bind(user_id).execute(&mut **tx).await?;
            sqlx::query(SQL).bind(user_id).bind(disabled).execute(&mut **tx).await?;
            sqlx::query(END_SESSIONS).bind(user_id).bind(disabled).execute(&mut **tx).await?;
            was
        });
        let mut event = user_event(
            user_id,
            if disabled { "disable" } else { "enable" },
            serde_json::json!({ "disabled": disabled }),
        );
        event.before = Some(serde_json::json!({ "disabled": was.unwrap_or(false) }).to_string());
        tx.log_event(actor, &event).await?;
        tx.commit().await
    }

    /// Records a user's failed sign-ins in a row and the lock they earned, if any.
    pub async fn set_failures(
        &self,
        user_id: &str,
        failed: i64,
        locked_until: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE logins SET failed = $2, locked_until = $3 WHERE user_id = $1";
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(ENSURE_LOGIN).bind(user_id).execute(&mut *tx).await?;
            sqlx::query(SQL).bind(user_id).bind(failed).bind(locked_until).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Logs a sign-in attempt.
    pub async fn log_sign_in(&self, attempt: &SignIn) -> Result<(), StoreError> {
        const SQL: &str =
            "INSERT INTO sign_ins (at, user_id, ok, outcome, client) VALUES ($1, $2, $3, $4, $5)";
        on_pool!(self, pool => {
            sqlx::query(SQL)
                .bind(attempt.at)
                .bind(&attempt.user_id)
                .bind(attempt.ok)
                .bind(&attempt.outcome)
                .bind(&attempt.client)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The latest sign-in attempts, newest first.
    pub async fn sign_ins(&self, limit: i64) -> Result<Vec<SignIn>, StoreError> {
        const SQL: &str = "SELECT at, user_id, ok, outcome, client FROM sign_ins \
             ORDER BY sign_in_id DESC LIMIT $1";
        Ok(on_pool!(self, pool => sqlx::query_as(SQL).bind(limit).fetch_all(pool).await?))
    }

    /// Failed sign-ins from one client since a moment.
    pub async fn failures_from(
        &self,
        client: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>, StoreError> {
        const SQL: &str = "SELECT at FROM sign_ins WHERE client = $1 AND ok = $2 ORDER BY sign_in_id DESC LIMIT 100";
        let all: Vec<DateTime<Utc>> = on_pool!(self, pool => {
            sqlx::query_scalar(SQL).bind(client).bind(false).fetch_all(pool).await?
        });
        Ok(all.into_iter().filter(|at| *at >= since).collect())
    }

    pub async fn create_session(
        &self,
        session_hash: &str,
        session: &Session,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        const SQL: &str = "INSERT INTO sessions (session_hash, user_id, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)";
        on_pool!(self, pool => {
            sqlx::query(SQL)
                .bind(session_hash)
                .bind(&session.user_id)
                .bind(&session.csrf_token)
                .bind(now)
                .bind(session.expires_at)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    pub async fn session(&self, session_hash: &str) -> Result<Option<Session>, StoreError> {
        const SQL: &str =
            "SELECT user_id, csrf_token, expires_at FROM sessions WHERE session_hash = $1";
        Ok(on_pool!(self, pool => {
            sqlx::query_as(SQL).bind(session_hash).fetch_optional(pool).await?
        }))
    }

    /// Ends one session, and any that have expired.
    pub async fn end_session(
        &self,
        session_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        const SQL: &str = "DELETE FROM sessions WHERE session_hash = $1";
        const EXPIRED: &str = "SELECT session_hash, expires_at FROM sessions";
        on_pool!(self, pool => {
            let all: Vec<(String, DateTime<Utc>)> = sqlx::query_as(EXPIRED).fetch_all(pool).await?;
            let gone = all.into_iter().filter(|(_, e)| *e <= now).map(|(h, _)| h);
            for hash in std::iter::once(session_hash.to_owned()).chain(gone) {
                sqlx::query(SQL).bind(hash).execute(pool).await?;
            }
        });
        Ok(())
    }

    /// Stores a new token's hash; its id.
    pub async fn create_token(
        &self,
        user_id: &str,
        name: Option<&str>,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        const SQL: &str = "INSERT INTO api_tokens (user_id, name, token_hash, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING token_id";
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar(SQL).bind(user_id).bind(name).bind(token_hash).bind(now)
                .fetch_one(pool).await?
        }))
    }

    /// The user of a token that has not been revoked, noting its use.
    pub async fn token_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError> {
        const SQL: &str = "UPDATE api_tokens SET last_used_at = $2 \
             WHERE token_hash = $1 AND revoked_at IS NULL RETURNING user_id";
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar(SQL).bind(token_hash).bind(now).fetch_optional(pool).await?
        }))
    }

    /// Revokes a token; false when there is no such token or it was revoked already.
    pub async fn revoke_token(
        &self,
        token_id: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        const SQL: &str =
            "UPDATE api_tokens SET revoked_at = $2 WHERE token_id = $1 AND revoked_at IS NULL";
        let n = on_pool!(self, pool => {
            sqlx::query(SQL).bind(token_id).bind(now).execute(pool).await?.rows_affected()
        });
        Ok(n == 1)
    }

    /// One user's tokens, or everyone's, newest first.
    pub async fn tokens(&self, user_id: Option<&str>) -> Result<Vec<Token>, StoreError> {
        const SQL: &str = "SELECT token_id, user_id, name, created_at, last_used_at, revoked_at \
             FROM api_tokens WHERE ($1 IS NULL OR user_id = $1) ORDER BY token_id DESC";
        Ok(on_pool!(self, pool => sqlx::query_as(SQL).bind(user_id).fetch_all(pool).await?))
    }
}

/// The users whose customers a viewer sees, as section 4 of the contract says; the same
/// scope as [`crate::bulk::seen_by`], held in memory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeenUsers {
    /// Every customer (admins).
    pub all: bool,
    pub users: Vec<String>,
    /// The customers no one is assigned.
    pub unassigned: bool,
}

impl SeenUsers {
    /// Whether a customer assigned to `user` (none: the unassigned pool) is seen.
    pub fn sees(&self, user: Option<&str>) -> bool {
        self.all
            || match user {
                None => self.unassigned,
                Some(u) => self.users.iter().any(|s| s == u),
            }
    }
}

impl Store {
    /// Whose customers `viewer` sees.
    pub async fn seen_users(&self, viewer: crate::Viewer<'_>) -> Result<SeenUsers, StoreError> {
        use arrears_domain::Role;
        const TEAM: &str = "SELECT user_id FROM users WHERE manager = $1";
        const PEERS: &str = "SELECT t.user_id FROM users t JOIN users me ON t.manager = me.manager \
             WHERE me.user_id = $1";
        let me = viewer.user_id.to_owned();
        let (sql, unassigned) = match viewer.role {
            Role::Admin => {
                return Ok(SeenUsers {
                    all: true,
                    ..SeenUsers::default()
                });
            }
            Role::Inquiry => {
                return Ok(SeenUsers {
                    users: vec![me],
                    ..SeenUsers::default()
                });
            }
            Role::Manager => (TEAM, true),
            Role::Collector => (PEERS, true),
        };
        const MANAGER: &str = "SELECT manager FROM users WHERE user_id = $1";
        let unassigned = match self.settings().await?.unassigned_team {
            None => unassigned,
            Some(team) if viewer.role == Role::Manager => team == me,
            Some(team) => {
                let manager: Option<Option<String>> = on_pool!(self, pool => {
                    sqlx::query_scalar(MANAGER).bind(viewer.user_id).fetch_optional(pool).await?
                });
                manager.flatten().as_deref() == Some(team.as_str())
            }
        };
        let mut users: Vec<String> = on_pool!(self, pool => {
            sqlx::query_scalar(sql).bind(viewer.user_id).fetch_all(pool).await?
        });
        users.push(me);
        users.sort();
        users.dedup();
        Ok(SeenUsers {
            all: false,
            users,
            unassigned,
        })
    }

    /// After a large write: fresh planner statistics for `tables` on PostgreSQL, so that the
    /// next queries are planned for what the tables now hold rather than what they held (the
    /// server's own analysis comes later, and a table it still thinks empty is read whole).
    /// SQLite plans without them.
    pub async fn refresh_statistics(&self, tables: &[&str]) -> Result<(), StoreError> {
        if let Store::Postgres(pool) = self {
            use futures_util::{StreamExt, TryStreamExt};
            // Two at a time, a connection each. Table names are the store's own constants,
            // never input.
            let statements: Vec<String> = tables.iter().map(|t| format!("ANALYZE {t}")).collect();
            futures_util::stream::iter(statements)
                .map(|sql| {
                    let pool = pool.clone();
                    async move { sqlx::query(&sql).execute(&pool).await }
                })
                .buffer_unordered(2)
                .try_collect::<Vec<_>>()
                .await?;
        }
        Ok(())
    }

    /// What the figures and the work depend on: a sync, a generate run, new work on issues,
    /// the settings. Views cached by it stay exact. Index lookups only, so that every page can
    /// ask.
    pub async fn book_version(&self) -> Result<BookVersion, StoreError> {
        const SQL: &str = "SELECT \
             (SELECT COALESCE(MAX(sync_id), 0) FROM syncs), \
             (SELECT COALESCE(MAX(run_id), 0) FROM generate_runs), \
             (SELECT COALESCE(MAX(issue_id), 0) FROM issues), \
             (SELECT COALESCE(MAX(activity_id), 0) FROM activities), \
             (SELECT COALESCE(MAX(event_id), 0) FROM events)";
        const SETTINGS: &str = "SELECT key, value FROM settings ORDER BY key";
        type Counts = (i64, i64, i64, i64, i64);
        let (counts, settings): (Counts, Vec<(String, String)>) = on_pool!(self, pool => {
            (
                sqlx::query_as(SQL).fetch_one(pool).await?,
                sqlx::query_as(SETTINGS).fetch_all(pool).await?,
            )
        });
        let (syncs, runs, issues, activities, events) = counts;
        let settings: Vec<String> = settings
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        Ok(BookVersion {
            syncs,
            runs,
            issues,
            activities,
            events,
            settings: settings.join(";"),
        })
    }

    /// The records the event log shows changed after event `after`, in order, at most
    /// `limit` of them: (company, customer, kind of record).
    pub async fn changed_since(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(Option<String>, Option<String>, String)>, StoreError> {
        const SQL: &str = "SELECT company_id, customer_id, entity FROM events \
             WHERE event_id > $1 ORDER BY event_id LIMIT $2";
        Ok(on_pool!(self, pool => {
            sqlx::query_as(SQL).bind(after).bind(limit).fetch_all(pool).await?
        }))
    }
}

/// Where the book stands: the last sync, generate run, issue, activity and logged change,
/// and the settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BookVersion {
    pub syncs: i64,
    pub runs: i64,
    pub issues: i64,
    pub activities: i64,
    pub events: i64,
    /// Every setting as `key=value`, `;` between.
    pub settings: String,
}

impl BookVersion {
    /// Whether only work was logged since `self`: no sync, run or setting came between.
    pub fn only_work_since(&self, later: &BookVersion) -> bool {
        self.syncs == later.syncs
            && self.runs == later.runs
            && self.settings == later.settings
            && self.events <= later.events
    }
}
