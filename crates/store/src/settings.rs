//! Site settings, kept as text and read through the domain's rules.

use arrears_domain::{SettingError, Settings};
use sqlx::Row;

use crate::tx::on_tx;
use crate::workflow::{Actor, NewEvent, json};
use crate::{Store, StoreError, on_pool};

impl Store {
    /// The site settings: the defaults, overridden by what was set.
    pub async fn settings(&self) -> Result<Settings, StoreError> {
        let rows: Vec<(String, String)> = on_pool!(self, pool => {
            sqlx::query("SELECT key, value FROM settings ORDER BY key")
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<_, sqlx::Error>>()?
        });
        let mut settings = Settings::default();
        for (key, value) in rows {
            settings
                .set(&key, &value)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        }
        Ok(settings)
    }

    /// Sets one setting after checking it; an empty value restores the default. The change
    /// is appended to the event log, with the text before and after.
    pub async fn set_setting(
        &self,
        key: &str,
        value: &str,
        actor: Actor<'_>,
    ) -> Result<Result<(), SettingError>, StoreError> {
        const MANAGER: &str = "SELECT COUNT(*) FROM users WHERE user_id = $1 AND role = 'manager'";
        const DELETE: &str = "DELETE FROM settings WHERE key = $1";
        const UPSERT: &str = "INSERT INTO settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value";
        let mut settings = self.settings().await?;
        let before = settings.get(key).ok();
        if let Err(e) = settings.set(key, value) {
            return Ok(Err(e));
        }
        let value = if value.trim().is_empty() {
            String::new()
        } else {
            settings.get(key).unwrap_or_default()
        };
        if key == "unassigned_team" && !value.is_empty() {
            let managers: i64 = on_pool!(self, pool => {
                sqlx::query_scalar(MANAGER).bind(&value).fetch_one(pool).await?
            });
            if managers == 0 {
                return Ok(Err(SettingError::Invalid {
                    key: key.to_owned(),
                    why: format!("no manager {value:?}; the pool is given to a manager's team"),
                }));
            }
        }
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, t => {
            if value.is_empty() {
                sqlx::query(DELETE).bind(key).execute(&mut **t).await?;
            } else {
                sqlx::query(UPSERT).bind(key).bind(&value).execute(&mut **t).await?;
            }
        });
        let event = NewEvent {
            company_id: None,
            customer_id: None,
            entity: "setting",
            entity_id: key.to_owned(),
            action: "set",
            before: before.as_ref().and_then(json),
            after: settings.get(key).ok().as_ref().and_then(json),
        };
        tx.log_event(actor, &event).await?;
        tx.commit().await?;
        Ok(Ok(()))
    }
}
