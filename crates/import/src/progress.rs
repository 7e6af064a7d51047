//! Rows per second and what is left, on a terminal's standard error.

use std::io::Write;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Progress {
    pub enabled: bool,
    started: Instant,
    shown: Option<Instant>,
}

impl Default for Progress {
    fn default() -> Self {
        Progress {
            enabled: false,
            started: Instant::now(),
            shown: None,
        }
    }
}

impl Progress {
    /// Shows `rows` read of `file`, at most four times a second.
    pub fn tick(&mut self, file: &str, rows: i64, read: u64, size: u64) {
        if !self.enabled || rows % 1024 != 0 {
            return;
        }
        let now = Instant::now();
        if self
            .shown
            .is_some_and(|t| now - t < Duration::from_millis(250))
        {
            return;
        }
        self.shown = Some(now);
        let millis = (now - self.started).as_millis().max(1) as u64;
        let rate = rows as u64 * 1000 / millis;
        let percent = read * 100 / size.max(1);
        let left = (size.saturating_sub(read) * millis)
            .checked_div(read)
            .unwrap_or(0)
            / 1000;
        eprint!("\r\x1b[K{file}: {rows} rows, {rate} rows/s, {percent}% read, about {left} s left");
        let _ = std::io::stderr().flush();
    }

    /// Starts timing a new file.
    pub fn start(&mut self) {
        self.started = Instant::now();
    }

    /// Clears the progress line.
    pub fn done(&mut self) {
        if self.enabled && self.shown.is_some() {
            eprint!("\r\x1b[K");
            let _ = std::io::stderr().flush();
        }
    }
}
