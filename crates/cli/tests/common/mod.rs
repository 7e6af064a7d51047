//! A fresh store per test, on SQLite or (with `ARREARS_TEST_PG`) on PostgreSQL, and the real binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use tempfile::TempDir;

pub mod web;

static NEXT: AtomicU32 = AtomicU32::new(0);

pub struct TestDb {
    pub url: String,
    pub dir: TempDir,
    postgres: Option<(String, String)>,
}

pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

/// The admin URL with its database replaced by `name`.
fn with_database(admin: &str, name: &str) -> String {
    let (base, query) = admin
        .split_once('?')
        .map_or((admin, None), |(b, q)| (b, Some(q)));
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_end..]
        .find('/')
        .map_or(base.len(), |i| authority_end + i);
    let mut url = format!("{}/{name}", &base[..path_start]);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

impl TestDb {
    pub fn new() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        match std::env::var("ARREARS_TEST_PG") {
            Ok(admin) if !admin.is_empty() => {
                let name = format!(
                    "arrears_test_{}_{}_{}",
                    std::process::id(),
                    NEXT.fetch_add(1, Ordering::SeqCst),
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.subsec_nanos())
                );
                block_on(async {
                    use sqlx::Connection;
                    let mut conn = sqlx::PgConnection::connect(&admin)
                        .await
                        .unwrap_or_else(|e| {
                            panic!("ARREARS_TEST_PG={admin} is set but unreachable: {e}")
                        });
                    sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
                        .await
                        .expect("create test database");
                });
                TestDb {
                    url: with_database(&admin, &name),
                    dir,
                    postgres: Some((admin, name)),
                }
            }
            _ => {
                let url = format!("sqlite://{}", dir.path().join("arrears.db").display());
                TestDb {
                    url,
                    dir,
                    postgres: None,
                }
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }

    /// Runs one SQL statement on the store directly, as an intruder would: rows changed, or
    /// the database's refusal.
    pub fn execute(&self, sql: &str) -> Result<u64, String> {
        use sqlx::Connection;
        block_on(async {
            if self.postgres.is_some() {
                let mut conn = sqlx::PgConnection::connect(&self.url)
                    .await
                    .map_err(|e| e.to_string())?;
                sqlx::Executor::execute(&mut conn, sql)
                    .await
                    .map(|r| r.rows_affected())
                    .map_err(|e| e.to_string())
            } else {
                let mut conn = sqlx::SqliteConnection::connect(&self.url)
                    .await
                    .map_err(|e| e.to_string())?;
                sqlx::Executor::execute(&mut conn, sql)
                    .await
                    .map(|r| r.rows_affected())
                    .map_err(|e| e.to_string())
            }
        })
    }

    /// The first column of every row `sql` gives, as text, read on the store directly.
    pub fn strings(&self, sql: &str) -> Vec<String> {
        use sqlx::Connection;
        block_on(async {
            if self.postgres.is_some() {
                let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
                sqlx::query_scalar(sql).fetch_all(&mut conn).await.unwrap()
            } else {
                let mut conn = sqlx::SqliteConnection::connect(&self.url).await.unwrap();
                sqlx::query_scalar(sql).fetch_all(&mut conn).await.unwrap()
            }
        })
    }

    /// Runs `arrears` on this store, in the test's folder.
    pub fn arrears(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_arrears"))
            .args(args)
            .env("ARREARS_DB", &self.url)
            .env("USER", "tester")
            .current_dir(self.dir.path())
            .output()
            .expect("run arrears")
    }

    /// Runs `arrears`, expects success, gives standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.arrears(args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            out.status.success(),
            "arrears {args:?} failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        stdout
    }

    /// Runs `arrears`, expects failure without a panic, gives standard error.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.arrears(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            !out.status.success(),
            "arrears {args:?} succeeded\nstdout:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(
            !stderr.contains("panicked")
                && !stderr.contains("internal error")
                && !stderr.contains("RUST_BACKTRACE"),
            "{stderr}"
        );
        stderr
    }

    /// Writes a sync folder of `(file, content)` pairs under the test's folder.
    pub fn folder(&self, name: &str, files: &[(&str, &str)]) -> PathBuf {
        let dir = self.dir.path().join(name);
        std::fs::create_dir_all(&dir).expect("folder");
        for (file, content) in files {
            std::fs::write(dir.join(file), content).expect("write file");
        }
        dir
    }

    /// Imports a folder of files, expecting success; gives the one-line summary.
    pub fn import(&self, name: &str, files: &[(&str, &str)], as_of: &str) -> String {
        let dir = self.folder(name, files);
        self.ok(&["import", path(&dir), "--as-of", as_of])
    }

    /// Imports a folder of files, expecting failure; gives what it printed on standard error.
    pub fn import_fails(&self, name: &str, files: &[(&str, &str)], as_of: &str) -> String {
        let dir = self.folder(name, files);
        self.fails(&["import", path(&dir), "--as-of", as_of])
    }

    /// `aging --format json`, parsed.
    pub fn aging_json(&self, extra: &[&str]) -> Vec<serde_json::Value> {
        let mut args = vec!["aging", "--format", "json"];
        args.extend_from_slice(extra);
        let out = self.ok(&args);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}"))
    }
}

pub fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.postgres.take() {
            block_on(async {
                use sqlx::Connection;
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::Executor::execute(
                        &mut conn,
                        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str(),
                    )
                    .await;
                }
            });
        }
    }
}

/// One company, USD.
pub const COMPANIES: &str = "company_id,name,home_currency\nUS01,Demo Inc.,USD\n";

/// One company whose customers default to credit class STANDARD.
pub const SETUP_COMPANIES: &str = "company_id,name,home_currency,default_credit_class\n\
US01,Demo Inc.,USD,STANDARD\n";

/// A manager and a collector of their team.
pub const SETUP_USERS: &str = "user_id,name,role,manager\n\
mgr.lee,Morgan Lee,manager,\n\
c.okafor,Chidi Okafor,collector,mgr.lee\n";

/// Credit classes STANDARD (a contact every 3 days, 2 days to respond) and KEY (no defaults).
pub const SETUP_CLASSES: &str = "company_id,credit_class,description,contact_frequency_days,days_to_respond\n\
US01,STANDARD,Standard terms,3,2\n\
US01,KEY,Key accounts,,\n";

/// A field of a JSON row as text: numbers and strings alike.
pub fn field(row: &serde_json::Value, name: &str) -> String {
    match &row[name] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The row with `key` = `value`.
pub fn row<'a>(rows: &'a [serde_json::Value], key: &str, value: &str) -> &'a serde_json::Value {
    rows.iter()
        .find(|r| field(r, key) == value)
        .unwrap_or_else(|| panic!("no row {key}={value} in {rows:#?}"))
}
