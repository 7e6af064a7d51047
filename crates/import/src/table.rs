//! One keyed table during a sync: what the store holds, what the folder brings, what changes.

use foldhash::HashMap;

use arrears_store::{FileCounts, Keys, Record, StoreError, Tx};

/// Rows written per round trip.
const BATCH: usize = 2_000;

pub struct Table<R> {
    pub stored: Keys,
    /// Keys seen in the folder, with the line that brought each.
    pub folder: HashMap<String, u64>,
    pending: Vec<R>,
    pub counts: FileCounts,
}

impl<R: Record> Table<R> {
    pub fn new(file: &str, stored: Keys) -> Table<R> {
        Table {
            stored,
            folder: HashMap::default(),
            pending: Vec::new(),
            counts: FileCounts {
                file: file.to_owned(),
                ..FileCounts::default()
            },
        }
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
        self.folder.insert(key, line);
        let Some(row) = row else { return Ok(()) };
        self.counts.rows += 1;
        match stored {
            None => {
                self.counts.inserted += 1;
                self.pending.push(row);
            }
            Some(hash) if hash == row.content_hash() => self.counts.unchanged += 1,
            Some(_) => {
                self.counts.updated += 1;
                self.pending.push(row);
            }
        }
        Ok(())
    }

    /// Writes the queued rows once there are enough, or all of them when `all`;
    /// with problems found, drops them instead: the sync will write nothing.
    pub async fn flush(&mut self, tx: &mut Tx, clean: bool, all: bool) -> Result<(), StoreError> {
        if !clean {
            self.pending.clear();
        } else if all || self.pending.len() >= BATCH {
            tx.upsert(&self.pending).await?;
            self.pending.clear();
        }
        Ok(())
    }
}
