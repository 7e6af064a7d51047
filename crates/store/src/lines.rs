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
    /// Replaces what is remembered of `file`.
    pub async fn put_line_memory(
        &mut self,
        file: &str,
        stamp: i64,
        lines: &[u64],
    ) -> Result<(), StoreError> {
        const DELETE: &str = "DELETE FROM line_memory WHERE file = $1";
        const INSERT: &str =
            "INSERT INTO line_memory (file, part, stamp, data) VALUES ($1, $2, $3, $4)";
        on_tx!(self, tx => {
            sqlx::query(DELETE).bind(file).execute(&mut **tx).await?;
        });
        let mut data = Vec::with_capacity(PART.min(lines.len()) * 8);
        for (part, chunk) in lines.chunks(PART).enumerate() {
            data.clear();
            for line in chunk {
                data.extend_from_slice(&line.to_le_bytes());
            }
            let part = part as i64;
            on_tx!(self, tx => {
                sqlx::query(INSERT).bind(file).bind(part).bind(stamp).bind(&data).execute(&mut **tx).await?;
            });
        }
        Ok(())
    }
}
