//! What the store already holds of a keyed table: each key's content hash and one date.

use foldhash::HashMap;

use chrono::NaiveDate;
use compact_str::CompactString;

use crate::{Store, StoreError, on_pool};

/// Separates the parts of a composite key.
pub const KEY_SEP: char = '\u{1f}';

/// One stored row as a sync sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyState {
    pub hash: i64,
    /// `closing_date` of an invoice, `payment_date` of a payment, effective date of an application.
    pub date: Option<NaiveDate>,
}

/// Stored keys of one table, joined with [`KEY_SEP`].
pub type Keys = HashMap<Key, KeyState>;

/// A key as a sync holds millions of them: short ones inline, without an allocation each.
pub type Key = CompactString;

/// Joins the parts of a composite key.
pub fn key(parts: &[&str]) -> Key {
    let mut key = Key::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            key.push(KEY_SEP);
        }
        key.push_str(part);
    }
    key
}

/// A joined key split at its first [`KEY_SEP`]: the company and the rest. A scan of the few
/// bytes before it (a company id) instead of a general search for a character, which costs
/// more for such short strings, called for millions of keys.
pub fn split_key(key: &str) -> Option<(&str, &str)> {
    let at = key.bytes().position(|b| b == KEY_SEP as u8)?;
    // KEY_SEP is one byte in UTF-8, so `at` and `at + 1` are character boundaries.
    Some((&key[..at], &key[at + 1..]))
}

/// The first 16 bytes of `s` as a number, zeros after a shorter one: comparing these first,
/// and the strings themselves only when they tie, orders strings as their bytes do, with a
/// comparison of two numbers in place of most calls to compare bytes (sorting the millions
/// of keys of a first book's pages spent more time in those calls than in the sort).
pub fn order_prefix(s: &str) -> u128 {
    let mut bytes = [0u8; 16];
    let n = s.len().min(16);
    bytes[..n].copy_from_slice(&s.as_bytes()[..n]);
    u128::from_be_bytes(bytes)
}

impl Store {
    /// The currency of every customer that names one, by customer key: read on SQLite
    /// straight from the connection's handle (a million customers' rows, each handed across
    /// by the driver's worker, kept a re-sync waiting seconds before its first file).
    pub async fn customer_currencies(&self) -> Result<HashMap<Key, String>, StoreError> {
        const SQL: &str =
            "SELECT company_id, customer_id, currency FROM customers WHERE currency IS NOT NULL";
        let mut out = HashMap::default();
        // Each row goes straight into the map; the rows read are nothing of their own.
        self.read_rows_with(SQL, &[], 0, |row| {
            let (company, customer) = (row.required_text(0)?, row.required_text(1)?);
            out.insert(key(&[&company, &customer]), row.required_text(2)?);
            Ok(())
        })
        .await?;
        Ok(out)
    }

    /// The latest effective date of the stored applications to each of `invoices`
    /// (`company_id`, `tran_id`) that has any.
    pub async fn latest_applications(
        &self,
        invoices: &[(&str, &str)],
    ) -> Result<HashMap<(String, String), NaiveDate>, StoreError> {
        const CHUNK: usize = 500;
        let mut by_company: HashMap<&str, Vec<&str>> = HashMap::default();
        for (company, tran) in invoices {
            by_company.entry(company).or_default().push(tran);
        }
        let mut out = HashMap::default();
        for (company, trans) in by_company {
            for chunk in trans.chunks(CHUNK) {
                let marks: Vec<String> = (2..chunk.len() + 2).map(|i| format!("${i}")).collect();
                let sql = format!(
                    "SELECT tran_id, MAX(effective_date) FROM payment_applications \
                     WHERE company_id = $1 AND tran_id IN ({}) GROUP BY tran_id",
                    marks.join(", ")
                );
                on_pool!(self, pool => {
                    let mut query = sqlx::query_as::<_, (String, NaiveDate)>(&sql).bind(company);
                    for tran in chunk {
                        query = query.bind(*tran);
                    }
                    for (tran, date) in query.fetch_all(pool).await? {
                        out.insert((company.to_owned(), tran), date);
                    }
                });
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_key_splits_at_its_first_separator() {
        let joined = key(&["US01", "P1", "I1"]);
        assert_eq!(split_key(&joined), Some(("US01", "P1\u{1f}I1")));
        assert_eq!(split_key("\u{1f}é"), Some(("", "é")));
        assert_eq!(split_key("US01"), None);
    }

    proptest! {
        /// Ordering by the prefix, then by the whole string, is the strings' own order:
        /// short and long strings, shared prefixes, NUL bytes and characters of several bytes.
        #[test]
        fn prefix_then_string_orders_as_the_strings(
            a in "[\\x00a-c\u{e9}\u{1f600}]{0,20}",
            b in "[\\x00a-c\u{e9}\u{1f600}]{0,20}",
        ) {
            let by_prefix = order_prefix(&a).cmp(&order_prefix(&b)).then_with(|| a.cmp(&b));
            prop_assert_eq!(by_prefix, a.cmp(&b));
        }
    }
}
