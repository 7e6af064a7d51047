//! One keyed table during a sync: what the store holds, what the folder brings, what changes.

use arrears_store::pages;
use arrears_store::{
    Change, FileCounts, Key, KeyState, Keys, Record, Store, StoreError, order_prefix, split_key,
};
use chrono::{Datelike, NaiveDate};
use foldhash::HashMap;

use crate::keyed::Keyed;

/// Rows written per round trip.
const BATCH: usize = 2_000;

/// One key: its stored state, the line of this sync's file that brought it (0: none), and
/// whether this sync writes that row (new or changed). Sixteen bytes: a first book of ten
/// million rows holds a table of them per large file, in memory the process touches for the
/// first time (each eight bytes less a slot is about 130 MiB less to touch per table).
#[derive(Clone, Copy, Debug)]
pub struct Slot {
    hash: i64,
    /// The stored date as days from the Common Era, or one of [`Slot::NONE`] and
    /// [`Slot::UNDATED`].
    day: i32,
    /// The line, and [`Slot::WRITTEN`].
    line: u32,
}

impl Default for Slot {
    fn default() -> Slot {
        Slot {
            hash: 0,
            day: Slot::NONE,
            line: 0,
        }
    }
}

impl Slot {
    /// `day` of a key with no stored state.
    const NONE: i32 = i32::MIN;
    /// `day` of a stored state without a date.
    const UNDATED: i32 = i32::MIN + 1;
    /// The bit of `line` that says this sync writes the row; the lines are the bits below.
    const WRITTEN: u32 = 1 << 31;

    fn stored_as(state: KeyState) -> Slot {
        let mut slot = Slot::default();
        slot.set_stored(state);
        slot
    }

    /// What the store holds under the key, as this sync leaves it.
    pub fn stored(&self) -> Option<KeyState> {
        let date = match self.day {
            Slot::NONE => return None,
            Slot::UNDATED => None,
            day => NaiveDate::from_num_days_from_ce_opt(day),
        };
        Some(KeyState {
            hash: self.hash,
            date,
        })
    }

    fn set_stored(&mut self, state: KeyState) {
        self.hash = state.hash;
        // Every date chrono holds is a day number far from the two reserved ones.
        self.day = state.date.map_or(Slot::UNDATED, |d| d.num_days_from_ce());
    }

    /// The line of this sync's file that brought the key; 0: none.
    pub fn line(&self) -> u32 {
        self.line & !Slot::WRITTEN
    }

    /// A line past the last that fits reads as that last one.
    fn set_line(&mut self, line: u64) {
        let line = u32::try_from(line).unwrap_or(u32::MAX).min(!Slot::WRITTEN);
        self.line = (self.line & Slot::WRITTEN) | line;
    }

    /// Whether this sync writes the row (new or changed).
    pub fn written(&self) -> bool {
        self.line & Slot::WRITTEN != 0
    }
}

/// Counts a good row against the hash stored under its key and queues it in `pending` when
/// it is new or changed; says whether it was.
fn queue<R>(
    counts: &mut FileCounts,
    pending: &mut Vec<Change<R>>,
    row: R,
    stored: Option<i64>,
    hash: i64,
) -> bool {
    counts.rows += 1;
    match stored {
        None => counts.inserted += 1,
        Some(h) if h == hash => {
            counts.unchanged += 1;
            return false;
        }
        Some(_) => counts.updated += 1,
    }
    pending.push(Change {
        row,
        hash,
        new: stored.is_none(),
    });
    true
}

/// Pages a sync changed in one company's table.
const PAGES: usize = pages::PAGES as usize;
type Dirty = [bool; PAGES];

/// Keys looked at to guess how a table's keys are shared among its companies.
const SAMPLE: usize = 4_096;

/// The room to give each page of keys of each company: its share of the keys (guessed from
/// keys taken evenly through the table) spread over the pages, and some more for the pages
/// that get more than their share. Each page's list then grows seldom, if at all: growing
/// copies it, into memory the process touches for the first time.
fn page_room(keys: &Keyed<Slot>) -> HashMap<&str, usize> {
    let mut seen: HashMap<&str, usize> = HashMap::default();
    let mut sampled = 0;
    let step = (keys.len() / SAMPLE).max(1);
    for (key, _) in keys.iter().step_by(step) {
        if let Some((company, _)) = split_key(key) {
            *seen.entry(company).or_default() += 1;
            sampled += 1;
        }
    }
    for count in seen.values_mut() {
        *count = room_per_page(keys.len() * *count / sampled.max(1));
    }
    seen
}

/// Room for a page's share of `items` spread over the pages, and some more: a list that grows
/// copies itself into memory the process touches for the first time.
pub(crate) fn room_per_page(items: usize) -> usize {
    let share = items / PAGES;
    share + share / 8 + 16
}

/// A page of keys to write: company, page number, packed keys.
pub type KeyPage = (String, u32, Vec<u8>);

/// The keys of a table in the store or in this sync, with what the sync knows of each.
pub struct Table<R> {
    keys: Keyed<Slot>,
    pending: Vec<Change<R>>,
    pub counts: FileCounts,
    /// Key pages changed by this sync, by company and page, when the table keeps them.
    dirty: Option<HashMap<String, Dirty>>,
}

impl<R: Record> Table<R> {
    /// A table whose stored keys the caller gives.
    pub fn new(file: &str, stored: Keys) -> Table<R> {
        let mut table = Table {
            keys: Keyed::default(),
            pending: Vec::new(),
            counts: FileCounts {
                file: file.to_owned(),
                ..FileCounts::default()
            },
            dirty: None,
        };
        table.keys.reserve(stored.len());
        for (key, state) in stored {
            table.keys.push(key, Slot::stored_as(state));
        }
        table
    }

    /// A table whose stored keys the store reads from the rows themselves.
    pub async fn load(file: &str, store: &Store) -> Result<Table<R>, StoreError> {
        Ok(Table::new(file, store.keys_of::<R>().await?))
    }

    /// A table whose stored keys come from its key pages, and go back to them.
    pub async fn paged(file: &str, store: &Store, needed: bool) -> Result<Table<R>, StoreError> {
        let mut table = Table::new(file, Keys::default());
        table.dirty = Some(HashMap::default());
        if needed {
            let bytes: i64 = store.page_bytes(R::TABLE).await?.values().sum();
            let keys = &mut table.keys;
            keys.reserve(usize::try_from(bytes / pages::keys::MIN_KEY_BYTES).unwrap_or(0));
            store
                .key_pages(R::TABLE, |company, data| {
                    pages::keys::decode(data, |rest, state| {
                        keys.push(arrears_store::key(&[company, rest]), Slot::stored_as(state));
                    })
                })
                .await?;
        }
        Ok(table)
    }

    /// Takes the stored keys `loaded` holds, read once a row needed them: the rows counted
    /// before stay counted (none of them looked a key up).
    pub fn take_keys(&mut self, loaded: Table<R>) {
        let counts = std::mem::take(&mut self.counts);
        *self = loaded;
        self.counts.rows += counts.rows;
        self.counts.unchanged += counts.unchanged;
    }

    /// Makes room for `rows` keys in all.
    pub fn expect(&mut self, rows: usize) {
        self.keys.reserve(rows.saturating_sub(self.keys.len()));
    }

    /// Whether `key` is in the store or in this sync.
    pub fn exists(&self, key: &str) -> bool {
        self.keys.locate(key).is_ok()
    }

    /// What the store holds under `key`, as this sync leaves it.
    pub fn stored(&self, key: &str) -> Option<KeyState> {
        self.keys.get(key).and_then(Slot::stored)
    }

    /// Every key with its slot, in the order met.
    pub fn slots(&self) -> impl Iterator<Item = (&Key, &Slot)> {
        self.keys.iter()
    }

    /// Keys in the store or in this sync.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Takes a row's key, and the row when it is good: counts it and queues it when it is
    /// new or changed. A key already seen in this file gives the line that first brought it.
    /// One lookup of the key, whatever the row.
    pub fn add(&mut self, key: Key, row: Option<R>, line: u64) -> Result<(), u64> {
        let place = self.keys.locate(&key);
        let stored = match place.map(|p| self.keys.at(p)) {
            Ok(slot) if slot.line() != 0 => return Err(u64::from(slot.line())),
            Ok(slot) => slot.stored(),
            Err(_) => None,
        };
        let mut written = None;
        if let Some(row) = row {
            let (hash, date) = (row.content_hash(), row.key_date());
            if queue(
                &mut self.counts,
                &mut self.pending,
                row,
                stored.map(|s| s.hash),
                hash,
            ) {
                // A paged table keeps the new state: its key pages are written from it.
                let state = self.dirty.as_mut().map(|dirty| {
                    if let Some((company, rest)) = split_key(&key) {
                        let page = pages::page_of(rest) as usize;
                        match dirty.get_mut(company) {
                            Some(pages) => pages[page] = true,
                            None => {
                                let mut pages = [false; PAGES];
                                pages[page] = true;
                                dirty.insert(company.to_owned(), pages);
                            }
                        }
                    }
                    KeyState { hash, date }
                });
                written = Some(state);
            }
        }
        let slot = match place {
            Ok(place) => self.keys.at_mut(place),
            Err(hash) => {
                let place = self.keys.put(key, hash, Slot::default());
                self.keys.at_mut(place)
            }
        };
        slot.set_line(line);
        if let Some(state) = written {
            slot.line |= Slot::WRITTEN;
            if let Some(state) = state {
                slot.set_stored(state);
            }
        }
        Ok(())
    }

    /// Counts a good row against the hash stored under its key and queues it when it is
    /// new or changed; says whether it was.
    pub fn queue(&mut self, row: R, stored: Option<i64>, hash: i64) -> bool {
        queue(&mut self.counts, &mut self.pending, row, stored, hash)
    }

    /// The queued rows once there are enough, or all of them when `all`; with problems
    /// found, drops them instead: the sync will write nothing.
    pub fn take(&mut self, clean: bool, all: bool) -> Option<Vec<Change<R>>> {
        if !clean {
            self.pending.clear();
            return None;
        }
        if self.pending.is_empty() || (!all && self.pending.len() < BATCH) {
            return None;
        }
        // The next batch gets the room this one took, instead of growing to it a doubling at
        // a time (each growth copies the rows queued so far).
        let room = self.pending.len();
        Some(std::mem::replace(
            &mut self.pending,
            Vec::with_capacity(room),
        ))
    }

    /// The key pages this sync changed, packed.
    pub fn key_pages(&self) -> Vec<KeyPage> {
        let Some(dirty) = self.dirty.as_ref().filter(|d| !d.is_empty()) else {
            return Vec::new();
        };
        // Each key with what orders it in its page (see `order_prefix`).
        type Ordered<'k> = (u128, &'k str, KeyState);
        let room = page_room(&self.keys);
        let mut buckets: HashMap<(&str, u32), Vec<Ordered>> = dirty
            .iter()
            .flat_map(|(company, pages)| {
                let room = room.get(company.as_str()).copied().unwrap_or(0);
                (0..PAGES)
                    .filter(|p| pages[*p])
                    .map(move |p| ((company.as_str(), p as u32), Vec::with_capacity(room)))
            })
            .collect();
        for (key, slot) in self.keys.iter() {
            let (Some((company, rest)), Some(state)) = (split_key(key), slot.stored()) else {
                continue;
            };
            if let Some(bucket) = buckets.get_mut(&(company, pages::page_of(rest))) {
                bucket.push((order_prefix(rest), rest, state));
            }
        }
        let mut out = Vec::with_capacity(buckets.len());
        for ((company, page), mut keys) in buckets {
            keys.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
            let mut data = Vec::new();
            for (_, rest, state) in keys {
                pages::keys::encode(&mut data, rest, state);
            }
            out.push((company.to_owned(), page, data));
        }
        out
    }

    /// Frees the keys once no later file needs them.
    pub fn release(&mut self) {
        self.keys = Keyed::default();
    }
}

#[cfg(test)]
mod tests {
    use super::{KeyState, Keys, Slot, Table};
    use arrears_store::{CustomerRow, Key, key};
    use chrono::{Datelike, NaiveDate};
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn date() -> impl Strategy<Value = Option<NaiveDate>> {
        // Every day chrono can hold, and none.
        let days = NaiveDate::MIN.num_days_from_ce()..=NaiveDate::MAX.num_days_from_ce();
        proptest::option::of(days.prop_map(|d| NaiveDate::from_num_days_from_ce_opt(d).unwrap()))
    }

    /// A key of company `c` among a few, so that keys repeat.
    fn key_of(company: u8, id: u16) -> Key {
        key(&[&format!("C{company}"), &format!("K{id:05}")])
    }

    proptest! {
        /// Whatever order keys are added and looked up in (in runs, as files list them, or
        /// not), the table answers as a map of key to state and first line does: a key added
        /// twice gives its first line, a stored key its state.
        #[test]
        fn a_table_answers_as_a_map_does(
            stored in proptest::collection::vec((0u8..3, 0u16..300, any::<i64>()), 0..200),
            steps in proptest::collection::vec(
                (any::<bool>(), 0u8..3, 0u16..300, 0u16..40),
                0..600,
            ),
        ) {
            let stored: Keys = stored
                .into_iter()
                .map(|(c, id, hash)| (key_of(c, id), KeyState { hash, date: None }))
                .collect();
            let mut table: Table<CustomerRow> = Table::new("customers.csv", stored.clone());
            let mut lines: HashMap<Key, u64> = HashMap::new();
            for (line, (add, company, id, run)) in steps.into_iter().enumerate() {
                // A run of keys one after another, as a file lists related rows.
                for id in id..id.saturating_add(run % 4 + 1) {
                    let k = key_of(company, id);
                    let line = line as u64 + 1;
                    if add {
                        let first = lines.get(&k).copied();
                        prop_assert_eq!(table.add(k.clone(), None, line).err(), first);
                        lines.entry(k.clone()).or_insert(line);
                    }
                    let known = stored.contains_key(&k) || lines.contains_key(&k);
                    prop_assert_eq!(table.exists(&k), known);
                    prop_assert_eq!(table.stored(&k), stored.get(&k).copied());
                }
            }
            let slots: HashMap<&str, u32> =
                table.slots().map(|(k, s)| (k.as_str(), s.line())).collect();
            prop_assert_eq!(slots.len(), table.len());
            for (k, line) in &lines {
                prop_assert_eq!(slots.get(k.as_str()).copied(), Some(*line as u32));
            }
        }

        /// A slot gives back the state, line and mark it was given, whatever the order they
        /// were set in.
        #[test]
        fn a_slot_keeps_what_it_is_given(
            hash: i64,
            date in date(),
            line in 0u64..=u64::from(u32::MAX) + 2,
            written: bool,
            state_first: bool,
        ) {
            let state = KeyState { hash, date };
            let mut slot = Slot::default();
            prop_assert_eq!(slot.stored(), None);
            if state_first {
                slot.set_stored(state);
            }
            if written {
                slot.line |= Slot::WRITTEN;
            }
            slot.set_line(line);
            if !state_first {
                slot.set_stored(state);
            }
            prop_assert_eq!(slot.stored(), Some(state));
            prop_assert_eq!(slot.written(), written);
            let kept = u64::from(slot.line());
            prop_assert_eq!(kept, line.min(u64::from(!Slot::WRITTEN)));
        }
    }

    #[test]
    fn a_slot_is_sixteen_bytes() {
        assert_eq!(std::mem::size_of::<Slot>(), 16);
    }
}
