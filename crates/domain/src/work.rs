//! The collector's working time: activity types, weekly days off and the calendar that turns
//! "days to respond" into a respond-by date.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Weekday};

/// The six standard activity types; custom types are based on one of them.
pub const STANDARD_ACTIVITY_TYPES: [&str; 6] = [
    "Phone",
    "EmailSend",
    "EmailRcd",
    "AcctNote",
    "Dispute",
    "ExpectPay",
];

const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// The days of the week nobody works: Saturdays and Sundays unless set otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DaysOff([bool; 7]);

impl DaysOff {
    pub const WEEKEND: DaysOff = DaysOff([false, false, false, false, false, true, true]);
    pub const NONE: DaysOff = DaysOff([false; 7]);

    pub fn contains(self, day: Weekday) -> bool {
        self.0[day.num_days_from_monday() as usize]
    }
}

impl Default for DaysOff {
    fn default() -> Self {
        DaysOff::WEEKEND
    }
}

/// `Sat,Sun`; `none` when every day is a working day.
impl fmt::Display for DaysOff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = WEEK
            .iter()
            .filter(|d| self.contains(**d))
            .map(ToString::to_string)
            .collect();
        if names.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&names.join(","))
        }
    }
}

impl FromStr for DaysOff {
    type Err = String;

    fn from_str(text: &str) -> Result<DaysOff, String> {
        if text.trim().eq_ignore_ascii_case("none") {
            return Ok(DaysOff::NONE);
        }
        let mut off = [false; 7];
        for part in text.split(',') {
            let day: Weekday = part.trim().parse().map_err(|_| {
                format!(
                    "{:?} is not a day of the week; write days such as Sat,Sun, or none",
                    part.trim()
                )
            })?;
            off[day.num_days_from_monday() as usize] = true;
        }
        if off.iter().all(|d| *d) {
            return Err("at least one day of the week must be a working day".into());
        }
        Ok(DaysOff(off))
    }
}

/// When generate runs for a credit class on its own: daily or on chosen weekdays, at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    days: [bool; 7],
    at: NaiveTime,
}

impl Schedule {
    /// `daily` or days such as `Mon,Wed,Fri`; a time as `HH:MM` (06:00 when absent).
    pub fn parse(days: &str, at: Option<&str>) -> Result<Schedule, String> {
        let days = if days.trim().eq_ignore_ascii_case("daily") {
            [true; 7]
        } else {
            let mut on = [false; 7];
            for part in days.split(',') {
                let day: Weekday = part.trim().parse().map_err(|_| {
                    format!(
                        "{:?} is not a day of the week; write daily, or days such as Mon,Thu",
                        part.trim()
                    )
                })?;
                on[day.num_days_from_monday() as usize] = true;
            }
            on
        };
        let at = match at.map(str::trim).filter(|t| !t.is_empty()) {
            None => NaiveTime::from_hms_opt(6, 0, 0).unwrap_or(NaiveTime::MIN),
            Some(t) => NaiveTime::parse_from_str(t, "%H:%M")
                .map_err(|_| format!("not a time {t:?}, expected HH:MM such as 06:30"))?,
        };
        Ok(Schedule { days, at })
    }

    /// The days as written back: `daily` or `Mon,Wed`.
    pub fn days_text(&self) -> String {
        if self.days.iter().all(|d| *d) {
            return "daily".into();
        }
        WEEK.iter()
            .filter(|d| self.days[d.num_days_from_monday() as usize])
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn time_text(&self) -> String {
        self.at.format("%H:%M").to_string()
    }

    /// The business date of the latest run due at or before `now`, within the last week.
    pub fn last_due(&self, now: NaiveDateTime) -> Option<NaiveDate> {
        (0..8u64)
            .filter_map(|back| now.date().checked_sub_days(chrono::Days::new(back)))
            .find(|day| {
                self.days[day.weekday().num_days_from_monday() as usize]
                    && day.and_time(self.at) <= now
            })
    }
}

/// One company's working days: the weekly days off and the calendar's other days off.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Calendar {
    days_off: DaysOff,
    holidays: BTreeSet<NaiveDate>,
}

impl Calendar {
    pub fn new(days_off: DaysOff, holidays: impl IntoIterator<Item = NaiveDate>) -> Calendar {
        Calendar {
            days_off,
            holidays: holidays.into_iter().collect(),
        }
    }

    pub fn is_working(&self, day: NaiveDate) -> bool {
        !self.days_off.contains(day.weekday()) && !self.holidays.contains(&day)
    }

    /// The working day on or after `day`.
    pub fn next_working(&self, day: NaiveDate) -> NaiveDate {
        let mut d = day;
        // A week always has a working day, and the holidays are finite.
        for _ in 0..=self.holidays.len() + 7 {
            if self.is_working(d) {
                return d;
            }
            let Some(next) = d.succ_opt() else { break };
            d = next;
        }
        d
    }

    /// The date a task created on `start` with `days` working days to respond is due: the
    /// days are counted from the creation day when it is a working day, and the task is due
    /// on the first working day after them. With Saturdays and Sundays off, Friday + 3 is
    /// Wednesday; with every day working, 2015-01-09 + 3 is 2015-01-12.
    pub fn respond_by(&self, start: NaiveDate, days: u32) -> NaiveDate {
        let mut d = start;
        let mut left = days;
        while left > 0 {
            if self.is_working(d) {
                left -= 1;
            }
            match d.succ_opt() {
                Some(next) => d = next,
                None => return d,
            }
        }
        self.next_working(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        crate::parse_date(text).unwrap()
    }

    #[test]
    fn friday_plus_three_is_wednesday_with_weekends_off() {
        let calendar = Calendar::default();
        let friday = day("2015-01-09");
        assert_eq!(friday.weekday(), Weekday::Fri);
        assert_eq!(calendar.respond_by(friday, 3), day("2015-01-14"));
    }

    #[test]
    fn every_day_working_counts_calendar_days() {
        let calendar = Calendar::new(DaysOff::NONE, []);
        assert_eq!(calendar.respond_by(day("2015-01-09"), 3), day("2015-01-12"));
        assert_eq!(calendar.respond_by(day("2015-01-09"), 0), day("2015-01-09"));
    }

    #[test]
    fn calendar_days_off_push_the_date_on() {
        let holiday = Calendar::new(DaysOff::WEEKEND, [day("2015-01-12")]);
        assert_eq!(holiday.respond_by(day("2015-01-09"), 3), day("2015-01-15"));
        let due_on_holiday = Calendar::new(DaysOff::NONE, [day("2015-01-12")]);
        assert_eq!(
            due_on_holiday.respond_by(day("2015-01-09"), 3),
            day("2015-01-13")
        );
    }

    #[test]
    fn a_day_off_does_not_count_as_the_first_day() {
        let calendar = Calendar::default();
        let saturday = day("2015-01-10");
        assert_eq!(calendar.respond_by(saturday, 3), day("2015-01-15"));
        assert_eq!(calendar.respond_by(saturday, 0), day("2015-01-12"));
    }

    #[test]
    fn schedules_find_their_latest_due_run() {
        let at = |text: &str| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap();
        let daily = Schedule::parse("daily", Some("06:30")).unwrap();
        assert_eq!(
            (daily.days_text(), daily.time_text()),
            ("daily".into(), "06:30".into())
        );
        assert_eq!(
            daily.last_due(at("2015-03-13 06:30")),
            Some(day("2015-03-13"))
        );
        assert_eq!(
            daily.last_due(at("2015-03-13 06:29")),
            Some(day("2015-03-12"))
        );
        let weekly = Schedule::parse("mon, thu", None).unwrap();
        assert_eq!(weekly.days_text(), "Mon,Thu");
        assert_eq!(weekly.time_text(), "06:00");
        // Friday the 13th: the latest due run was Thursday's.
        assert_eq!(
            weekly.last_due(at("2015-03-13 12:00")),
            Some(day("2015-03-12"))
        );
        assert_eq!(
            weekly.last_due(at("2015-03-16 05:00")),
            Some(day("2015-03-12"))
        );
        assert_eq!(
            weekly.last_due(at("2015-03-16 06:00")),
            Some(day("2015-03-16"))
        );
        assert!(
            Schedule::parse("weekly", None)
                .unwrap_err()
                .contains("not a day of the week")
        );
        assert!(
            Schedule::parse("daily", Some("25:00"))
                .unwrap_err()
                .contains("not a time")
        );
    }

    #[test]
    fn days_off_read_and_print_as_day_names() {
        assert_eq!(DaysOff::default().to_string(), "Sat,Sun");
        assert_eq!(
            "fri, sat".parse::<DaysOff>().unwrap().to_string(),
            "Fri,Sat"
        );
        assert_eq!("none".parse::<DaysOff>().unwrap(), DaysOff::NONE);
        assert!("Sat,Funday".parse::<DaysOff>().is_err());
        assert!(
            "Mon,Tue,Wed,Thu,Fri,Sat,Sun"
                .parse::<DaysOff>()
                .unwrap_err()
                .contains("at least one")
        );
    }
}
