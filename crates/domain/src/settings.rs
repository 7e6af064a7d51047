//! Site settings that shape the figures, each with its text form as kept in the store.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::work::DaysOff;
use crate::{AgingUnits, Money, parse_date};

/// Up to seven invoice-size ranges, given by the upper bounds of all but the last.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SizeRanges(Vec<Money>);

impl SizeRanges {
    pub const MAX_RANGES: usize = 7;

    /// Which range (0-based) an invoice of `amount_hc` falls in; `None` when no ranges are set.
    pub fn range_of(&self, amount_hc: Money) -> Option<usize> {
        if self.0.is_empty() {
            return None;
        }
        Some(
            self.0
                .iter()
                .take_while(|bound| amount_hc > **bound)
                .count(),
        )
    }

    pub fn parse(text: &str) -> Result<SizeRanges, String> {
        if text.trim().is_empty() {
            return Ok(SizeRanges::default());
        }
        let bounds: Vec<Money> = text
            .split(',')
            .map(|p| Money::parse(p.trim()).map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()?;
        if bounds.len() >= Self::MAX_RANGES {
            return Err(format!(
                "at most {} bounds (for {} ranges), got {}",
                Self::MAX_RANGES - 1,
                Self::MAX_RANGES,
                bounds.len()
            ));
        }
        if bounds.windows(2).any(|w| w[0] >= w[1]) {
            return Err(format!("bounds must increase, got {text:?}"));
        }
        Ok(SizeRanges(bounds))
    }

    fn render(&self) -> String {
        self.0
            .iter()
            .map(Money::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// The colours a credit score range may be shown in.
pub const SCORE_COLOURS: [&str; 6] = ["green", "blue", "amber", "red", "purple", "grey"];

/// A named, coloured range of credit scores; either bound may be left open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScoreRange {
    pub name: String,
    pub low: Option<String>,
    pub high: Option<String>,
    /// One of [`SCORE_COLOURS`].
    pub colour: &'static str,
}

impl ScoreRange {
    /// Whether `score` is within the bounds: as numbers when the score and the bounds given
    /// are numbers, else as text, ignoring case (grades such as `A` … `C`); a score that is
    /// not a number is in no range with a number for a bound.
    pub fn contains(&self, score: &str) -> bool {
        let score = score.trim();
        let number = |t: &str| t.trim().parse::<Decimal>().ok();
        let bounds = [self.low.as_deref(), self.high.as_deref()];
        let numeric_bounds = bounds.iter().flatten().any(|b| number(b).is_some());
        if numeric_bounds && number(score).is_none() {
            // A grade is in no range of numbers.
            return false;
        }
        let numeric =
            number(score).is_some() && bounds.iter().flatten().all(|b| number(b).is_some());
        let order = |bound: &str| {
            if numeric {
                number(score).cmp(&number(bound))
            } else {
                score.to_uppercase().cmp(&bound.trim().to_uppercase())
            }
        };
        bounds[0].is_none_or(|low| order(low).is_ge())
            && bounds[1].is_none_or(|high| order(high).is_le())
    }
}

/// The credit score ranges, in the order they are tried: a score is in the first that holds
/// it. Written `NAME=LOW..HIGH:COLOUR; …`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScoreRanges(Vec<ScoreRange>);

impl ScoreRanges {
    pub const MAX_RANGES: usize = 12;

    /// The range a score falls in.
    pub fn range_of(&self, score: &str) -> Option<&ScoreRange> {
        if score.trim().is_empty() {
            return None;
        }
        self.0.iter().find(|r| r.contains(score))
    }

    pub fn ranges(&self) -> &[ScoreRange] {
        &self.0
    }

    pub fn parse(text: &str) -> Result<ScoreRanges, String> {
        let mut ranges: Vec<ScoreRange> = Vec::new();
        for (n, entry) in (1..).zip(text.split(';').map(str::trim).filter(|e| !e.is_empty())) {
            let bad = |why: &str| format!("range {n} {entry:?}: {why}");
            let expected = "expected NAME=LOW..HIGH:COLOUR, such as Low risk=700..850:green";
            let (spec, colour) = entry.rsplit_once(':').ok_or_else(|| bad(expected))?;
            let (name, bounds) = spec.split_once('=').ok_or_else(|| bad(expected))?;
            let (low, high) = bounds.split_once("..").ok_or_else(|| bad(expected))?;
            let name = name.trim();
            if name.is_empty() {
                return Err(bad("the range has no name"));
            }
            if ranges.iter().any(|r| r.name.eq_ignore_ascii_case(name)) {
                return Err(bad("a range of that name comes earlier"));
            }
            let colour = SCORE_COLOURS
                .iter()
                .find(|c| c.eq_ignore_ascii_case(colour.trim()))
                .ok_or_else(|| {
                    bad(&format!(
                        "unknown colour {:?}; colours are {}",
                        colour.trim(),
                        SCORE_COLOURS.join(", ")
                    ))
                })?;
            let bound = |b: &str| (!b.trim().is_empty()).then(|| b.trim().to_owned());
            let (low, high) = (bound(low), bound(high));
            if let (Some(l), Some(h)) = (&low, &high) {
                let (ln, hn) = (l.parse::<Decimal>().ok(), h.parse::<Decimal>().ok());
                let backwards = match (ln, hn) {
                    (Some(l), Some(h)) => l > h,
                    _ => l.to_uppercase() > h.to_uppercase(),
                };
                if backwards {
                    return Err(bad("the low bound is above the high one"));
                }
            }
            ranges.push(ScoreRange {
                name: name.to_owned(),
                low,
                high,
                colour,
            });
        }
        if ranges.len() > Self::MAX_RANGES {
            return Err(format!("at most {} ranges", Self::MAX_RANGES));
        }
        Ok(ScoreRanges(ranges))
    }

    fn render(&self) -> String {
        self.0
            .iter()
            .map(|r| {
                format!(
                    "{}={}..{}:{}",
                    r.name,
                    r.low.as_deref().unwrap_or_default(),
                    r.high.as_deref().unwrap_or_default(),
                    r.colour
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Why a setting could not be read or changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingError {
    #[error("unknown setting {0:?}; settings are: {list}", list = Settings::KEYS.join(", "))]
    Unknown(String),
    #[error("setting {key}: {why}")]
    Invalid { key: String, why: String },
}

/// The site settings the aging and figures depend on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// `aging_units`: invoice-date scale.
    pub aging_units: AgingUnits,
    /// `due_aging_units`: due-date scale, also the edges of `over_30` … `over_120`.
    pub due_aging_units: AgingUnits,
    /// `credit_apr`: percent a year, for the cost of credit.
    pub credit_apr: Decimal,
    /// `exclude_invoices_before`: invoices dated earlier stay out of ADP.
    pub exclude_invoices_before: Option<NaiveDate>,
    /// `size_ranges`: invoice-size ranges for ADP and projected payments.
    pub size_ranges: SizeRanges,
    /// `days_off`: the weekly days nobody works.
    pub days_off: DaysOff,
    /// `days_to_respond`: the site default, after the rule's, the customer's and the class's.
    pub days_to_respond: u32,
    /// `close_when_paid`: generate closes the rule-made issues of a customer with no open balance.
    pub close_when_paid: bool,
    /// `unassigned_team`: the manager whose team shares the unassigned pool; every team when
    /// none.
    pub unassigned_team: Option<String>,
    /// `credit_bureaus`: the names of up to three credit bureaus, for `bureau_score_1` … `_3`.
    pub credit_bureaus: Vec<String>,
    /// `score_ranges`: named, coloured credit score ranges.
    pub score_ranges: ScoreRanges,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            aging_units: AgingUnits::DEFAULT,
            due_aging_units: AgingUnits::DEFAULT,
            credit_apr: Decimal::from(10),
            exclude_invoices_before: None,
            size_ranges: SizeRanges::default(),
            days_off: DaysOff::WEEKEND,
            days_to_respond: 3,
            close_when_paid: false,
            unassigned_team: None,
            credit_bureaus: Vec::new(),
            score_ranges: ScoreRanges::default(),
        }
    }
}

impl Settings {
    pub const KEYS: [&'static str; 11] = [
        "aging_units",
        "due_aging_units",
        "credit_apr",
        "exclude_invoices_before",
        "size_ranges",
        "days_off",
        "days_to_respond",
        "close_when_paid",
        "unassigned_team",
        "credit_bureaus",
        "score_ranges",
    ];

    /// The text form of one setting.
    pub fn get(&self, key: &str) -> Result<String, SettingError> {
        Ok(match key {
            "aging_units" => self.aging_units.to_string(),
            "due_aging_units" => self.due_aging_units.to_string(),
            "credit_apr" => self.credit_apr.normalize().to_string(),
            "exclude_invoices_before" => self
                .exclude_invoices_before
                .map(|d| d.to_string())
                .unwrap_or_default(),
            "size_ranges" => self.size_ranges.render(),
            "days_off" => self.days_off.to_string(),
            "days_to_respond" => self.days_to_respond.to_string(),
            "close_when_paid" => self.close_when_paid.to_string(),
            "unassigned_team" => self.unassigned_team.clone().unwrap_or_default(),
            "credit_bureaus" => self.credit_bureaus.join(","),
            "score_ranges" => self.score_ranges.render(),
            _ => return Err(SettingError::Unknown(key.to_owned())),
        })
    }

    /// Sets one setting from its text form; an empty text restores the default.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), SettingError> {
        let invalid = |why: String| SettingError::Invalid {
            key: key.to_owned(),
            why,
        };
        let value = value.trim();
        if value.is_empty() {
            let default = Settings::default();
            let text = default.get(key)?;
            return if text.is_empty() {
                self.clear(key)
            } else {
                self.set(key, &text)
            };
        }
        match key {
            "aging_units" => self.aging_units = value.parse().map_err(invalid)?,
            "due_aging_units" => self.due_aging_units = value.parse().map_err(invalid)?,
            "credit_apr" => {
                let apr: Decimal = value
                    .parse()
                    .map_err(|_| invalid(format!("{value:?} is not a number")))?;
                if apr.is_sign_negative() || apr > Decimal::from(100) {
                    return Err(invalid(format!(
                        "{value} is not a percentage from 0 to 100"
                    )));
                }
                self.credit_apr = apr;
            }
            "exclude_invoices_before" => {
                self.exclude_invoices_before = Some(parse_date(value).map_err(invalid)?)
            }
            "size_ranges" => self.size_ranges = SizeRanges::parse(value).map_err(invalid)?,
            "days_off" => self.days_off = value.parse().map_err(invalid)?,
            "close_when_paid" => {
                self.close_when_paid = match value.to_ascii_lowercase().as_str() {
                    "true" | "yes" | "1" => true,
                    "false" | "no" | "0" => false,
                    _ => return Err(invalid(format!("{value:?} is not true or false"))),
                }
            }
            "unassigned_team" => {
                if value.chars().any(|c| c.is_control() || c.is_whitespace()) {
                    return Err(invalid(format!("{value:?} is not a user id")));
                }
                self.unassigned_team = Some(value.to_owned());
            }
            "credit_bureaus" => {
                let names: Vec<String> = value.split(',').map(|n| n.trim().to_owned()).collect();
                if names.len() > 3 || names.iter().any(String::is_empty) {
                    return Err(invalid(format!(
                        "{value:?} is not up to three bureau names separated by commas"
                    )));
                }
                self.credit_bureaus = names;
            }
            "score_ranges" => self.score_ranges = ScoreRanges::parse(value).map_err(invalid)?,
            "days_to_respond" => {
                self.days_to_respond =
                    value.parse().ok().filter(|d| *d <= 3650).ok_or_else(|| {
                        invalid(format!(
                            "{value:?} is not a whole number of days from 0 to 3650"
                        ))
                    })?
            }
            _ => return Err(SettingError::Unknown(key.to_owned())),
        }
        Ok(())
    }

    fn clear(&mut self, key: &str) -> Result<(), SettingError> {
        match key {
            "exclude_invoices_before" => self.exclude_invoices_before = None,
            "size_ranges" => self.size_ranges = SizeRanges::default(),
            "unassigned_team" => self.unassigned_team = None,
            "credit_bureaus" => self.credit_bureaus = Vec::new(),
            "score_ranges" => self.score_ranges = ScoreRanges::default(),
            _ => return Err(SettingError::Unknown(key.to_owned())),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_round_trips_through_text() {
        let mut s = Settings::default();
        s.set("aging_units", "15,45,75,105").unwrap();
        s.set("credit_apr", "8.5").unwrap();
        s.set("exclude_invoices_before", "2014-07-01").unwrap();
        s.set("size_ranges", "1000,5000.50").unwrap();
        s.set("days_off", "Fri,Sat").unwrap();
        s.set("days_to_respond", "5").unwrap();
        s.set("unassigned_team", "mia").unwrap();
        s.set("credit_bureaus", "Experian, Equifax").unwrap();
        s.set(
            "score_ranges",
            "Low risk=700..:green; Watch = 600..699 : Amber;High=..599:red",
        )
        .unwrap();
        for key in Settings::KEYS {
            let mut copy = Settings::default();
            copy.set(key, &s.get(key).unwrap()).unwrap();
            assert_eq!(copy.get(key), s.get(key), "{key}");
        }
        assert_eq!(s.get("size_ranges").unwrap(), "1000.00,5000.50");
        assert_eq!(
            s.get("score_ranges").unwrap(),
            "Low risk=700..:green; Watch=600..699:amber; High=..599:red"
        );
        assert_eq!(s.get("credit_bureaus").unwrap(), "Experian,Equifax");
    }

    #[test]
    fn a_score_is_in_the_first_range_that_holds_it() {
        let r = ScoreRanges::parse(
            "Low risk=700..:green; Watch=600..699.5:amber; High=..599.99:red; Grade A=A..A+:blue; Other=B..D:grey",
        )
        .unwrap();
        let name = |score: &str| r.range_of(score).map(|r| r.name.as_str());
        assert_eq!(name("720"), Some("Low risk"));
        assert_eq!(name("700"), Some("Low risk"));
        assert_eq!(name("699.5"), Some("Watch"));
        assert_eq!(name("599.995"), None);
        assert_eq!(name("12"), Some("High"));
        assert_eq!(name("a"), Some("Grade A"));
        assert_eq!(name("C"), Some("Other"));
        assert_eq!(name("E"), None);
        assert_eq!(name(" "), None);
        assert_eq!(r.range_of("650").unwrap().colour, "amber");
    }

    #[test]
    fn bad_score_ranges_say_which_and_why() {
        let mut s = Settings::default();
        let err = |s: &mut Settings, v: &str| s.set("score_ranges", v).unwrap_err().to_string();
        assert_eq!(
            err(&mut s, "Low=700..:pink"),
            "setting score_ranges: range 1 \"Low=700..:pink\": unknown colour \"pink\"; colours are green, blue, amber, red, purple, grey"
        );
        assert!(err(&mut s, "Low=700..:green; High=800..100:red").contains("range 2"));
        assert!(err(&mut s, "Low 700:green").contains("expected NAME=LOW..HIGH:COLOUR"));
        assert!(err(&mut s, "=1..2:red").contains("no name"));
        assert!(err(&mut s, "A=1..2:red;a=3..4:red").contains("comes earlier"));
        assert!(s.set("credit_bureaus", "A,B,C,D").is_err());
        assert!(s.set("credit_bureaus", "A,,B").is_err());
        assert_eq!(s, Settings::default());
    }

    #[test]
    fn empty_restores_the_default() {
        let mut s = Settings::default();
        s.set("credit_apr", "4").unwrap();
        s.set("size_ranges", "100").unwrap();
        s.set("unassigned_team", "max").unwrap();
        s.set("score_ranges", "Low=..1:red").unwrap();
        s.set("credit_bureaus", "Experian").unwrap();
        s.set("score_ranges", "").unwrap();
        s.set("credit_bureaus", "").unwrap();
        s.set("credit_apr", "").unwrap();
        s.set("size_ranges", "").unwrap();
        s.set("unassigned_team", "").unwrap();
        assert_eq!(s, Settings::default());
    }

    #[test]
    fn bad_values_name_the_setting() {
        let mut s = Settings::default();
        let err = s.set("credit_apr", "ten").unwrap_err();
        assert_eq!(
            err.to_string(),
            "setting credit_apr: \"ten\" is not a number"
        );
        assert!(matches!(
            s.set("colour", "red"),
            Err(SettingError::Unknown(_))
        ));
        assert!(s.set("size_ranges", "1,2,3,4,5,6,7").is_err());
        assert!(s.set("size_ranges", "500,100").is_err());
    }

    #[test]
    fn size_ranges_put_bounds_in_the_lower_range() {
        let r = SizeRanges::parse("1000,5000").unwrap();
        assert_eq!(r.range_of(Money::units(1000)), Some(0));
        assert_eq!(r.range_of(Money::from_raw(10_000_001)), Some(1));
        assert_eq!(r.range_of(Money::units(5001)), Some(2));
        assert_eq!(SizeRanges::default().range_of(Money::units(1)), None);
    }
}
