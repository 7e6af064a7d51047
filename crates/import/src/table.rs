//! One keyed table during a sync: what the store holds, what the folder brings, what changes.

use arrears_store::pages;
use arrears_store::{
    Change, FileCounts, Key, KeyState, Keys, Record, Store, StoreError, order_prefix, split_key,
};
use foldhash::HashMap;
use std::collections::hash_map::Entry;

/// Rows written per round trip.
const BATCH: usize = 2_000;

/// One key: its stored state, the line of this sync's file that brought it (0: none), and
/// whether this sync writes that row (new or changed).
#[derive(Clone, Copy, Debug, Default)]
pub struct Slot {
    pub stored: Option<KeyState>,
    pub line: u32,
    pub written: bool,
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

/// A page of keys to write: company, page number, packed keys.
pub type KeyPage = (String, u32, Vec<u8>);

pub struct Table<R> {
    keys: HashMap<Key, Slot>,
    pending: Vec<Change<R>>,
    pub counts: FileCounts,
    /// Key pages changed by this sync, by company and page, when the table keeps them.
    dirty: Option<HashMap<String, Dirty>>,
}

impl<R: Record> Table<R> {
    /// A table whose stored keys the caller gives.
    pub fn new(file: &str, stored: Keys) -> Table<R> {
        Table {
            keys: stored
                .into_iter()
                .map(|(k, s)| {
                    (
                        k,
                        Slot {
                            stored: Some(s),
                            line: 0,
                            written: false,
                        },
                    )
                })
                .collect(),
            pending: Vec::new(),
            counts: FileCounts {
                file: file.to_owned(),
                ..FileCounts::default()
            },
            dirty: None,
        }
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
                        keys.insert(
                            arrears_store::key(&[company, rest]),
                            Slot {
                                stored: Some(state),
                                line: 0,
                                written: false,
                            },
                        );
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
        self.keys.contains_key(key)
    }

    /// What the store holds under `key`, as this sync leaves it.
    pub fn stored(&self, key: &str) -> Option<KeyState> {
        self.keys.get(key).and_then(|s| s.stored)
    }

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
        let line = u32::try_from(line).unwrap_or(u32::MAX);
        let Table {
            keys,
            pending,
            counts,
            dirty,
        } = self;
        let mut entry = keys.entry(key);
        let stored = match &entry {
            Entry::Occupied(e) if e.get().line != 0 => return Err(u64::from(e.get().line)),
            Entry::Occupied(e) => e.get().stored,
            Entry::Vacant(_) => None,
        };
        let mut written = None;
        if let Some(row) = row {
            let (hash, date) = (row.content_hash(), row.key_date());
            if queue(counts, pending, row, stored.map(|s| s.hash), hash) {
                // A paged table keeps the new state: its key pages are written from it.
                let state = dirty.as_mut().map(|dirty| {
                    if let Some((company, rest)) = split_key(entry.key()) {
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
        let slot = match entry {
            Entry::Occupied(ref mut e) => e.get_mut(),
            Entry::Vacant(e) => e.insert(Slot::default()),
        };
        slot.line = line;
        if let Some(state) = written {
            slot.written = true;
            if state.is_some() {
                slot.stored = state;
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
        let mut buckets: HashMap<(&str, u32), Vec<Ordered>> = dirty
            .iter()
            .flat_map(|(company, pages)| {
                (0..PAGES)
                    .filter(|p| pages[*p])
                    .map(|p| ((company.as_str(), p as u32), Vec::new()))
            })
            .collect();
        for (key, slot) in &self.keys {
            let (Some((company, rest)), Some(state)) = (split_key(key), slot.stored) else {
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
        self.keys = HashMap::default();
    }
}
