//! What a sync remembers of each large file: a hash of every row's line, in the file's order.
//!
//! A nightly export brings the whole book again with a few rows changed, in the same order.
//! The next sync of the file compares each line with the one remembered at the same place (or
//! a few after it, for rows gone from the file): an identical line is an unchanged row, known
//! without reading its fields or looking its key up. That holds while the store keeps what the
//! line wrote: only a sync of the same file writes its table, each sync of it replaces the
//! memory, and a line whose meaning depends on another file (a customer's currency, a
//! company's home currency, a payment's date) is read in full when that file changed it.
//! The memory is kept for one header and one version of Arrears; either changing makes the
//! next sync read every row.

use foldhash::{HashMap, HashSet};

use arrears_store::Key;

/// The files remembered, with the columns of their keys and the column a duplicate key is
/// reported on.
pub const FILES: [(&str, &[&str], &str); 5] = [
    (
        "customers.csv",
        &["company_id", "customer_id"],
        "customer_id",
    ),
    (
        "contacts.csv",
        &["company_id", "customer_id", "contact_id"],
        "contact_id",
    ),
    ("payments.csv", &["company_id", "payment_id"], "payment_id"),
    (
        "payment_applications.csv",
        &["company_id", "payment_id", "tran_id"],
        "tran_id",
    ),
    ("invoices.csv", &["company_id", "tran_id"], "tran_id"),
];

/// Places around the expected one where a line is looked for: rows removed from the file
/// (ahead) or added to it (behind) since the last sync.
const AHEAD: usize = 16;
const BEHIND: usize = 16;

/// Lines missed in a row before the memory is indexed by hash: the file was reordered.
const LOST: u32 = 32;

/// Changes to the format of the memory or of what a line means; part of every stamp.
const FORMAT: u64 = 1;

/// A 64-bit hash of a line, eight bytes at a time: each step (xor the word in, multiply by an
/// odd constant, fold the high half down) can be undone, so two lines of one length that
/// differ in one word always hash apart, and others collide about once in 2^64. Stored: it
/// must never change.
pub fn line_hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let step = |h: u64, w: u64| {
        let x = (h ^ w).wrapping_mul(K);
        x ^ (x >> 32)
    };
    let mut h = step(0x243f_6a88_85a3_08d3, bytes.len() as u64);
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        h = step(h, u64::from_le_bytes(w));
    }
    let rest = words.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = step(h, u64::from_le_bytes(w));
    }
    step(h, 0)
}

/// The stamp a memory is kept under: this version of Arrears and the file's header.
pub fn stamp(header: &[u8]) -> i64 {
    let version = env!("CARGO_PKG_VERSION").as_bytes();
    let mut text = Vec::with_capacity(version.len() + header.len() + 9);
    text.extend_from_slice(&FORMAT.to_le_bytes());
    text.extend_from_slice(version);
    text.push(0);
    text.extend_from_slice(header);
    line_hash(&text) as i64
}

/// One file's memory during a sync: the last sync's lines, and this one's as they are read.
#[derive(Default)]
pub struct Memory {
    old: Vec<u64>,
    /// The old lines already matched, one bit each: each matches one line of the file at most.
    used: Vec<u64>,
    /// The place the next line is expected at.
    next: usize,
    misses: u32,
    /// Every old line's place by its hash, once lines are being missed in a row.
    index: Option<HashMap<u64, usize>>,
    pub new: Vec<u64>,
    /// Keys of the rows known unchanged (hashed), and of the rows read in full (with their
    /// lines): a key in both is a duplicate within the file.
    skipped_keys: Vec<u64>,
    read_keys: HashMap<u64, Vec<(Key, u64)>>,
}

impl Memory {
    /// The memory of a file whose last sync left `old` (empty: none to use).
    pub fn new(old: Vec<u64>) -> Memory {
        // The file holds about as many lines as before: room for them from the start, so
        // that ten million hashes are not copied as their lists grow.
        Memory {
            used: vec![0; old.len().div_ceil(64)],
            new: Vec::with_capacity(old.len() + old.len() / 16),
            skipped_keys: Vec::with_capacity(old.len()),
            old,
            ..Memory::default()
        }
    }

    /// This sync's lines, and the last sync's as the store holds them.
    pub fn into_lines(self) -> (Vec<u64>, Vec<u64>) {
        (self.new, self.old)
    }

    /// Whether there are old lines to match.
    pub fn active(&self) -> bool {
        !self.old.is_empty()
    }

    fn free(&self, place: usize) -> bool {
        self.used[place / 64] & (1 << (place % 64)) == 0
    }

    /// Whether the line of `hash` is an old line not matched yet: looked for at its expected
    /// place, then a few after and before it, then anywhere once lines are missed in a row.
    pub fn unchanged(&mut self, hash: u64) -> bool {
        let len = self.old.len();
        let near = (self.next..(self.next + AHEAD).min(len))
            .chain(self.next.saturating_sub(BEHIND)..self.next.min(len));
        let mut found = None;
        for place in near {
            if self.old[place] == hash && self.free(place) {
                found = Some(place);
                break;
            }
        }
        if found.is_none() && len > 0 {
            self.misses += 1;
            if self.index.is_none() && self.misses >= LOST {
                let mut index = HashMap::default();
                index.reserve(len);
                for (place, h) in self.old.iter().enumerate() {
                    index.entry(*h).or_insert(place);
                }
                self.index = Some(index);
            }
            found = (self.index.as_ref())
                .and_then(|index| index.get(&hash).copied())
                .filter(|place| self.free(*place));
        }
        match found {
            Some(place) => {
                self.used[place / 64] |= 1 << (place % 64);
                self.next = place + 1;
                self.misses = 0;
                true
            }
            None => {
                // Most often the line changed in its place: the next one is expected after it.
                self.next = (self.next + 1).min(len);
                false
            }
        }
    }

    /// Notes the key of a row known unchanged.
    pub fn skipped_key(&mut self, key: &[u8]) {
        self.skipped_keys.push(key_hash(key));
    }

    /// Notes the key of a row read in full.
    pub fn read_key(&mut self, key: Key, line: u64) {
        self.read_keys
            .entry(key_hash(key.as_bytes()))
            .or_default()
            .push((key, line));
    }

    /// Whether a key of an unchanged row may also be a key of a row read in full; only then
    /// must the file be read again to find the two lines.
    pub fn may_repeat_a_key(&self) -> bool {
        !self.read_keys.is_empty()
            && self
                .skipped_keys
                .iter()
                .any(|h| self.read_keys.contains_key(h))
    }

    /// The lines of the rows read in full, with their keys, for that second reading.
    pub fn read_rows(&self) -> (HashMap<&str, u64>, HashSet<u64>) {
        let mut keys = HashMap::default();
        let mut lines = HashSet::default();
        for (key, line) in self.read_keys.values().flatten() {
            keys.entry(key.as_str()).or_insert(*line);
            lines.insert(*line);
        }
        (keys, lines)
    }
}

/// The hash of a key's text, as its bytes.
fn key_hash(key: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(0).hash_one(key)
}

#[cfg(test)]
mod tests {
    use super::{Memory, line_hash};
    use proptest::prelude::*;

    #[test]
    fn the_line_hash_never_changes() {
        // Stored by every sync: a new value here would make every memory useless. The values
        // are those of the same steps written out in another language.
        assert_eq!(line_hash(b""), 0xea4c_db56_9647_9cdf);
        assert_eq!(
            line_hash(b"US01,C0000001,I000000100,IN,2025-06-06"),
            0x4006_e9c2_dcf3_56c3
        );
    }

    #[test]
    fn a_change_of_any_one_byte_changes_the_hash() {
        let line = b"US01,C0000001,I000000100,IN,2025-06-06,2025-07-06,18251.48,0.00,USD";
        let base = line_hash(line);
        for at in 0..line.len() {
            for byte in [0u8, b' ', b'0', b'9', b'A', 0x80, 0xff] {
                let mut changed = line.to_vec();
                if changed[at] == byte {
                    continue;
                }
                changed[at] = byte;
                assert_ne!(line_hash(&changed), base, "byte {at} set to {byte}");
            }
        }
        assert_ne!(line_hash(&line[..line.len() - 1]), base);
        assert_ne!(line_hash(&[line.as_slice(), b"\0"].concat()), base);
    }

    /// Old lines 0..n, as distinct hashes.
    fn line(n: usize) -> u64 {
        super::line_hash(&n.to_le_bytes())
    }

    /// The old lines 0..n edited: changed in place (0), removed (1), added (2), moved (3) or
    /// repeated (4).
    fn edited(n: usize, edits: &[(usize, u8)]) -> Vec<u64> {
        let mut new: Vec<u64> = (0..n).map(line).collect();
        for (at, edit) in edits {
            if new.is_empty() {
                break;
            }
            let at = at % new.len();
            match edit {
                0 => new[at] = line(1_000_000 + at),
                1 => {
                    new.remove(at);
                }
                2 => new.insert(at, line(2_000_000 + at)),
                3 => {
                    let moved = new.remove(at);
                    new.insert((at * 7) % (new.len() + 1), moved);
                }
                _ => new.insert(at, new[at]),
            }
        }
        new
    }

    proptest! {
        #[test]
        fn only_an_old_line_not_matched_before_is_found(
            n in 1usize..300,
            edits in prop::collection::vec((0usize..300, 0u8..5), 0..60),
        ) {
            let mut memory = Memory::new((0..n).map(line).collect());
            let mut matched = std::collections::HashSet::new();
            for h in edited(n, &edits) {
                let found = memory.unchanged(h);
                if found {
                    prop_assert!((0..n).any(|i| line(i) == h));
                    prop_assert!(matched.insert(h), "matched twice");
                }
            }
        }

        #[test]
        fn every_line_left_in_place_is_found(
            n in 1usize..300,
            changes in prop::collection::vec(0usize..300, 0..150),
            removed in prop::collection::vec(0usize..300, 0..15),
            added in prop::collection::vec(0usize..300, 0..15),
        ) {
            let edits: Vec<(usize, u8)> = (changes.into_iter().map(|at| (at, 0)))
                .chain(removed.into_iter().map(|at| (at, 1)))
                .chain(added.into_iter().map(|at| (at, 2)))
                .collect();
            let mut memory = Memory::new((0..n).map(line).collect());
            for h in edited(n, &edits) {
                prop_assert_eq!(memory.unchanged(h), (0..n).any(|i| line(i) == h));
            }
        }
    }

    #[test]
    fn a_reordered_file_is_found_after_a_few_misses() {
        let n = 1000;
        let mut memory = Memory::new((0..n).map(line).collect());
        let found = (0..n).rev().filter(|i| memory.unchanged(line(*i))).count();
        assert!(found >= n - super::LOST as usize, "{found} of {n}");
    }
}
