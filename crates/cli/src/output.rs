//! Rows of named values printed as an aligned table, CSV or JSON. CSV and JSON print each
//! row as it comes, so a report of millions of rows never sits in memory; a table needs
//! every row to size its columns.

use std::io::{self, BufWriter, Stdout, Write};

use arrears_domain::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

/// Prints the chosen columns of each row it is given.
pub struct Printer {
    format: Format,
    names: Vec<&'static str>,
    picks: Vec<usize>,
    /// A table's cells, one after another, and where each ends: two allocations for any
    /// number of rows.
    cells: String,
    ends: Vec<usize>,
    /// Each column's width so far, in characters.
    widths: Vec<usize>,
    numeric: Vec<bool>,
    out: BufWriter<Stdout>,
    line: String,
    rows: usize,
    error: Option<io::Error>,
}

impl Printer {
    /// A printer of `columns`, keeping those `wanted` in that order (all when empty or `all`).
    pub fn new(
        columns: &[&'static str],
        wanted: &[String],
        format: Format,
    ) -> anyhow::Result<Printer> {
        let picks: Vec<usize> = if wanted.is_empty() || wanted.iter().any(|w| w == "all") {
            (0..columns.len()).collect()
        } else {
            wanted
                .iter()
                .map(|name| {
                    columns.iter().position(|c| c == name).ok_or_else(|| {
                        anyhow::anyhow!(
                            "--columns: no column {name:?}; columns are: {}",
                            columns.join(", ")
                        )
                    })
                })
                .collect::<anyhow::Result<_>>()?
        };
        let names: Vec<&'static str> = picks.iter().map(|&i| columns[i]).collect();
        let mut printer = Printer {
            format,
            numeric: vec![false; names.len()],
            widths: names.iter().map(|n| width(n)).collect(),
            names,
            picks,
            cells: String::new(),
            ends: Vec::new(),
            out: BufWriter::new(io::stdout()),
            line: String::new(),
            rows: 0,
            error: None,
        };
        match format {
            Format::Csv => printer.write(&format!("{}\n", printer.names.join(","))),
            Format::Json => printer.write("["),
            Format::Table => {}
        }
        Ok(printer)
    }

    fn write(&mut self, text: &str) {
        if self.error.is_none()
            && let Err(e) = self.out.write_all(text.as_bytes())
        {
            self.error = Some(e);
        }
    }

    /// Prints one row (all columns, in the order given to [`Printer::new`]).
    pub fn push(&mut self, row: &[Value]) {
        use std::fmt::Write as _;
        if self.error.is_some() {
            return;
        }
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        match self.format {
            Format::Table => {
                for (n, &i) in self.picks.iter().enumerate() {
                    self.numeric[n] |= row[i].is_number();
                    let start = self.cells.len();
                    let _ = write!(self.cells, "{}", row[i]);
                    self.widths[n] = self.widths[n].max(width(&self.cells[start..]));
                    self.ends.push(self.cells.len());
                }
                self.rows += 1;
                self.line = line;
                return;
            }
            Format::Csv => {
                for (n, &i) in self.picks.iter().enumerate() {
                    if n > 0 {
                        line.push(',');
                    }
                    match &row[i] {
                        Value::Text(t) if t.contains([',', '"', '\n', '\r']) => {
                            let _ = write!(line, "\"{}\"", t.replace('"', "\"\""));
                        }
                        value => {
                            let _ = write!(line, "{value}");
                        }
                    }
                }
                line.push('\n');
            }
            Format::Json => {
                line.push_str(if self.rows > 0 { ",\n  {" } else { "\n  {" });
                for (n, &i) in self.picks.iter().enumerate() {
                    let sep = if n > 0 { ", " } else { "" };
                    let _ = write!(line, "{sep}\"{}\": {}", self.names[n], json_value(&row[i]));
                }
                line.push('}');
            }
        }
        self.write(&line);
        self.line = line;
        self.rows += 1;
    }

    /// Ends the output; a reader that stops early (`| head`) is not an error.
    pub fn finish(mut self) -> io::Result<()> {
        match self.format {
            Format::Table => self.render_table(),
            Format::Json => self.write(if self.rows > 0 { "\n]\n" } else { "]\n" }),
            Format::Csv => {}
        }
        let flushed = match self.error.take() {
            Some(e) => Err(e),
            None => self.out.flush(),
        };
        match flushed {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }

    /// Writes the table: each column as wide as its widest cell, numbers to the right.
    fn render_table(&mut self) {
        const SPACES: &str = "                                                                ";
        let pad = |line: &mut String, mut n: usize| {
            while n > 0 {
                let step = n.min(SPACES.len());
                line.push_str(&SPACES[..step]);
                n -= step;
            }
        };
        let columns = self.names.len();
        let cells = std::mem::take(&mut self.cells);
        let ends = std::mem::take(&mut self.ends);
        let header: Vec<&str> = self.names.clone();
        let mut line = String::new();
        let mut start = 0;
        for r in 0..=self.rows {
            line.clear();
            for i in 0..columns {
                let cell = if r == 0 {
                    header[i]
                } else {
                    let end = ends[(r - 1) * columns + i];
                    let cell = &cells[start..end];
                    start = end;
                    cell
                };
                if i > 0 {
                    line.push_str("  ");
                }
                let gap = self.widths[i].saturating_sub(width(cell));
                if self.numeric[i] {
                    pad(&mut line, gap);
                    line.push_str(cell);
                } else {
                    line.push_str(cell);
                    pad(&mut line, gap);
                }
            }
            let kept = line.trim_end().len();
            line.truncate(kept);
            line.push('\n');
            self.write(&line);
        }
    }
}

/// How many characters wide a cell is.
fn width(text: &str) -> usize {
    if text.is_ascii() {
        text.len()
    } else {
        text.chars().count()
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
