//! Reading one sync file: header checks, and typed fields with `file:line: column: reason` errors.

use foldhash::HashMap;
use std::cell::Cell;
use std::fmt;
use std::fs::File;
use std::path::Path;

use arrears_domain::{Money, parse_date};
use chrono::NaiveDate;

use crate::records::Records;

/// One problem with a sync folder, shown as `invoices.csv:6: tran_date: not a date "2024-13-45"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportError {
    pub file: String,
    pub line: u64,
    pub column: String,
    pub problem: String,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file, self.line, self.column, self.problem
        )
    }
}

/// Problems found so far; past a cap, only counted.
#[derive(Debug, Default)]
pub struct Problems {
    pub list: Vec<ImportError>,
    pub more: u64,
}

impl Problems {
    const CAP: usize = 100_000;

    pub fn push(&mut self, file: &str, line: u64, column: &str, problem: impl Into<String>) {
        if self.list.len() < Self::CAP {
            self.list.push(ImportError {
                file: file.to_owned(),
                line,
                column: column.to_owned(),
                problem: problem.into(),
            });
        } else {
            self.more += 1;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty() && self.more == 0
    }
}

/// Places of the columns last asked for, by the address of their (static) names.
const PLACES: usize = 256;

/// An open sync file with its header understood.
pub struct CsvFile {
    pub name: &'static str,
    records: Records,
    columns: HashMap<String, usize>,
    /// Every row asks for the same few columns by the same static names: a name's address and
    /// length give its place without hashing it (`usize::MAX`: not in the file).
    places: [Cell<(usize, usize, usize)>; PLACES],
    width: usize,
    pub size: u64,
    /// The header line as the file has it.
    pub header: Vec<u8>,
}

impl CsvFile {
    /// Opens `name` in `dir`; checks the header against the file's known and required columns.
    pub fn open(
        dir: &Path,
        name: &'static str,
        known: &[&str],
        required: &[&str],
        problems: &mut Problems,
        warnings: &mut Vec<String>,
    ) -> Result<Option<CsvFile>, String> {
        let path = dir.join(name);
        if !path.exists() {
            return Ok(None);
        }
        let file = File::open(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let mut records = Records::new(file);
        match records.next() {
            Ok(Some(_)) => records.split(),
            Ok(None) => {
                problems.push(name, 1, "(header)", "no header row");
                return Ok(None);
            }
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        }
        let raw_header = records.raw().to_vec();
        let header: Vec<&[u8]> = (0..records.len()).filter_map(|i| records.get(i)).collect();
        let mut columns = HashMap::default();
        for (i, raw) in header.iter().copied().enumerate() {
            let raw = if i == 0 {
                raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw)
            } else {
                raw
            };
            let Ok(text) = std::str::from_utf8(raw) else {
                problems.push(
                    name,
                    1,
                    "(header)",
                    format!("column {} is not valid UTF-8", i + 1),
                );
                continue;
            };
            let column = text.trim().to_ascii_lowercase();
            if !known.contains(&column.as_str()) {
                warnings.push(format!("{name}:1: {column}: unknown column, ignored"));
            }
            if columns.insert(column.clone(), i).is_some() {
                problems.push(name, 1, &column, "column appears twice in the header");
            }
        }
        for column in required {
            if !columns.contains_key(*column) {
                problems.push(name, 1, column, "required column missing");
            }
        }
        let width = header.len();
        Ok(Some(CsvFile {
            name,
            records,
            columns,
            places: std::array::from_fn(|_| Cell::new((0, 0, 0))),
            width,
            size,
            header: raw_header,
        }))
    }

    pub fn has(&self, column: &str) -> bool {
        self.columns.contains_key(column)
    }

    /// The place of `column` in each row. A static name's address and length stand for its
    /// text for as long as the program runs, so they may key the cache.
    fn place(&self, column: &'static str) -> Option<usize> {
        let (address, len) = (column.as_ptr() as usize, column.len());
        let cached = &self.places[(address ^ len) % PLACES];
        let (a, l, place) = cached.get();
        if a == address && l == len {
            return (place != usize::MAX).then_some(place);
        }
        let place = self.columns.get(column).copied();
        cached.set((address, len, place.unwrap_or(usize::MAX)));
        place
    }

    /// The line of the next record, or `None` at the end; a file that cannot be read further
    /// is a problem. Its fields are known once [`CsvFile::split`] accepts it.
    pub fn next_row(&mut self, problems: &mut Problems) -> Option<u64> {
        match self.records.next() {
            Ok(line) => line,
            Err(e) => {
                let line = self.records.line();
                problems.push(self.name, line, "(row)", format!("cannot read row: {e}"));
                None
            }
        }
    }

    /// The current record as the file has it, without its line end.
    pub fn raw(&self) -> &[u8] {
        self.records.raw()
    }

    /// Finds the current record's fields; `false` for a record with no value at all (skipped)
    /// and for one with more or fewer fields than the header (a problem).
    pub fn split(&mut self, line: u64, problems: &mut Problems) -> bool {
        self.records.split();
        let width = self.records.len();
        if width == 1 && self.records.get(0).is_some_and(<[u8]>::is_empty) {
            return false;
        }
        if width != self.width {
            problems.push(
                self.name,
                line,
                "(row)",
                format!("row has {width} fields, the header has {}", self.width),
            );
            return false;
        }
        true
    }

    /// The places of `columns` in each row; `None` when there are none, or one is absent.
    pub fn places(&self, columns: &[&'static str]) -> Option<Vec<usize>> {
        if columns.is_empty() {
            return None;
        }
        columns.iter().map(|column| self.place(column)).collect()
    }

    /// The key of the current record into `out`: the trimmed fields at `places` joined as
    /// [`arrears_store::key`] joins them, reading only as many fields as the key needs (a
    /// line known unchanged is read no further). `false` when a key field is empty, or not
    /// UTF-8 where [`trim_bytes`] checks it.
    pub fn key_bytes(&mut self, places: &[usize], out: &mut Vec<u8>) -> bool {
        const SEP: u8 = {
            assert!(arrears_store::KEY_SEP.is_ascii());
            arrears_store::KEY_SEP as u8
        };
        out.clear();
        let fields = places.iter().max().map_or(0, |place| place + 1);
        self.records.split_first(fields);
        for (i, place) in places.iter().enumerate() {
            let Some(text) = self.records.get(*place).and_then(trim_bytes) else {
                return false;
            };
            if text.is_empty() {
                return false;
            }
            if i > 0 {
                out.push(SEP);
            }
            out.extend_from_slice(text);
        }
        true
    }

    /// Bytes read so far, for progress.
    pub fn position(&self) -> u64 {
        self.records.position()
    }

    /// The current record's fields, once split.
    pub fn fields(&self, line: u64) -> Fields<'_> {
        Fields {
            file: self,
            line,
            found: Vec::new(),
        }
    }
}

/// The typed fields of one row; every bad value becomes a problem of the row.
pub struct Fields<'r> {
    file: &'r CsvFile,
    pub line: u64,
    found: Vec<(String, String)>,
}

impl<'r> Fields<'r> {
    pub fn problem(&mut self, column: &str, why: impl Into<String>) {
        self.found.push((column.to_owned(), why.into()));
    }

    /// Whether the file has `column` at all.
    pub fn has(&self, column: &'static str) -> bool {
        self.file.has(column)
    }

    pub fn is_bad(&self) -> bool {
        !self.found.is_empty()
    }

    /// Hands the row's problems over; `true` when it had none.
    pub fn finish(self, problems: &mut Problems) -> bool {
        let good = self.found.is_empty();
        for (column, why) in self.found {
            problems.push(self.file.name, self.line, &column, why);
        }
        good
    }

    /// The trimmed text of `column`; `None` when absent or empty.
    pub fn text(&mut self, column: &'static str) -> Option<&'r str> {
        let raw = self.file.records.get(self.file.place(column)?)?;
        match std::str::from_utf8(raw) {
            Ok(t) => Some(trim(t)).filter(|t| !t.is_empty()),
            Err(_) => {
                self.problem(column, "not valid UTF-8");
                None
            }
        }
    }

    /// [`Fields::text`], owned, for a row to keep.
    pub fn owned(&mut self, column: &'static str) -> Option<String> {
        self.text(column).map(str::to_owned)
    }

    pub fn required(&mut self, column: &'static str) -> Option<&'r str> {
        let value = self.text(column);
        if value.is_none() && self.file.has(column) {
            self.problem(column, "required value missing");
        }
        value
    }

    /// A required text, or an empty string once the problem is noted.
    pub fn required_or_empty(&mut self, column: &'static str) -> String {
        self.required(column).unwrap_or_default().to_owned()
    }

    pub fn money(&mut self, column: &'static str) -> Option<Money> {
        let text = self.text(column)?;
        Money::parse(text)
            .map_err(|e| self.problem(column, e.to_string()))
            .ok()
    }

    pub fn required_money(&mut self, column: &'static str) -> Option<Money> {
        let text = self.required(column)?;
        Money::parse(text)
            .map_err(|e| self.problem(column, e.to_string()))
            .ok()
    }

    pub fn date(&mut self, column: &'static str) -> Option<NaiveDate> {
        let text = self.text(column)?;
        parse_date(text).map_err(|e| self.problem(column, e)).ok()
    }

    pub fn required_date(&mut self, column: &'static str) -> Option<NaiveDate> {
        let text = self.required(column)?;
        parse_date(text).map_err(|e| self.problem(column, e)).ok()
    }

    /// `true/false`, `1/0`, `yes/no` in any case; empty gives `default`.
    pub fn flag(&mut self, column: &'static str, default: bool) -> bool {
        let Some(text) = self.text(column) else {
            return default;
        };
        let is = |words: [&str; 3]| words.iter().any(|w| w.eq_ignore_ascii_case(text));
        if is(["true", "1", "yes"]) {
            true
        } else if is(["false", "0", "no"]) {
            false
        } else {
            self.problem(
                column,
                format!("not a boolean {text:?}, expected true/false, 1/0 or yes/no"),
            );
            default
        }
    }

    /// A whole number of days, zero or more.
    pub fn days(&mut self, column: &'static str) -> Option<i64> {
        let text = self.text(column)?;
        match text.parse::<i64>() {
            Ok(n) if (0..=3650).contains(&n) => Some(n),
            _ => {
                self.problem(
                    column,
                    format!(
                        "not a number of days {text:?}, expected a whole number from 0 to 3650"
                    ),
                );
                None
            }
        }
    }

    /// A whole number within `range`.
    pub fn number(
        &mut self,
        column: &'static str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Option<i64> {
        let text = self.text(column)?;
        match text.parse::<i64>() {
            Ok(n) if range.contains(&n) => Some(n),
            _ => {
                self.problem(
                    column,
                    format!(
                        "not a whole number from {} to {}: {text:?}",
                        range.start(),
                        range.end()
                    ),
                );
                None
            }
        }
    }

    pub fn required_number(
        &mut self,
        column: &'static str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Option<i64> {
        self.required(column)?;
        self.number(column, range)
    }

    /// An ISO 4217 currency code.
    pub fn currency(&mut self, column: &'static str, required: bool) -> Option<String> {
        let text = if required {
            self.required(column)
        } else {
            self.text(column)
        }?;
        if text.len() == 3 && text.bytes().all(|b| b.is_ascii_alphabetic()) {
            Some(text.to_ascii_uppercase())
        } else {
            self.problem(
                column,
                format!("not a currency code {text:?}, expected three letters such as USD"),
            );
            None
        }
    }
}

/// Printable ASCII, never white space.
fn plain(byte: &u8) -> bool {
    (b'!'..=b'~').contains(byte)
}

/// `text` without leading and trailing white space; most values have none, which their first
/// and last bytes show without decoding characters.
fn trim(text: &str) -> &str {
    let bytes = text.as_bytes();
    if bytes.first().is_some_and(plain) && bytes.last().is_some_and(plain) {
        text
    } else {
        text.trim()
    }
}

/// [`trim`] of the field `raw`; `None` when it is not UTF-8. A field that starts and ends
/// with printable ASCII is taken as it is, unchecked: only a line that an earlier sync read
/// and checked whole is read this way.
fn trim_bytes(raw: &[u8]) -> Option<&[u8]> {
    if raw.first().is_some_and(plain) && raw.last().is_some_and(plain) {
        Some(raw)
    } else {
        std::str::from_utf8(raw)
            .ok()
            .map(|text| trim(text).as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::{trim, trim_bytes};

    #[test]
    fn values_lose_the_white_space_around_them_only() {
        for (raw, trimmed) in [
            ("US01", "US01"),
            (" US01", "US01"),
            ("US01\t", "US01"),
            ("\u{a0}Acme Ltd\u{2003}", "Acme Ltd"),
            ("\u{b}x\u{c}", "x"),
            ("a b", "a b"),
            ("é", "é"),
            ("", ""),
            ("  ", ""),
        ] {
            assert_eq!(trim(raw), trimmed, "{raw:?}");
            assert_eq!(
                trim_bytes(raw.as_bytes()),
                Some(trimmed.as_bytes()),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn a_field_trimmed_as_bytes_that_is_not_utf8_has_no_text() {
        assert_eq!(trim_bytes(b" \xff"), None);
        assert_eq!(trim_bytes(b"\xc3("), None);
        // Printable ASCII at both ends is taken as it is.
        assert_eq!(trim_bytes(b"a\xffb"), Some(&b"a\xffb"[..]));
    }
}
