//! What a sync remembers of each large file: the hash of every row's line, in file order (see
//! the import's line memory). Kept in the sync's transaction, so it always names what the
//! store holds.

use crate::tx::on_tx;
use crate::{Store, StoreError, Tx, on_pool};

/// Lines per stored part.
const PART: usize = 1 << 20;

impl Store {
    /// The lines remembered of `file` under `stamp`; empty when there are none, or they were
    /// read under another stamp.
    pub async fn line_memory(&self, file: &str, stamp: i64) -> Result<Vec<u64>, StoreError> {
        const SQL: &str = "SELECT part, stamp, data FROM line_memory WHERE file = $1 ORDER BY part";
        let parts: Vec<(i64, i64, Vec<u8>)> =
            on_pool!(self, pool => sqlx::query_as(SQL).bind(file).fetch_all(pool).await?);
        let whole = parts
            .iter()
            .enumerate()
            .all(|(i, (part, s, data))| *part == i as i64 && *s == stamp && data.len() % 8 == 0);
        if !whole {
            return Ok(Vec::new());
        }
        let mut lines = Vec::with_capacity(parts.iter().map(|p| p.2.len() / 8).sum());
        for (_, _, data) in &parts {
            lines.extend(data.chunks_exact(8).map(|word| {
                let mut bytes = [0u8; 8];
                bytes.copy_from_slice(word);
                u64::from_le_bytes(bytes)
            }));
        }
        Ok(lines)
    }
}

impl Tx {
    /// Replaces what is remembered of `file` with `lines`, given `stored`: what the store
    /// holds of it under the same stamp, as [`Store::line_memory`] read it (empty when it
    /// holds none, or under another stamp). Only the parts that differ are written: a file
    /// whose every line is unchanged, as most files of a nightly book are, writes nothing.
    pub async fn put_line_memory(
        &mut self,
        file: &str,
        stamp: i64,
        lines: &[u64],
        stored: &[u64],
    ) -> Result<(), StoreError> {
        const PUT: &str = "INSERT INTO line_memory (file, part, stamp, data) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (file, part) DO UPDATE SET stamp = excluded.stamp, data = excluded.data";
        const CUT: &str = "DELETE FROM line_memory WHERE file = $1 AND part >= $2";
        let mut data = Vec::with_capacity(PART.min(lines.len()) * 8);
        for part in parts_to_write(lines, stored, PART) {
            data.clear();
            for line in &lines[part * PART..((part + 1) * PART).min(lines.len())] {
                data.extend_from_slice(&line.to_le_bytes());
            }
            let part = part as i64;
            on_tx!(self, tx => {
                sqlx::query(PUT).bind(file).bind(part).bind(stamp).bind(&data).execute(&mut **tx).await?;
            });
        }
        // Parts past the file's end, when it got shorter.
        let parts = lines.len().div_ceil(PART) as i64;
        on_tx!(self, tx => {
            sqlx::query(CUT).bind(file).bind(parts).execute(&mut **tx).await?;
        });
        Ok(())
    }
}

/// The parts of `lines` (`part` lines each) that differ from the part of `stored` at the same
/// place: all of them when nothing is stored.
fn parts_to_write(lines: &[u64], stored: &[u64], part: usize) -> Vec<usize> {
    let mut before = stored.chunks(part);
    lines
        .chunks(part)
        .enumerate()
        .filter_map(|(n, chunk)| (before.next() != Some(chunk)).then_some(n))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parts_to_write;

    #[test]
    fn only_the_parts_that_differ_are_written() {
        let stored: Vec<u64> = (0..10).collect();
        // Unchanged: nothing.
        assert_eq!(parts_to_write(&stored, &stored, 4), Vec::<usize>::new());
        // One line of the second part changed.
        let mut lines = stored.clone();
        lines[5] = 99;
        assert_eq!(parts_to_write(&lines, &stored, 4), [1]);
        // A line added at the end changes the last part; two more make a new one.
        let longer: Vec<u64> = (0..13).collect();
        assert_eq!(parts_to_write(&longer, &stored, 4), [2, 3]);
        // Shorter: the last part differs (the ones past it are cut, not written).
        assert_eq!(parts_to_write(&stored[..6], &stored, 4), [1]);
        // Nothing stored to compare with: every part.
        assert_eq!(parts_to_write(&stored, &[], 4), [0, 1, 2]);
    }
}
