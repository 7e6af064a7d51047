//! Exact money: an integer count of ten-thousandths of a currency unit.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub};

use rust_decimal::{Decimal, RoundingStrategy};

/// Ten-thousandths of a currency unit (CSV amounts have at most 4 decimals).
/// An integer, so `SUM()` is exact in SQLite and PostgreSQL alike.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

/// Ten-thousandths in one unit.
pub const SCALE: i64 = 10_000;

/// Why a text is not an amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("not an amount {0:?}, expected a decimal number such as 1250.00")]
    NotAnAmount(String),
    #[error("amount {0:?} has more than 4 decimals")]
    TooManyDecimals(String),
    #[error("amount {0:?} is too large")]
    TooLarge(String),
}

impl Money {
    pub const ZERO: Money = Money(0);

    /// From a raw count of ten-thousandths, as stored.
    pub const fn from_raw(raw: i64) -> Money {
        Money(raw)
    }

    /// Whole units, for literals and tests.
    pub const fn units(units: i64) -> Money {
        Money(units * SCALE)
    }

    pub const fn raw(self) -> i64 {
        self.0
    }

    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn abs(self) -> Money {
        Money(self.0.abs())
    }

    /// The exact decimal value.
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, 4)
    }

    /// Rounds a decimal amount to cents, half away from zero.
    pub fn from_decimal_cents(value: Decimal) -> Option<Money> {
        let cents = value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        let raw = (cents * Decimal::from(SCALE)).trunc();
        i64::try_from(raw).ok().map(Money)
    }

    /// Parses `1250`, `-3.5`, `+0.1234`; no exponent, no separators, at most 4 decimals.
    pub fn parse(text: &str) -> Result<Money, MoneyError> {
        let bad = || MoneyError::NotAnAmount(text.to_owned());
        let (negative, digits) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (whole.is_empty() && fraction.is_empty()) || !all_digits(whole) || !all_digits(fraction)
        {
            return Err(bad());
        }
        if fraction.len() > 4 {
            return Err(MoneyError::TooManyDecimals(text.to_owned()));
        }
        let too_large = || MoneyError::TooLarge(text.to_owned());
        let mut raw: i64 = 0;
        for b in whole.bytes().chain(fraction.bytes()) {
            raw = raw
                .checked_mul(10)
                .and_then(|r| r.checked_add(i64::from(b - b'0')))
                .ok_or_else(too_large)?;
        }
        for _ in fraction.len()..4 {
            raw = raw.checked_mul(10).ok_or_else(too_large)?;
        }
        Ok(Money(if negative { -raw } else { raw }))
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    /// `self × num ÷ den`, rounded half away from zero: an amount at another amount's rate
    /// (a part of a balance in home currency). Zero when `den` is zero.
    pub fn mul_div(self, num: Money, den: Money) -> Money {
        if den.is_zero() {
            return Money::ZERO;
        }
        let num = i128::from(self.0) * i128::from(num.0);
        let den = i128::from(den.0);
        let q = num / den;
        let r = num % den;
        let q = if 2 * r.abs() >= den.abs() {
            q + if (num < 0) == (den < 0) { 1 } else { -1 }
        } else {
            q
        };
        Money(i64::try_from(q).unwrap_or(0))
    }
}

impl fmt::Display for Money {
    /// At least two decimals, more only when the amount has them: `1250.00`, `-0.125`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let abs = self.0.unsigned_abs();
        let (whole, mut fraction) = (abs / SCALE as u64, abs % SCALE as u64);
        let mut digits = 4;
        while digits > 2 && fraction % 10 == 0 {
            fraction /= 10;
            digits -= 1;
        }
        let sign = if self.0 < 0 { "-" } else { "" };
        if f.width().is_none() {
            return write!(f, "{sign}{whole}.{fraction:0digits$}");
        }
        f.pad(&format!("{sign}{whole}.{fraction:0digits$}"))
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, other: Money) -> Money {
        Money(self.0 + other.0)
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, other: Money) {
        self.0 += other.0;
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, other: Money) -> Money {
        Money(self.0 - other.0)
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}

/// As an exact decimal string, so that no reader turns it into a binary float.
impl serde::Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

impl<'a> Sum<&'a Money> for Money {
    fn sum<I: Iterator<Item = &'a Money>>(iter: I) -> Money {
        iter.copied().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_part_at_another_amounts_rate_rounds_half_away_from_zero() {
        // 1,250.00 of a 2,500.00 invoice worth 1,234.5678 at home: 617.2839.
        let half = Money::units(1250).mul_div(Money::from_raw(12_345_678), Money::units(2500));
        assert_eq!(half, Money::from_raw(6_172_839));
        // 1/3 of 1.0000 is 0.3333; of −1.0000, −0.3333; 2/3 rounds up to 0.6667.
        assert_eq!(
            Money::units(1).mul_div(Money::units(1), Money::units(3)),
            Money::from_raw(3333)
        );
        assert_eq!(
            Money::units(-1).mul_div(Money::units(1), Money::units(3)),
            Money::from_raw(-3333)
        );
        assert_eq!(
            Money::units(2).mul_div(Money::units(1), Money::units(3)),
            Money::from_raw(6667)
        );
        assert_eq!(
            Money::units(5).mul_div(Money::units(1), Money::ZERO),
            Money::ZERO
        );
    }

    #[test]
    fn parses_plain_signed_and_fractional_amounts() {
        assert_eq!(Money::parse("1250").unwrap(), Money::units(1250));
        assert_eq!(Money::parse("-3.5").unwrap(), Money::from_raw(-35_000));
        assert_eq!(Money::parse("+0.1234").unwrap(), Money::from_raw(1234));
        assert_eq!(Money::parse(".5").unwrap(), Money::from_raw(5000));
        assert_eq!(Money::parse("7.").unwrap(), Money::units(7));
    }

    #[test]
    fn refuses_what_is_not_an_exact_amount() {
        for bad in [
            "", "-", ".", "1,000.00", "1e3", "12.3.4", " 12", "abc", "--1", "NaN",
        ] {
            assert!(Money::parse(bad).is_err(), "{bad:?} parsed");
        }
        assert_eq!(
            Money::parse("1.23456"),
            Err(MoneyError::TooManyDecimals("1.23456".into()))
        );
        assert!(matches!(
            Money::parse("99999999999999999999"),
            Err(MoneyError::TooLarge(_))
        ));
    }

    #[test]
    fn prints_at_least_two_decimals() {
        assert_eq!(Money::units(15_000).to_string(), "15000.00");
        assert_eq!(Money::from_raw(-1250).to_string(), "-0.125");
        assert_eq!(Money::from_raw(1).to_string(), "0.0001");
        assert_eq!(Money::ZERO.to_string(), "0.00");
    }

    #[test]
    fn rounds_to_cents_half_away_from_zero() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(
            Money::from_decimal_cents(d("1.005")),
            Some(Money::from_raw(10_100))
        );
        assert_eq!(
            Money::from_decimal_cents(d("-1.005")),
            Some(Money::from_raw(-10_100))
        );
        assert_eq!(
            Money::from_decimal_cents(d("1.0049")),
            Some(Money::from_raw(10_000))
        );
    }

    proptest! {
        #[test]
        fn printing_then_parsing_gives_the_same_amount(raw in any::<i64>().prop_filter("abs", |r| *r != i64::MIN)) {
            let money = Money::from_raw(raw);
            prop_assert_eq!(Money::parse(&money.to_string()), Ok(money));
        }
    }
}
