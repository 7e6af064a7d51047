//! `arrears serve` started on port 0 against the store under test, and a plain HTTP client
//! that keeps its own cookies.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use std::io::Write;

use super::TestDb;

/// A running server; stopped (gracefully) when dropped.
pub struct Server {
    pub base: String,
    child: Child,
}

impl Server {
    /// Starts `arrears serve` on a free port with the figures as of `as_of`.
    pub fn start(db: &TestDb, as_of: &str) -> Server {
        Server::start_with(db, &["--as-of", as_of], &[])
    }

    pub fn start_with(db: &TestDb, args: &[&str], env: &[(&str, &str)]) -> Server {
        Server::start_logging(db, args, env, Stdio::null())
    }

    /// Starts the server with its log (standard error) going to `log`.
    pub fn start_logging(db: &TestDb, args: &[&str], env: &[(&str, &str)], log: Stdio) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_arrears"));
        command
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .env("ARREARS_DB", &db.url)
            .env("ARREARS_RUN_SCHEDULES", "false")
            .env("RUST_LOG", "info,sqlx=warn")
            .current_dir(db.dir.path())
            .stdout(Stdio::piped())
            .stderr(log);
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("start arrears serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the address");
        let base = line
            .trim()
            .strip_prefix("arrears: listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Server { base, child }
    }

    /// Stops the server with SIGTERM and gives its exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        self.terminate()
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // SAFETY: sending SIGTERM to our own child process.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
        self.child.wait().expect("wait for the server")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.terminate();
        }
    }
}

/// An answer: status, headers and body.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}), status {}:\n{}", self.status, self.body))
    }

    /// The value of the hidden `csrf` field of the page's forms.
    pub fn csrf(&self) -> String {
        let start = self
            .body
            .find("name=\"csrf\" value=\"")
            .unwrap_or_else(|| panic!("no csrf field in:\n{}", self.body))
            + 19;
        self.body[start..start + 64].to_owned()
    }
}

/// A client: a browser's cookie jar, or an API token.
pub struct Client {
    base: String,
    agent: ureq::Agent,
    cookies: Vec<(String, String)>,
    pub token: Option<String>,
}

impl Client {
    pub fn new(server: &Server) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            // A fresh connection per request: a server may close one it refused a body on.
            .max_idle_connections_per_host(0)
            .build()
            .into();
        Client {
            base: server.base.clone(),
            agent,
            cookies: Vec::new(),
            token: None,
        }
    }

    pub fn with_token(server: &Server, token: &str) -> Client {
        let mut c = Client::new(server);
        c.token = Some(token.trim().to_owned());
        c
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn answer(
        &mut self,
        response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Answer {
        let mut response = response.expect("HTTP request");
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        for (name, value) in &headers {
            if name.eq_ignore_ascii_case("set-cookie")
                && let Some((pair, _)) = value.split_once(';').or(Some((value, "")))
                && let Some((n, v)) = pair.split_once('=')
            {
                self.cookies.retain(|(c, _)| c != n);
                if !v.is_empty() {
                    self.cookies.push((n.to_owned(), v.to_owned()));
                }
            }
        }
        let status = response.status().as_u16();
        let body = response.body_mut().read_to_string().unwrap_or_default();
        Answer {
            status,
            headers,
            body,
        }
    }

    pub fn get(&mut self, path: &str) -> Answer {
        let mut request = self.agent.get(format!("{}{path}", self.base));
        if !self.cookies.is_empty() {
            request = request.header("Cookie", self.cookie_header());
        }
        if let Some(t) = &self.token {
            request = request.header("Authorization", format!("Bearer {t}"));
        }
        let response = request.call();
        self.answer(response)
    }

    pub fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Answer {
        let mut request = self.agent.post(format!("{}{path}", self.base));
        if !self.cookies.is_empty() {
            request = request.header("Cookie", self.cookie_header());
        }
        let response = request.send_form(form.iter().copied());
        self.answer(response)
    }

    /// Puts a JSON body with the client's token.
    pub fn put_json(&mut self, path: &str, body: &str) -> Answer {
        let mut request = self
            .agent
            .put(format!("{}{path}", self.base))
            .header("Content-Type", "application/json");
        if let Some(t) = &self.token {
            request = request.header("Authorization", format!("Bearer {t}"));
        }
        let response = request.send(body.as_bytes());
        self.answer(response)
    }

    /// Deletes with the client's token.
    pub fn delete(&mut self, path: &str) -> Answer {
        let mut request = self.agent.delete(format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            request = request.header("Authorization", format!("Bearer {t}"));
        }
        let response = request.call();
        self.answer(response)
    }

    /// Patches with a JSON body and the client's token.
    pub fn patch_json(&mut self, path: &str, body: &str) -> Answer {
        let mut request = self
            .agent
            .patch(format!("{}{path}", self.base))
            .header("Content-Type", "application/json");
        if let Some(t) = &self.token {
            request = request.header("Authorization", format!("Bearer {t}"));
        }
        let response = request.send(body.as_bytes());
        self.answer(response)
    }

    /// Posts a JSON body with the client's token.
    pub fn post_json(&mut self, path: &str, body: &str) -> Answer {
        let mut request = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Content-Type", "application/json");
        if let Some(t) = &self.token {
            request = request.header("Authorization", format!("Bearer {t}"));
        }
        let response = request.send(body.as_bytes());
        self.answer(response)
    }

    /// A GET whose body is bytes (an XLSX, say): status and body.
    pub fn get_bytes(&mut self, path: &str) -> (u16, Vec<u8>) {
        let mut request = self.agent.get(format!("{}{path}", self.base));
        if !self.cookies.is_empty() {
            request = request.header("Cookie", self.cookie_header());
        }
        let mut response = request.call().expect("HTTP request");
        let status = response.status().as_u16();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_vec()
            .expect("body");
        (status, bytes)
    }

    /// Posts a body the server may refuse before reading it all: then there is no answer.
    pub fn try_post_raw(
        &mut self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Option<Answer> {
        let response = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Content-Type", content_type)
            .send(&body[..]);
        match response {
            // Refused before it was all sent: the connection is closed under the client.
            Err(ureq::Error::Io(_)) => None,
            other => Some(self.answer(other)),
        }
    }

    pub fn post_raw(&mut self, path: &str, content_type: &str, body: Vec<u8>) -> Answer {
        let response = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Content-Type", content_type)
            .send(&body[..]);
        self.answer(response)
    }

    /// Posts a `multipart/form-data` form: text fields, then files as `(field, file name,
    /// content)`.
    pub fn post_files(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &str)],
    ) -> Answer {
        const BOUNDARY: &str = "arrears-test-boundary-7c1f";
        let mut body = String::new();
        for (name, value) in fields {
            body.push_str(&format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            ));
        }
        for (name, file, content) in files {
            body.push_str(&format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\n\
                 Content-Type: text/csv\r\n\r\n{content}\r\n"
            ));
        }
        body.push_str(&format!("--{BOUNDARY}--\r\n"));
        let mut request = self.agent.post(format!("{}{path}", self.base)).header(
            "Content-Type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        );
        if !self.cookies.is_empty() {
            request = request.header("Cookie", self.cookie_header());
        }
        if let Some(t) = &self.token {
            request = request.header("Authorization", format!("Bearer {t}"));
        }
        let response = request.send(body.as_bytes());
        self.answer(response)
    }

    /// Signs in through the sign-in form; the answer to the form's post.
    pub fn sign_in(&mut self, user: &str, password: &str) -> Answer {
        let csrf = self.get("/sign-in").csrf();
        self.post(
            "/sign-in",
            &[("user_id", user), ("password", password), ("csrf", &csrf)],
        )
    }

    pub fn has_cookie(&self, name: &str) -> bool {
        self.cookies.iter().any(|(n, _)| n == name)
    }

    pub fn forget_cookies(&mut self) {
        self.cookies.clear();
    }

    pub fn set_cookie(&mut self, name: &str, value: &str) {
        self.cookies.retain(|(c, _)| c != name);
        self.cookies.push((name.to_owned(), value.to_owned()));
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }
}

// The team book: two teams, five customers, the rules of one credit class.

pub const AS_OF: &str = "2015-03-13";
pub const PASSWORD: &str = "open sesame 1";

pub const COMPANIES: &str =
    "company_id,name,home_currency,default_credit_class\nUS01,Demo Inc.,USD,STANDARD\n";

/// Two teams: Mia's (Cole, Cara and Ivy) and Max's (Carl); Ada administers.
pub const USERS: &str = "user_id,name,role,manager\n\
ada,Ada Admin,admin,\n\
mia,Mia Manager,manager,\n\
max,Max Manager,manager,\n\
cole,Cole Collector,collector,mia\n\
cara,Cara Collector,collector,mia\n\
carl,Carl Collector,collector,max\n\
ivy,Ivy Inquiry,inquiry,mia\n";

pub const CUSTOMERS: &str = "company_id,customer_id,name,credit_limit,assigned_user\n\
US01,C1,Acme Tools,15000,cole\n\
US01,C2,Bolt & Nut,1000,cara\n\
US01,C3,Crane Hire,,carl\n\
US01,C4,Delta Supply,,\n\
US01,C5,Echo Parts,,ivy\n";

/// C1 owes 10,000 of which 2,500 is 31–60 days past due on 2015-03-13.
pub const INVOICES: &str = "company_id,customer_id,tran_id,tran_type,tran_date,due_date,amount,balance\n\
US01,C1,I1,IN,2015-01-02,2015-02-01,2500,2500\n\
US01,C1,I2,IN,2015-03-01,2015-03-31,7500,7500\n\
US01,C2,I3,IN,2015-01-10,2015-02-09,1250.50,1250.50\n\
US01,C3,I4,IN,2014-11-01,2014-12-01,5000,5000\n\
US01,C4,I5,IN,2015-02-20,2015-03-22,700,700\n\
US01,C5,I6,IN,2015-03-05,2015-04-04,100,100\n";

pub const CLASSES: &str = "company_id,credit_class,description\nUS01,STANDARD,Standard terms\n";
pub const CODES: &str = "company_id,action_code,description,activity_type,priority\n\
US01,CALL,Collection call,Phone,3\n\
US01,ESC,Escalate,Phone,1\n";
pub const RULES: &str = "company_id,credit_class,seq_no,action_code,view,filter,standalone\n\
US01,STANDARD,10,CALL,customer,total_past_due > 0,\n\
US01,STANDARD,20,ESC,customer,over_90 > 0,yes\n";

/// Who sees which customers (section 4 of the contract).
pub const SCOPES: [(&str, &[&str]); 7] = [
    ("ada", &["C1", "C2", "C3", "C4", "C5"]),
    ("mia", &["C1", "C2", "C4", "C5"]),
    ("max", &["C3", "C4"]),
    ("cole", &["C1", "C2", "C4", "C5"]),
    ("cara", &["C1", "C2", "C4", "C5"]),
    ("carl", &["C3", "C4"]),
    ("ivy", &["C5"]),
];

pub fn book() -> TestDb {
    let db = TestDb::new();
    db.import(
        "book",
        &[
            ("companies.csv", COMPANIES),
            ("users.csv", USERS),
            ("credit_classes.csv", CLASSES),
            ("action_codes.csv", CODES),
            ("rules.csv", RULES),
            ("customers.csv", CUSTOMERS),
            ("invoices.csv", INVOICES),
        ],
        AS_OF,
    );
    for (user, _) in SCOPES {
        set_password(&db, user, PASSWORD);
    }
    db
}

/// Adds the reason code PRICE (severity 2) to US01, for disputes.
pub fn add_price_reason(db: &TestDb) {
    db.import(
        "reasons",
        &[(
            "reason_codes.csv",
            "company_id,reason_code,description,severity\nUS01,PRICE,Wrong price,2\n",
        )],
        AS_OF,
    );
}

/// A new API token of `user`.
pub fn token(db: &TestDb, user: &str) -> String {
    db.ok(&["token", "create", user, "--name", "tests"])
        .trim()
        .to_owned()
}

/// A browser-like client signed in as `user` through the sign-in form.
pub fn signed_in(server: &Server, user: &str) -> Client {
    let mut c = Client::new(server);
    let answer = c.sign_in(user, PASSWORD);
    assert_eq!(
        answer.status, 303,
        "{user} cannot sign in:\n{}",
        answer.body
    );
    c
}

pub fn set_password(db: &TestDb, user: &str, password: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_arrears"))
        .args(["user", "set-password", user, "--password-stdin"])
        .env("ARREARS_DB", &db.url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run arrears");
    writeln!(child.stdin.take().expect("stdin"), "{password}").expect("write the password");
    child.wait_with_output().expect("wait")
}
