//! The server's configuration: defaults, then a TOML file, then `ARREARS_*` environment
//! variables, each overriding the one before.

use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;

use crate::WebError;

/// Everything `arrears serve` can be told.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address and port to listen on.
    pub listen: String,
    /// Hours a session lasts after sign-in.
    pub session_hours: i64,
    /// Failed sign-ins in a row that lock an account.
    pub max_failed_sign_ins: i64,
    /// Minutes an account stays locked.
    pub lockout_minutes: i64,
    /// Failed sign-ins from one client, within `lockout_minutes`, after which it is refused.
    pub max_client_failures: usize,
    /// Marks cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// The business date the figures are computed for; today when absent.
    pub as_of: Option<NaiveDate>,
    /// Runs the credit class schedules while serving.
    pub run_schedules: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: "127.0.0.1:8080".to_owned(),
            session_hours: 12,
            max_failed_sign_ins: 5,
            lockout_minutes: 15,
            max_client_failures: 20,
            secure_cookies: false,
            as_of: None,
            run_schedules: true,
        }
    }
}

/// The variables that override the file, by the key they set.
const ENV: [(&str, &str); 8] = [
    ("listen", "ARREARS_LISTEN"),
    ("session_hours", "ARREARS_SESSION_HOURS"),
    ("max_failed_sign_ins", "ARREARS_MAX_FAILED_SIGN_INS"),
    ("lockout_minutes", "ARREARS_LOCKOUT_MINUTES"),
    ("max_client_failures", "ARREARS_MAX_CLIENT_FAILURES"),
    ("secure_cookies", "ARREARS_SECURE_COOKIES"),
    ("as_of", "ARREARS_AS_OF"),
    ("run_schedules", "ARREARS_RUN_SCHEDULES"),
];

impl Config {
    /// Reads `file` (when given) and the environment through `var`.
    pub fn load(
        file: Option<&Path>,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, WebError> {
        let mut table = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    WebError::Invalid(format!("cannot read {}: {e}", path.display()))
                })?;
                text.parse::<toml::Table>().map_err(|e| {
                    WebError::Invalid(format!("{}: {}", path.display(), e.message()))
                })?
            }
            None => toml::Table::new(),
        };
        for (key, name) in ENV {
            if let Some(text) = var(name) {
                table.insert(key.to_owned(), env_value(key, name, &text)?);
            }
        }
        let origin = file.map_or("the environment".to_owned(), |p| {
            format!("{} or the environment", p.display())
        });
        let config: Config =
            toml::Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| {
                    WebError::Invalid(format!("{origin}: {}", e.message()))
                })?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), WebError> {
        let positive = [
            ("session_hours", self.session_hours),
            ("max_failed_sign_ins", self.max_failed_sign_ins),
            ("lockout_minutes", self.lockout_minutes),
        ];
        match positive.iter().find(|(_, v)| *v <= 0) {
            Some((key, v)) => Err(WebError::Invalid(format!(
                "{key}: must be more than 0, not {v}"
            ))),
            None => Ok(()),
        }
    }
}

/// An environment variable's text as the TOML value its key expects.
fn env_value(key: &str, name: &str, text: &str) -> Result<toml::Value, WebError> {
    let text = text.trim();
    let numeric = matches!(
        key,
        "session_hours" | "max_failed_sign_ins" | "lockout_minutes" | "max_client_failures"
    );
    let flag = matches!(key, "secure_cookies" | "run_schedules");
    if numeric {
        text.parse::<i64>().map(toml::Value::Integer).map_err(|_| {
            WebError::Invalid(format!(
                "{name} ({key}): expected a whole number, not {text:?}"
            ))
        })
    } else if flag {
        text.parse::<bool>().map(toml::Value::Boolean).map_err(|_| {
            WebError::Invalid(format!(
                "{name} ({key}): expected true or false, not {text:?}"
            ))
        })
    } else {
        Ok(toml::Value::String(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn the_environment_overrides_the_file_which_overrides_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("arrears.toml");
        std::fs::write(&file, "listen = \"0.0.0.0:9000\"\nsession_hours = 8\n").unwrap();
        let config = Config::load(Some(&file), env(&[("ARREARS_SESSION_HOURS", "2")])).unwrap();
        assert_eq!(config.listen, "0.0.0.0:9000");
        assert_eq!(config.session_hours, 2);
        assert_eq!(config.lockout_minutes, 15);
        let config = Config::load(None, env(&[("ARREARS_AS_OF", "2015-03-15")])).unwrap();
        assert_eq!(config.as_of, NaiveDate::from_ymd_opt(2015, 3, 15));
    }

    #[test]
    fn bad_values_say_which_key_and_why() {
        let err = Config::load(None, env(&[("ARREARS_SESSION_HOURS", "many")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("session_hours"), "{err}");
        let err = Config::load(None, env(&[("ARREARS_LOCKOUT_MINUTES", "0")]))
            .unwrap_err()
            .to_string();
        assert_eq!(err, "lockout_minutes: must be more than 0, not 0");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("arrears.toml");
        std::fs::write(&file, "listne = \"x\"\n").unwrap();
        let err = Config::load(Some(&file), env(&[])).unwrap_err().to_string();
        assert!(err.contains("listne"), "{err}");
    }
}
