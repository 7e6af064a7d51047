//! Rows of named values printed as an aligned table, CSV or JSON.

use std::io::{self, Write};

use arrears_domain::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

/// A report: column names and rows of values in that order.
pub struct Report {
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<Value>>,
}

impl Report {
    /// Keeps the named columns, in the order given; `all` keeps every column.
    pub fn select(&mut self, wanted: &[String]) -> anyhow::Result<()> {
        if wanted.iter().any(|w| w == "all") {
            return Ok(());
        }
        let mut picks = Vec::with_capacity(wanted.len());
        for name in wanted {
            let Some(i) = self.columns.iter().position(|c| c == name) else {
                anyhow::bail!(
                    "--columns: no column {name:?}; columns are: {}",
                    self.columns.join(", ")
                );
            };
            picks.push(i);
        }
        self.columns = picks.iter().map(|&i| self.columns[i]).collect();
        for row in &mut self.rows {
            *row = picks.iter().map(|&i| row[i].clone()).collect();
        }
        Ok(())
    }

    /// Prints the report; a reader that stops early (`| head`) is not an error.
    pub fn print(&self, format: Format) -> io::Result<()> {
        let stdout = io::stdout();
        let mut out = io::BufWriter::new(stdout.lock());
        let written = match format {
            Format::Table => self.table(&mut out),
            Format::Csv => self.csv(&mut out),
            Format::Json => self.json(&mut out),
        }
        .and_then(|()| out.flush());
        match written {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }

    fn table(&self, out: &mut impl Write) -> io::Result<()> {
        let cells: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| r.iter().map(ToString::to_string).collect())
            .collect();
        let widths: Vec<usize> = (0..self.columns.len())
            .map(|i| {
                cells
                    .iter()
                    .map(|r| r[i].chars().count())
                    .chain([self.columns[i].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let numeric: Vec<bool> = (0..self.columns.len())
            .map(|i| {
                self.rows.iter().any(|r| r[i].is_number())
                    && self
                        .rows
                        .iter()
                        .all(|r| r[i].is_number() || r[i] == Value::None)
            })
            .collect();
        let line =
            |out: &mut dyn Write, values: &mut dyn Iterator<Item = &str>| -> io::Result<()> {
                let mut text = String::new();
                for (i, v) in values.enumerate() {
                    if i > 0 {
                        text.push_str("  ");
                    }
                    if numeric[i] {
                        text.push_str(&format!("{v:>w$}", w = widths[i]));
                    } else {
                        text.push_str(&format!("{v:<w$}", w = widths[i]));
                    }
                }
                writeln!(out, "{}", text.trim_end())
            };
        line(out, &mut self.columns.iter().copied())?;
        for row in &cells {
            line(out, &mut row.iter().map(String::as_str))?;
        }
        Ok(())
    }

    fn csv(&self, out: &mut impl Write) -> io::Result<()> {
        use std::fmt::Write as _;
        writeln!(out, "{}", self.columns.join(","))?;
        let mut line = String::new();
        let mut cell = String::new();
        for row in &self.rows {
            line.clear();
            for (i, value) in row.iter().enumerate() {
                if i > 0 {
                    line.push(',');
                }
                if let Value::Text(t) = value
                    && t.contains([',', '"', '\n', '\r'])
                {
                    line.push('"');
                    line.push_str(&t.replace('"', "\"\""));
                    line.push('"');
                } else {
                    cell.clear();
                    let _ = write!(cell, "{value}");
                    line.push_str(&cell);
                }
            }
            line.push('\n');
            out.write_all(line.as_bytes())?;
        }
        Ok(())
    }

    fn json(&self, out: &mut impl Write) -> io::Result<()> {
        write!(out, "[")?;
        for (n, row) in self.rows.iter().enumerate() {
            write!(out, "{}\n  {{", if n > 0 { "," } else { "" })?;
            for (i, (name, value)) in self.columns.iter().zip(row).enumerate() {
                let sep = if i > 0 { ", " } else { "" };
                write!(out, "{sep}\"{name}\": {}", json_value(value))?;
            }
            write!(out, "}}")?;
        }
        writeln!(out, "{}]", if self.rows.is_empty() { "" } else { "\n" })
    }
}

/// Numbers as exact decimal literals, dates and text as strings, nothing as null.
fn json_value(value: &Value) -> String {
    match value {
        Value::None => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(_) | Value::Money(_) | Value::Rate(_) => value.to_string(),
        Value::Text(t) => serde_json::Value::String(t.clone()).to_string(),
        Value::Date(d) => format!("\"{d}\""),
    }
}
