//! The domain of Arrears: money, dates, the aging, the customer figures, the filter language
//! of rules and the working calendar. Pure: no I/O.
#![deny(clippy::float_arithmetic)]

pub mod access;
pub mod aging;
pub mod disputes;
pub mod figures;
pub mod filter;
mod item;
mod money;
pub mod plans;
pub mod promises;
pub mod rules;
mod settings;
pub mod then;
pub mod value;
pub mod work;

pub use access::{Role, UnknownRole};
pub use aging::AgingUnits;
pub use figures::{Context, Figures, History, ItemFigures};
pub use item::{InvoiceStats, Item, Paid, TranType};
pub use money::{Money, MoneyError, SCALE};
pub use settings::{SCORE_COLOURS, ScoreRange, ScoreRanges, SettingError, Settings, SizeRanges};
pub use value::Value;

use chrono::NaiveDate;

/// Parses a `YYYY-MM-DD` date, strictly.
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let bytes = text.as_bytes();
    let well_formed = bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        });
    let number = |range: std::ops::Range<usize>| {
        bytes[range]
            .iter()
            .fold(0u32, |n, b| n * 10 + u32::from(b - b'0'))
    };
    well_formed
        .then(|| NaiveDate::from_ymd_opt(number(0..4) as i32, number(5..7), number(8..10)))
        .flatten()
        .ok_or_else(|| format!("not a date {text:?}, expected YYYY-MM-DD"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_strict() {
        assert_eq!(
            parse_date("2015-03-02"),
            Ok(NaiveDate::from_ymd_opt(2015, 3, 2).unwrap())
        );
        for bad in [
            "2015-3-2",
            "2015-02-30",
            "2024-13-45",
            "02/03/2015",
            "",
            "2015-03-02T00",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }
}
