//! One keyed table during a sync: what the store holds, what the folder brings, what changes.

use arrears_store::pages::{self, PAGES};
use arrears_store::{FileCounts, KEY_SEP, KeyState, Keys, Record, Store, StoreError, Tx};
use foldhash::{HashMap, HashSet};

/// Rows written per round trip.
const BATCH: usize = 2_000;

pub struct Table<R> {
    pub stored: Keys,
    /// Keys seen in the folder, with the line that brought each.
    pub folder: HashMap<String, u64>,
    pending: Vec<R>,
    pub counts: FileCounts,
    /// Key pages changed by this sync, by company and page, when the table keeps them.
    dirty: Option<HashSet<(String, u32)>>,
}

impl<R: Record> Table<R> {
    /// A table whose stored keys the caller gives.
    pub fn new(file: &str, stored: Keys) -> Table<R> {
        Table {
            stored,
            folder: HashMap::default(),
            pending: Vec::new(),
            counts: FileCounts {
                file: file.to_owned(),
                ..FileCounts::default()
            },
            dirty: None,
        }
    }

    /// A table whose stored keys come from its key pages, and go back to them.
    pub async fn paged(file: &str, store: &Store, needed: bool) -> Result<Table<R>, StoreError> {
        let mut stored = Keys::default();
        if needed {
            store
                .key_pages(R::TABLE, |company, data| {
                    pages::keys::decode(data, |rest, state| {
                        stored.insert(format!("{company}{KEY_SEP}{rest}"), state);
                    })
                })
                .await?;
        }
        let mut table = Table::new(file, stored);
        table.dirty = Some(HashSet::default());
        Ok(table)
    }

    /// Whether `key` is in the store or in this sync.
    pub fn exists(&self, key: &str) -> bool {
        self.folder.contains_key(key) || self.stored.contains_key(key)
    }

    /// Takes a row's key, and the row when it is good: counts it and queues it when it is
    /// new or changed. A key already seen in this file gives the line that first brought it.
    pub fn add(&mut self, key: String, row: Option<R>, line: u64) -> Result<(), u64> {
        let stored = self.stored.get(&key).map(|s| s.hash);
        self.add_against(key, row, line, stored)
    }

    /// As [`Table::add`], against the content hash of the stored row under that key.
    pub fn add_against(
        &mut self,
        key: String,
        row: Option<R>,
        line: u64,
        stored: Option<i64>,
    ) -> Result<(), u64> {
        if let Some(first) = self.folder.get(&key) {
            return Err(*first);
        }
        let Some(row) = row else {
            self.folder.insert(key, line);
            return Ok(());
        };
        self.counts.rows += 1;
        let hash = row.content_hash();
        match stored {
            None => self.counts.inserted += 1,
            Some(h) if h == hash => {
                self.counts.unchanged += 1;
                self.folder.insert(key, line);
                return Ok(());
            }
            Some(_) => self.counts.updated += 1,
        }
        if let Some(dirty) = &mut self.dirty {
            if let Some((company, rest)) = key.split_once(KEY_SEP) {
                dirty.insert((company.to_owned(), pages::page_of(rest)));
            }
            self.stored.insert(
                key.clone(),
                KeyState {
                    hash,
                    date: row.key_date(),
                },
            );
        }
        self.pending.push(row);
        self.folder.insert(key, line);
        Ok(())
    }

    /// The queued rows once there are enough, or all of them when `all`; with problems
    /// found, drops them instead: the sync will write nothing.
    pub fn take(&mut self, clean: bool, all: bool) -> Option<Vec<R>> {
        if !clean {
            self.pending.clear();
            return None;
        }
        if self.pending.is_empty() || (!all && self.pending.len() < BATCH) {
            return None;
        }
        Some(std::mem::take(&mut self.pending))
    }

    /// Writes the key pages this sync changed.
    pub async fn write_pages(&self, tx: &mut Tx) -> Result<(), StoreError> {
        let Some(dirty) = self.dirty.as_ref().filter(|d| !d.is_empty()) else {
            return Ok(());
        };
        let mut buckets: HashMap<(&str, u32), Vec<(&str, KeyState)>> = HashMap::default();
        for (company, page) in dirty {
            buckets.insert((company.as_str(), *page), Vec::new());
        }
        for (key, state) in &self.stored {
            let Some((company, rest)) = key.split_once(KEY_SEP) else {
                continue;
            };
            if let Some(bucket) = buckets.get_mut(&(company, pages::page_of(rest))) {
                bucket.push((rest, *state));
            }
        }
        let mut data = Vec::new();
        for ((company, page), mut keys) in buckets {
            keys.sort_unstable_by(|a, b| a.0.cmp(b.0));
            data.clear();
            for (rest, state) in keys {
                pages::keys::encode(&mut data, rest, state);
            }
            debug_assert!(page < PAGES);
            tx.put_key_page(R::TABLE, company, page, &data).await?;
        }
        Ok(())
    }
}
