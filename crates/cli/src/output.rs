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
    table: Vec<Vec<String>>,
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
            names,
            picks,
            table: Vec::new(),
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
                let cells = self.picks.iter().map(|&i| row[i].to_string()).collect();
                for (n, &i) in self.picks.iter().enumerate() {
                    self.numeric[n] |= row[i].is_number();
                }
                self.table.push(cells);
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
            Format::Table => {
                let text = self.render_table();
                self.write(&text);
            }
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

    fn render_table(&self) -> String {
        let widths: Vec<usize> = (0..self.names.len())
            .map(|i| {
                self.table
                    .iter()
                    .map(|r| r[i].chars().count())
                    .chain([self.names[i].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut text = String::new();
        let header: Vec<String> = self.names.iter().map(|n| (*n).to_owned()).collect();
        for row in std::iter::once(&header).chain(&self.table) {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                if i > 0 {
                    line.push_str("  ");
                }
                let pad = widths[i].saturating_sub(cell.chars().count());
                if self.numeric[i] {
                    line.extend(std::iter::repeat_n(' ', pad));
                    line.push_str(cell);
                } else {
                    line.push_str(cell);
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
            text.push_str(line.trim_end());
            text.push('\n');
        }
        text
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
