//! The web step: `arrears serve` on the benchmark's store, then signed-in users on loopback
//! asking for My Accounts (a filter, a sort, 50 rows a page) and the dashboard, each reading a
//! page for a while before asking for the next. Latency per page: median, 95th percentile,
//! most.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};

/// How the simulated users behave.
pub struct Load {
    pub users: usize,
    /// Requests of each kind per user.
    pub rounds: usize,
    /// How long a user reads a page before asking for the next.
    pub think: Duration,
}

/// What a page kind measured, in milliseconds.
pub struct Latency {
    pub page: &'static str,
    pub requests: usize,
    pub median: f64,
    pub p95: f64,
    pub max: f64,
}

/// The pages each user asks for, in turn.
const PAGES: [(&str, &str); 2] = [
    (
        "My Accounts",
        "/accounts?filter=total_past_due%20%3E%20500%20%26%26%20over_30%20%3E%200&sort=-total_past_due&per_page=50",
    ),
    ("Dashboard", "/"),
];

/// The collectors and the manager of the demo book.
const USERS: [&str; 5] = ["c.okafor", "c.diaz", "c.novak", "c.tanaka", "mgr.lee"];
const PASSWORD: &str = "bench-password";

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

/// Signs in through the form; the session cookie.
fn sign_in(base: &str, user: &str) -> anyhow::Result<String> {
    let agent = agent();
    let mut form = agent.get(format!("{base}/sign-in")).call()?;
    let pre = cookie(&form, "arrears_sign_in").context("no sign-in cookie")?;
    let body = form.body_mut().read_to_string()?;
    let start = body
        .find("name=\"csrf\" value=\"")
        .context("no csrf field")?
        + 19;
    let csrf = &body[start..start + 64];
    let answer = agent
        .post(format!("{base}/sign-in"))
        .header("Cookie", format!("arrears_sign_in={pre}"))
        .send_form([("user_id", user), ("password", PASSWORD), ("csrf", csrf)])?;
    ensure!(answer.status().as_u16() == 303, "{user} cannot sign in");
    cookie(&answer, "arrears_session").context("no session cookie")
}

fn cookie(answer: &ureq::http::Response<ureq::Body>, name: &str) -> Option<String> {
    answer
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// What the web step measured.
pub struct Served {
    /// How long the first My Accounts took: the book's snapshot being built.
    pub cold: Duration,
    /// How long My Accounts took after a call was logged on one customer: the snapshot
    /// patched.
    pub after_work: Duration,
    pub pages: Vec<Latency>,
    /// The server's peak resident memory, MiB.
    pub peak_mib: i64,
}

/// A process's peak resident memory in MiB, from `/proc`.
fn peak_mib(pid: u32) -> i64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<i64>().ok())
        })
        .map_or(0, |kib| kib / 1024)
}

/// Serves the store and measures the pages.
pub fn measure(arrears: &Path, db: &str, as_of: &str, load: &Load) -> anyhow::Result<Served> {
    for user in USERS {
        let mut child = Command::new(arrears)
            .args(["user", "set-password", user, "--password-stdin"])
            .env("ARREARS_DB", db)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()?;
        writeln!(child.stdin.take().context("stdin")?, "{PASSWORD}")?;
        ensure!(child.wait()?.success(), "cannot set the password of {user}");
    }
    let mut child = Command::new(arrears)
        .args(["serve", "--listen", "127.0.0.1:0", "--as-of", as_of])
        .env("ARREARS_DB", db)
        .env("ARREARS_RUN_SCHEDULES", "false")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().context("stdout")?).read_line(&mut line)?;
    let server = Server(child);
    let Some(base) = line
        .trim()
        .strip_prefix("arrears: listening on ")
        .map(str::to_owned)
    else {
        bail!("arrears serve said {line:?}");
    };
    let first = sign_in(&base, USERS[0])?;
    let started = Instant::now();
    let mut warm = agent()
        .get(format!("{base}{}", PAGES[0].1))
        .header("Cookie", format!("arrears_session={first}"))
        .call()?;
    ensure!(
        warm.status().as_u16() == 200,
        "My Accounts answered {}",
        warm.status()
    );
    let listed = warm.body_mut().read_to_string()?;
    let cold = started.elapsed();
    let times: Arc<Mutex<Vec<Vec<f64>>>> = Arc::new(Mutex::new(vec![Vec::new(); PAGES.len()]));
    let mut threads = Vec::new();
    for n in 0..load.users {
        let session = sign_in(&base, USERS[n % USERS.len()])?;
        let (base, times) = (base.clone(), times.clone());
        let (rounds, think) = (load.rounds, load.think);
        threads.push(std::thread::spawn(move || -> anyhow::Result<()> {
            let agent = agent();
            // Users arrive spread over one think time, not all in the same instant.
            std::thread::sleep(think.mul_f64(n as f64 / 20.0));
            for _ in 0..rounds {
                for (kind, (_, path)) in PAGES.iter().enumerate() {
                    let started = Instant::now();
                    let mut answer = agent
                        .get(format!("{base}{path}"))
                        .header("Cookie", format!("arrears_session={session}"))
                        .call()?;
                    let _ = answer.body_mut().read_to_vec()?;
                    let ms = started.elapsed().as_secs_f64() * 1000.0;
                    ensure!(
                        answer.status().as_u16() == 200,
                        "{path}: {}",
                        answer.status()
                    );
                    if let Ok(mut t) = times.lock() {
                        t[kind].push(ms);
                    }
                    std::thread::sleep(think);
                }
            }
            Ok(())
        }));
    }
    for t in threads {
        t.join()
            .map_err(|_| anyhow::anyhow!("a user thread failed"))??;
    }
    let after_work = after_work(arrears, db, &base, &first, &listed)?;
    let peak = peak_mib(server.0.id());
    drop(server);
    let times = times.lock().map_err(|_| anyhow::anyhow!("lock"))?;
    let latencies = PAGES
        .iter()
        .zip(times.iter())
        .map(|((page, _), t)| {
            let mut sorted = t.clone();
            sorted.sort_by(f64::total_cmp);
            Latency {
                page,
                requests: sorted.len(),
                median: percentile(&sorted, 0.5),
                p95: percentile(&sorted, 0.95),
                max: sorted.last().copied().unwrap_or(0.0),
            }
        })
        .collect();
    Ok(Served {
        cold,
        after_work,
        pages: latencies,
        peak_mib: peak,
    })
}

/// Logs a call on the first customer of `listed` (a My Accounts page) through the API, then
/// times the next My Accounts.
fn after_work(
    arrears: &Path,
    db: &str,
    base: &str,
    session: &str,
    listed: &str,
) -> anyhow::Result<Duration> {
    let link = listed
        .split("href=\"/customers/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .context("no customer on My Accounts")?;
    let made = Command::new(arrears)
        .args(["token", "create", USERS[0], "--name", "bench"])
        .env("ARREARS_DB", db)
        .output()?;
    ensure!(made.status.success(), "cannot make a token");
    let printed = String::from_utf8_lossy(&made.stdout);
    let token = printed
        .split_whitespace()
        .find(|w| w.starts_with("arr_"))
        .context("no token printed")?;
    let answer = agent()
        .post(format!("{base}/api/v1/customers/{link}/activities"))
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send(
            r#"{"activity_type": "Phone", "call_result": "spoke", "complete": true}"#.as_bytes(),
        )?;
    ensure!(
        answer.status().as_u16() == 201,
        "logging a call answered {}",
        answer.status()
    );
    let started = Instant::now();
    let answer = agent()
        .get(format!("{base}{}", PAGES[0].1))
        .header("Cookie", format!("arrears_session={session}"))
        .call()?;
    ensure!(
        answer.status().as_u16() == 200,
        "My Accounts answered {}",
        answer.status()
    );
    Ok(started.elapsed())
}
