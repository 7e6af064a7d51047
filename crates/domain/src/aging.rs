//! Aging: which bucket an open item falls in, on both scales.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

use crate::Money;

/// The four aging unit values of one scale (30/60/90/120 unless configured).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AgingUnits(pub [i64; 4]);

impl AgingUnits {
    pub const DEFAULT: AgingUnits = AgingUnits([30, 60, 90, 120]);
}

impl Default for AgingUnits {
    fn default() -> Self {
        AgingUnits::DEFAULT
    }
}

impl fmt::Display for AgingUnits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.0;
        write!(f, "{a},{b},{c},{d}")
    }
}

impl FromStr for AgingUnits {
    type Err = String;

    /// Four strictly increasing positive whole numbers of days: `30,60,90,120`.
    fn from_str(text: &str) -> Result<Self, String> {
        let parts: Vec<&str> = text.split(',').map(str::trim).collect();
        let numbers: Vec<i64> = parts
            .iter()
            .map(|p| {
                p.parse::<i64>()
                    .map_err(|_| format!("{p:?} is not a whole number of days"))
            })
            .collect::<Result<_, _>>()?;
        let units: [i64; 4] = numbers
            .try_into()
            .map_err(|_| format!("expected four numbers such as 30,60,90,120, got {text:?}"))?;
        if units[0] < 1 || units.windows(2).any(|w| w[0] >= w[1]) {
            return Err(format!(
                "aging units must be positive and increasing, got {text:?}"
            ));
        }
        Ok(AgingUnits(units))
    }
}

/// Invoice-date bucket: `age_future`, `age_current`, `age_1` … `age_4`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AgeBucket {
    Future,
    Current,
    Age1,
    Age2,
    Age3,
    Age4,
}

/// Due-date bucket: `due_current`, `due_age_1` … `due_age_5`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DueBucket {
    Current,
    Late1,
    Late2,
    Late3,
    Late4,
    Late5,
}

/// Invoice-date bucket for an item `days` old.
pub fn age_bucket(days: i64, AgingUnits([u1, u2, u3, u4]): AgingUnits) -> AgeBucket {
    match days {
        ..0 => AgeBucket::Future,
        d if d <= u1 => AgeBucket::Current,
        d if d <= u2 => AgeBucket::Age1,
        d if d <= u3 => AgeBucket::Age2,
        d if d <= u4 => AgeBucket::Age3,
        _ => AgeBucket::Age4,
    }
}

/// Due-date bucket for an item `days` past its due date (negative before it).
pub fn due_bucket(days: i64, AgingUnits([u1, u2, u3, u4]): AgingUnits) -> DueBucket {
    match days {
        ..=0 => DueBucket::Current,
        d if d <= u1 => DueBucket::Late1,
        d if d <= u2 => DueBucket::Late2,
        d if d <= u3 => DueBucket::Late3,
        d if d <= u4 => DueBucket::Late4,
        _ => DueBucket::Late5,
    }
}

/// Calendar days from `from` to `to` (negative when `from` is later).
pub fn days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    // The days since the common era of each: no duration made and divided back into days.
    i64::from(to.num_days_from_ce()) - i64::from(from.num_days_from_ce())
}

/// The open balance of a customer or a book, split on both scales.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Buckets {
    /// `age_future`, `age_current`, `age_1` … `age_4`.
    pub age: [Money; 6],
    /// `due_current`, `due_age_1` … `due_age_5`.
    pub due: [Money; 6],
}

impl Buckets {
    pub fn add(&mut self, age: AgeBucket, due: DueBucket, amount: Money) {
        self.age[age as usize] += amount;
        self.due[due as usize] += amount;
    }

    pub fn merge(&mut self, other: &Buckets) {
        for i in 0..6 {
            self.age[i] += other.age[i];
            self.due[i] += other.due[i];
        }
    }

    /// `total_age`: every open item.
    pub fn total(&self) -> Money {
        self.age.iter().sum()
    }

    /// Everything more than the n-th due unit late: `over_current` (n = 0), `over_30` (1) …
    /// `over_120` (4); cumulative.
    pub fn over(&self, n: usize) -> Money {
        self.due[n + 1..].iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Days between two dates, counted from the common era, are the days of the duration
        /// between them, either way round and across leap years and centuries.
        #[test]
        fn days_between_counts_the_calendar_days(a in -800_000i32..800_000, b in -800_000i32..800_000) {
            let day = |n: i32| NaiveDate::from_num_days_from_ce_opt(n).unwrap();
            let (from, to) = (day(a), day(b));
            prop_assert_eq!(days_between(from, to), (to - from).num_days());
            prop_assert_eq!(days_between(to, from), -(to - from).num_days());
        }
    }

    #[test]
    fn days_between_counts_the_glossary_examples() {
        let day = |s: &str| crate::parse_date(s).unwrap();
        assert_eq!(days_between(day("2015-01-09"), day("2015-03-23")), 73);
        assert_eq!(days_between(day("2016-02-28"), day("2016-03-01")), 2);
        assert_eq!(days_between(day("2015-03-26"), day("2015-03-23")), -3);
    }

    #[test]
    fn bucket_edges_follow_the_units() {
        let u = AgingUnits::DEFAULT;
        assert_eq!(age_bucket(-1, u), AgeBucket::Future);
        assert_eq!(age_bucket(0, u), AgeBucket::Current);
        assert_eq!(age_bucket(30, u), AgeBucket::Current);
        assert_eq!(age_bucket(31, u), AgeBucket::Age1);
        assert_eq!(age_bucket(60, u), AgeBucket::Age1);
        assert_eq!(age_bucket(61, u), AgeBucket::Age2);
        assert_eq!(age_bucket(120, u), AgeBucket::Age3);
        assert_eq!(age_bucket(121, u), AgeBucket::Age4);
        assert_eq!(due_bucket(0, u), DueBucket::Current);
        assert_eq!(due_bucket(-3, u), DueBucket::Current);
        assert_eq!(due_bucket(1, u), DueBucket::Late1);
        assert_eq!(due_bucket(31, u), DueBucket::Late2);
        assert_eq!(due_bucket(121, u), DueBucket::Late5);
    }

    #[test]
    fn units_parse_and_refuse_disorder() {
        assert_eq!("15, 45,75,105".parse(), Ok(AgingUnits([15, 45, 75, 105])));
        assert!("30,60,90".parse::<AgingUnits>().is_err());
        assert!("30,30,90,120".parse::<AgingUnits>().is_err());
        assert!("0,30,60,90".parse::<AgingUnits>().is_err());
        assert!("a,b,c,d".parse::<AgingUnits>().is_err());
    }

    #[test]
    fn glossary_invoice_is_73_days_old_and_13_days_late() {
        let tran = NaiveDate::from_ymd_opt(2015, 1, 1).unwrap();
        let due = tran + chrono::Days::new(60);
        let as_of = NaiveDate::from_ymd_opt(2015, 3, 15).unwrap();
        assert_eq!(due, NaiveDate::from_ymd_opt(2015, 3, 2).unwrap());
        assert_eq!(days_between(tran, as_of), 73);
        assert_eq!(age_bucket(73, AgingUnits::DEFAULT), AgeBucket::Age2);
        assert_eq!(days_between(due, as_of), 13);
        assert_eq!(due_bucket(13, AgingUnits::DEFAULT), DueBucket::Late1);
    }
}
