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

/// The hash table's slots are taken in parts of 2^(its bits of slots − this) slots each:
/// 4,096 parts, each a few kilobytes of places however large the table.
const PART_BITS: u32 = 12;

impl<V> Keyed<V> {
    /// A list of `entries`, whose keys all differ. Their places go into the hash table part
    /// of its slots by part: each key lands near the one before, in memory the caches hold,
    /// instead of missing them once a key (for ten million keys, two of the five seconds it
    /// took to read the stored invoices).
    pub fn from_unique(entries: Vec<(Key, V)>) -> Keyed<V> {
        let hasher = RandomState::default();
        let mut places: HashTable<u32> = HashTable::with_capacity(entries.len());
        // A key's probe starts at the slot its hash's low bits name.
        let slots = slots_of(places.capacity());
        let shift = slots.trailing_zeros().saturating_sub(PART_BITS);
        let part = |hash: u64| ((hash & (slots as u64 - 1)) >> shift) as usize;
        let hash = |key: &Key| hasher.hash_one(key.as_str());
        let mut starts = vec![0usize; 1 << PART_BITS];
        for (key, _) in &entries {
            starts[part(hash(key))] += 1;
        }
        let mut sum = 0;
        for start in &mut starts {
            (*start, sum) = (sum, sum + *start);
        }
        // Hashing each key twice costs less than holding every hash the while.
        let mut by_part = vec![(0u64, 0u32); entries.len()];
        for (place, (key, _)) in entries.iter().enumerate() {
            let h = hash(key);
            let at = &mut starts[part(h)];
            by_part[*at] = (h, place as u32);
            *at += 1;
        }
        for (h, place) in by_part {
            places.insert_unique(h, place, |p| hash(&entries[*p as usize].0));
        }
        Keyed {
            entries,
            places,
            hasher,
            last: AtomicU32::new(0),
        }
    }

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

/// The slots of a hash table that holds up to `capacity` keys: hashbrown fills up to seven
/// eighths of them once it has eight or more. Only the order keys are added in depends on it.
fn slots_of(capacity: usize) -> usize {
    if capacity < 8 {
        (capacity + 1).next_power_of_two()
    } else {
        (capacity / 7 * 8).next_power_of_two()
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

        /// A list made whole from different keys finds each at its place and no other key,
        /// and takes more keys after as one filled key by key does.
        #[test]
        fn a_list_made_whole_answers_as_one_filled_key_by_key(
            ids in proptest::collection::hash_set(0u32..100_000, 0..3_000),
            more in proptest::collection::vec(0u32..100_000, 0..50),
        ) {
            let keys: Vec<Key> = ids.iter().map(|id| key(&["US01", &format!("I{id}")])).collect();
            let mut keyed = Keyed::from_unique(
                keys.iter().cloned().enumerate().map(|(n, k)| (k, n)).collect(),
            );
            for (n, k) in keys.iter().enumerate() {
                prop_assert_eq!(keyed.locate(k), Ok(n));
            }
            let mut model: HashMap<Key, usize> =
                keys.iter().cloned().enumerate().map(|(n, k)| (k, n)).collect();
            for (step, id) in more.into_iter().enumerate() {
                let k = key(&["US01", &format!("I{id}")]);
                let value = *keyed.get_or_insert_with(k.clone(), || 1_000_000 + step);
                prop_assert_eq!(value, *model.entry(k).or_insert(1_000_000 + step));
            }
            prop_assert_eq!(keyed.len(), model.len());
            for (k, v) in &model {
                prop_assert_eq!(keyed.get(k), Some(v));
            }
            prop_assert_eq!(keyed.get("US01\u{1f}none"), None);
        }
    }

    /// The slots a table of each capacity has, as hashbrown makes them.
    #[test]
    fn the_slots_of_a_table_are_hashbrowns() {
        for keys in [0, 1, 3, 7, 8, 14, 15, 100, 1_000, 10_000, 1 << 20] {
            let table: hashbrown::HashTable<u32> = hashbrown::HashTable::with_capacity(keys);
            let slots = super::slots_of(table.capacity());
            assert!(slots.is_power_of_two(), "{keys}");
            assert!(
                table.capacity() < slots,
                "{keys}: {} < {slots}",
                table.capacity()
            );
            assert!(
                table.capacity() >= slots / 2 || slots <= 8,
                "{keys}: {slots}"
            );
        }
    }
}
