//! Splitting a sync file into records, as the `csv` crate reads them. Most rows of an ERP's
//! export are plain lines with no quotes: one scan finds the line's end and the commas are its
//! field breaks. A line with a quote or a lone carriage return goes through `csv_core`, which
//! reads it as the `csv` crate does. Every record keeps its raw bytes, so a sync can know an
//! unchanged row before it reads a field.

use std::fs::File;
use std::io::{self, Read};

use csv_core::{ReadRecordResult, Reader as Core};

/// Bytes read from the file at a time; a longer record grows the buffer.
const CHUNK: usize = 1 << 20;

pub struct Records {
    file: File,
    buf: Vec<u8>,
    /// The bytes not yet taken are `buf[at..filled]`.
    at: usize,
    filled: usize,
    eof: bool,
    /// Offset in the file of `buf[0]`.
    base: u64,
    /// Line of `buf[at]`, from 1 (lines are counted by `\n`, as `csv` counts them).
    line: u64,
    core: Core,
    /// The current record's raw bytes, without its line end: `buf[raw.0..raw.1]`.
    raw: (usize, usize),
    /// A quoted record's fields as `csv_core` gives them (unquoted, back to back).
    unquoted: Vec<u8>,
    /// Where each field ends: in `unquoted` for a quoted record, in the raw bytes for a plain
    /// one (whose fields are one comma apart). Only `ends[..count]` are the record's.
    ends: Vec<usize>,
    count: usize,
    quoted: bool,
}

impl Records {
    pub fn new(file: File) -> Records {
        Records {
            file,
            buf: vec![0; CHUNK],
            at: 0,
            filled: 0,
            eof: false,
            base: 0,
            line: 1,
            core: Core::new(),
            raw: (0, 0),
            unquoted: vec![0; 256],
            ends: vec![0; 64],
            count: 0,
            quoted: false,
        }
    }

    /// Bytes of the file taken so far.
    pub fn position(&self) -> u64 {
        self.base + self.at as u64
    }

    /// The line the next record starts on (or where reading stopped).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Moves to the next record and gives its line; `None` at the end. Empty lines are no
    /// records. The record's fields are known once [`Records::split`] is called.
    pub fn next(&mut self) -> io::Result<Option<u64>> {
        loop {
            if self.at == self.filled && !self.fill()? {
                return Ok(None);
            }
            match self.buf[self.at] {
                b'\n' => {
                    self.at += 1;
                    self.line += 1;
                    continue;
                }
                b'\r' => {
                    self.at += 1;
                    continue;
                }
                _ => {}
            }
            let end = match memchr::memchr(b'\n', &self.buf[self.at..self.filled]) {
                Some(i) => self.at + i,
                None if !self.eof => {
                    self.fill()?;
                    continue;
                }
                None => self.filled,
            };
            let mut body = end;
            if self.buf[body - 1] == b'\r' {
                body -= 1;
            }
            let line = self.line;
            if memchr::memchr2(b'"', b'\r', &self.buf[self.at..body]).is_some() {
                self.read_quoted()?;
                return Ok(Some(line));
            }
            self.raw = (self.at, body);
            self.quoted = false;
            self.count = 0;
            if end < self.filled {
                self.at = end + 1;
                self.line += 1;
            } else {
                self.at = end;
            }
            return Ok(Some(line));
        }
    }

    /// Reads a record with quotes (or a lone `\r`) from `at` with `csv_core`.
    fn read_quoted(&mut self) -> io::Result<()> {
        self.core.reset();
        self.quoted = true;
        let (mut pos, mut out, mut count) = (self.at, 0, 0);
        loop {
            let (result, read, written, ended) = self.core.read_record(
                &self.buf[pos..self.filled],
                &mut self.unquoted[out..],
                &mut self.ends[count..],
            );
            pos += read;
            out += written;
            count += ended;
            match result {
                ReadRecordResult::InputEmpty => {
                    if !self.eof {
                        let shift = self.at;
                        self.fill()?;
                        pos -= shift;
                    }
                }
                ReadRecordResult::OutputFull => {
                    let len = self.unquoted.len();
                    self.unquoted.resize(len * 2, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let len = self.ends.len();
                    self.ends.resize(len * 2, 0);
                }
                ReadRecordResult::Record | ReadRecordResult::End => break,
            }
        }
        let lines = memchr::memchr_iter(b'\n', &self.buf[self.at..pos]).count();
        let mut body = pos;
        // A record that ends before the end of the file took its line end with it.
        if body > self.at && matches!(self.buf[body - 1], b'\n' | b'\r') {
            body -= 1;
        }
        self.raw = (self.at, body);
        self.count = count;
        self.at = pos;
        self.line += lines as u64;
        Ok(())
    }

    /// Keeps the bytes not yet taken, moved to the front, and reads more after them;
    /// `false` once the file has no more.
    fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        let shift = self.at;
        if shift > 0 {
            self.buf.copy_within(shift..self.filled, 0);
            self.filled -= shift;
            self.at = 0;
            self.base += shift as u64;
        }
        if self.filled == self.buf.len() {
            self.buf.resize(self.buf.len() + CHUNK, 0);
        }
        loop {
            match self.file.read(&mut self.buf[self.filled..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.filled += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// The current record as the file has it, without its line end.
    pub fn raw(&self) -> &[u8] {
        &self.buf[self.raw.0..self.raw.1]
    }

    /// Finds the current record's fields.
    pub fn split(&mut self) {
        if self.quoted {
            return;
        }
        let raw = &self.buf[self.raw.0..self.raw.1];
        self.ends.clear();
        self.ends.extend(memchr::memchr_iter(b',', raw));
        self.ends.push(raw.len());
        self.count = self.ends.len();
    }

    /// Finds the first `n` fields of the current record only (every field of a quoted one):
    /// enough for a key in its first columns, without scanning the rest of the line.
    pub fn split_first(&mut self, n: usize) {
        if self.quoted {
            return;
        }
        let raw = &self.buf[self.raw.0..self.raw.1];
        self.ends.clear();
        self.ends.extend(memchr::memchr_iter(b',', raw).take(n));
        if self.ends.len() < n {
            self.ends.push(raw.len());
        }
        self.count = self.ends.len();
    }

    /// Fields of the current record, once split.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Field `i` of the current record, once split.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        if i >= self.count {
            return None;
        }
        if self.quoted {
            let start = if i == 0 { 0 } else { self.ends[i - 1] };
            Some(&self.unquoted[start..self.ends[i]])
        } else {
            let start = if i == 0 { 0 } else { self.ends[i - 1] + 1 };
            Some(&self.buf[self.raw.0 + start..self.raw.0 + self.ends[i]])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Records;
    use proptest::prelude::*;
    use std::io::Write;

    /// Every record of `text` with its line, as this reader gives them.
    fn ours(text: &[u8]) -> Vec<(u64, Vec<Vec<u8>>)> {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(text).unwrap();
        std::io::Seek::rewind(&mut file).unwrap();
        let mut records = Records::new(file);
        let mut out = Vec::new();
        while let Some(line) = records.next().unwrap() {
            records.split();
            let fields = (0..records.len())
                .map(|i| records.get(i).unwrap().to_vec())
                .collect();
            out.push((line, fields));
        }
        out
    }

    /// Every record of `text` as the `csv` crate reads it, with the line of its first byte:
    /// one more than the `\n`s before it (`csv` gives where it started looking, which may be
    /// an empty line before the record).
    fn theirs(text: &[u8]) -> Vec<(u64, Vec<Vec<u8>>)> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(false)
            .from_reader(text);
        let mut out = Vec::new();
        for record in reader.byte_records() {
            let record = record.unwrap();
            let mut first = record.position().unwrap().byte() as usize;
            while first < text.len() && matches!(text[first], b'\n' | b'\r') {
                first += 1;
            }
            let line = 1 + text[..first].iter().filter(|b| **b == b'\n').count() as u64;
            out.push((line, record.iter().map(<[u8]>::to_vec).collect()));
        }
        out
    }

    /// Text made of the bytes that matter to CSV, and a few others.
    fn csv_text() -> impl Strategy<Value = Vec<u8>> {
        let byte = prop::sample::select(vec![b'a', b'7', b' ', b',', b'"', b'\n', b'\r', 0xc3]);
        prop::collection::vec(byte, 0..200)
    }

    proptest! {
        #[test]
        fn records_fields_and_lines_are_the_csv_crates(text in csv_text()) {
            prop_assert_eq!(ours(&text), theirs(&text));
        }

        /// The first fields of a record split only as far as they go are its first fields.
        #[test]
        fn the_first_fields_alone_are_those_of_the_whole_record(
            text in csv_text(),
            n in 1usize..5,
        ) {
            let mut file = tempfile::tempfile().unwrap();
            file.write_all(&text).unwrap();
            std::io::Seek::rewind(&mut file).unwrap();
            let mut records = Records::new(file);
            let whole = ours(&text);
            let mut at = 0;
            while records.next().unwrap().is_some() {
                records.split_first(n);
                let first: Vec<Vec<u8>> = (0..n)
                    .map_while(|i| records.get(i).map(<[u8]>::to_vec))
                    .collect();
                let fields = &whole[at].1;
                prop_assert_eq!(&first[..], &fields[..n.min(fields.len())]);
                at += 1;
            }
        }

        #[test]
        fn plain_lines_are_records_on_their_own_lines(
            rows in prop::collection::vec(prop::collection::vec("[a-z0-9 .-]{0,6}", 1..5), 1..20),
            crlf in any::<bool>(),
            blank_after in prop::collection::vec(any::<bool>(), 20),
        ) {
            let end = if crlf { "\r\n" } else { "\n" };
            let mut text = String::new();
            let mut expected = Vec::new();
            let mut line = 1;
            for (i, row) in rows.iter().enumerate() {
                let joined = row.join(",");
                if !joined.is_empty() {
                    expected.push((line, row.iter().map(|f| f.as_bytes().to_vec()).collect::<Vec<_>>()));
                }
                text.push_str(&joined);
                text.push_str(end);
                line += 1;
                if blank_after[i] {
                    text.push_str(end);
                    line += 1;
                }
            }
            prop_assert_eq!(ours(text.as_bytes()), expected);
        }
    }

    #[test]
    fn quoted_fields_keep_commas_quotes_and_line_ends() {
        let text = b"id,note\n1,\"a, b\"\n2,\"say \"\"hi\"\"\nthere\"\r\n3,plain\n\n4,last";
        let got = ours(text);
        let lines: Vec<u64> = got.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [1, 2, 3, 5, 7]);
        assert_eq!(got[2].1[1], b"say \"hi\"\nthere");
        assert_eq!(got[4].1, [b"4".to_vec(), b"last".to_vec()]);
    }

    #[test]
    fn a_record_longer_than_the_buffer_is_read_whole() {
        let long = "x".repeat(3 << 20);
        let text = format!("a,{long}\n\"q,{long}\",b\n");
        let got = ours(text.as_bytes());
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].1[1].len(), long.len());
        assert_eq!(got[1].1[0].len(), long.len() + 2);
        assert_eq!(got[1].0, 2);
    }

    #[test]
    fn the_raw_bytes_are_the_line_without_its_end() {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(b"a,b\r\n\"c\nd\",e\nf").unwrap();
        std::io::Seek::rewind(&mut file).unwrap();
        let mut records = Records::new(file);
        let mut raws = Vec::new();
        while records.next().unwrap().is_some() {
            raws.push(records.raw().to_vec());
        }
        assert_eq!(
            raws,
            [b"a,b".to_vec(), b"\"c\nd\",e".to_vec(), b"f".to_vec()]
        );
    }
}
