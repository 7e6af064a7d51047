//! `arrears serve` started on port 0 against the store under test, and a plain HTTP client
//! that keeps its own cookies.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

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
        let mut command = Command::new(env!("CARGO_BIN_EXE_arrears"));
        command
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .env("ARREARS_DB", &db.url)
            .env("ARREARS_RUN_SCHEDULES", "false")
            .env("RUST_LOG", "info,sqlx=warn")
            .current_dir(db.dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
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
