//! Site settings, kept as text and read through the domain's rules.

use arrears_domain::{SettingError, Settings};
use sqlx::Row;

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

    /// Sets one setting after checking it; an empty value restores the default.
    pub async fn set_setting(
        &self,
        key: &str,
        value: &str,
    ) -> Result<Result<(), SettingError>, StoreError> {
        let mut settings = self.settings().await?;
        if let Err(e) = settings.set(key, value) {
            return Ok(Err(e));
        }
        let value = if value.trim().is_empty() {
            String::new()
        } else {
            settings.get(key).unwrap_or_default()
        };
        on_pool!(self, pool => {
            if value.is_empty() {
                sqlx::query("DELETE FROM settings WHERE key = $1").bind(key).execute(pool).await?;
            } else {
                sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                    .bind(key)
                    .bind(&value)
                    .execute(pool)
                    .await?;
            }
        });
        Ok(Ok(()))
    }
}
