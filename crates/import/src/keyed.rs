//! Values by key, held in the order their keys were met, for the millions of keys of a sync.
//!
//! Files list related rows together (a payment's applications after one another, a customer's
//! invoices, the invoices in the order of the payments applied to them), so the key asked for
//! is often the one found last or the next: those two are compared first, in memory read in
//! order, before the hash table, each of whose probes among ten million keys misses the
//! caches. The hash table holds each key's place, four bytes a key, and the list only the
//! room it fills: about a third less memory to touch than a map of key to value. A place is
//! four bytes, so a list holds up to 2^32 keys (a sync of ten million rows holds 10M).

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU32, Ordering};

use arrears_store::Key;
use foldhash::fast::RandomState;
use hashbrown::HashTable;

pub struct Keyed<V> {
    entries: Vec<(Key, V)>,
    places: HashTable<u32>,
    hasher: RandomState,
    /// The place of the key found last: shared by readers on several threads, it is only ever
    /// a guess, checked before use.
    last: AtomicU32,
}

impl<V> Default for Keyed<V> {
    fn default() -> Keyed<V> {
        Keyed {
            entries: Vec::new(),
            places: HashTable::new(),
            hasher: RandomState::default(),
            last: AtomicU32::new(0),
        }
    }
}

impl<V> Keyed<V> {
    /// Makes room for `more` keys.
    pub fn reserve(&mut self, more: usize) {
        let Keyed {
            entries,
            places,
            hasher,
            ..
        } = self;
        entries.reserve(more);
        places.reserve(more, |p| hasher.hash_one(entries[*p as usize].0.as_str()));
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Every key with its value, in the order met.
    pub fn iter(&self) -> impl Iterator<Item = (&Key, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// The place of `key`: the one found last or the next when it is one of them, else by its
    /// hash; the hash of a key not held.
    pub fn locate(&self, key: &str) -> Result<usize, u64> {
        let last = self.last.load(Ordering::Relaxed) as usize;
        let place = match (self.entries.get(last), self.entries.get(last + 1)) {
            (Some((k, _)), _) if k == key => return Ok(last),
            (_, Some((k, _))) if k == key => last + 1,
            _ => {
                let hash = self.hasher.hash_one(key);
                let found = self
                    .places
                    .find(hash, |p| self.entries[*p as usize].0 == key);
                *found.ok_or(hash)? as usize
            }
        };
        self.last.store(place as u32, Ordering::Relaxed);
        Ok(place)
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        let place = self.locate(key).ok()?;
        Some(&self.entries[place].1)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        let place = self.locate(key).ok()?;
        Some(&mut self.entries[place].1)
    }

    /// The value at a place [`Keyed::locate`] gave.
    pub fn at(&self, place: usize) -> &V {
        &self.entries[place].1
    }

    pub fn at_mut(&mut self, place: usize) -> &mut V {
        &mut self.entries[place].1
    }

    /// Adds `key`, not held, whose hash [`Keyed::locate`] gave; gives its place, now the one
    /// found last.
    pub fn put(&mut self, key: Key, hash: u64, value: V) -> usize {
        let Keyed {
            entries,
            places,
            hasher,
            ..
        } = self;
        let place = entries.len();
        places.insert_unique(hash, place as u32, |p| {
            hasher.hash_one(entries[*p as usize].0.as_str())
        });
        entries.push((key, value));
        self.last.store(place as u32, Ordering::Relaxed);
        place
    }

    /// Adds `key`, not held.
    pub fn push(&mut self, key: Key, value: V) -> usize {
        let hash = self.hasher.hash_one(key.as_str());
        self.put(key, hash, value)
    }

    /// The value of `key`, added as `value()` when not held.
    pub fn get_or_insert_with(&mut self, key: Key, value: impl FnOnce() -> V) -> &mut V {
        let place = match self.locate(&key) {
            Ok(place) => place,
            Err(hash) => self.put(key, hash, value()),
        };
        &mut self.entries[place].1
    }
}

#[cfg(test)]
mod tests {
    use super::Keyed;
    use arrears_store::{Key, key};
    use proptest::prelude::*;
    use std::collections::HashMap;

    proptest! {
        /// Whatever order keys are added and looked up in (in runs, as files list them, or
        /// not), the list answers as a map does, and holds its keys in the order met.
        #[test]
        fn a_keyed_list_answers_as_a_map_does(
            steps in proptest::collection::vec(
                (any::<bool>(), 0u8..3, 0u16..300, 0u16..40),
                0..600,
            ),
        ) {
            let mut keyed: Keyed<usize> = Keyed::default();
            let mut model: HashMap<Key, usize> = HashMap::new();
            let mut order: Vec<Key> = Vec::new();
            for (step, (add, company, id, run)) in steps.into_iter().enumerate() {
                // A run of keys one after another, as a file lists related rows.
                for id in id..id.saturating_add(run % 4 + 1) {
                    let k = key(&[&format!("C{company}"), &format!("K{id:05}")]);
                    if add {
                        let value = keyed.get_or_insert_with(k.clone(), || step);
                        let expected = *model.entry(k.clone()).or_insert_with(|| {
                            order.push(k.clone());
                            step
                        });
                        prop_assert_eq!(*value, expected);
                    }
                    prop_assert_eq!(keyed.get(&k), model.get(&k));
                    prop_assert_eq!(keyed.locate(&k).is_ok(), model.contains_key(&k));
                }
            }
            let held: Vec<&Key> = keyed.iter().map(|(k, _)| k).collect();
            prop_assert_eq!(held, order.iter().collect::<Vec<_>>());
            prop_assert_eq!(keyed.len(), model.len());
        }
    }
}
