//! A chat account's service hours, written as people write them:
//! `mon-fri 09:00-17:00; sat 10:00-14:00`. Empty means always open.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveTime, TimeZone, Utc, Weekday};

#[derive(Debug, Clone, PartialEq, Eq)]
struct Span {
    days: Vec<Weekday>,
    open: NaiveTime,
    close: NaiveTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceHours {
    spans: Vec<Span>,
}

const DAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

fn day(name: &str) -> Result<Weekday, String> {
    DAYS.iter()
        .find(|(n, _)| *n == name)
        .map(|(_, d)| *d)
        .ok_or_else(|| format!("unknown day {name:?}; use mon, tue, wed, thu, fri, sat, sun"))
}

fn day_name(d: Weekday) -> &'static str {
    DAYS[d.num_days_from_monday() as usize].0
}

fn time(s: &str) -> Result<NaiveTime, String> {
    if s == "24:00" {
        return Ok(NaiveTime::from_hms_opt(23, 59, 59).expect("valid time"));
    }
    NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| format!("bad time {s:?}; use HH:MM"))
}

impl ServiceHours {
    /// Whether the hours include this instant, read in the given time zone.
    pub fn is_open_at<Tz: TimeZone>(&self, at: DateTime<Tz>) -> bool {
        if self.spans.is_empty() {
            return true;
        }
        let (weekday, now) = (at.weekday(), at.time());
        self.spans
            .iter()
            .any(|s| s.days.contains(&weekday) && s.open <= now && now < s.close)
    }

    pub fn is_open_now(&self, time_zone: chrono_tz::Tz) -> bool {
        self.is_open_at(Utc::now().with_timezone(&time_zone))
    }
}

impl FromStr for ServiceHours {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut spans = Vec::new();
        for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (days, hours) = part
                .split_once(' ')
                .ok_or_else(|| format!("{part:?}: expected `DAYS HH:MM-HH:MM`"))?;
            let days = days.trim().to_ascii_lowercase();
            let days = match days.split_once('-') {
                Some((from, to)) => {
                    let (mut d, last) = (day(from)?, day(to)?);
                    let mut all = vec![d];
                    while d != last {
                        d = d.succ();
                        all.push(d);
                    }
                    all
                }
                None => days.split(',').map(day).collect::<Result<_, _>>()?,
            };
            let (open, close) = hours
                .trim()
                .split_once('-')
                .ok_or_else(|| format!("{part:?}: expected hours as HH:MM-HH:MM"))?;
            let (open, close) = (time(open)?, time(close)?);
            if open >= close {
                return Err(format!("{part:?}: opening must come before closing"));
            }
            spans.push(Span { days, open, close });
        }
        Ok(ServiceHours { spans })
    }
}

impl fmt::Display for ServiceHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .spans
            .iter()
            .map(|s| {
                let days: Vec<_> = s.days.iter().map(|d| day_name(*d)).collect();
                format!(
                    "{} {}-{}",
                    days.join(","),
                    s.open.format("%H:%M"),
                    s.close.format("%H:%M")
                )
            })
            .collect();
        f.write_str(&parts.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Amsterdam;

    #[test]
    fn weekday_hours_are_read_in_the_accounts_time_zone() {
        let hours: ServiceHours = "mon-fri 09:00-17:00".parse().unwrap();
        // 2026-11-23 is a Monday; 08:30 UTC is 09:30 in Amsterdam (CET, UTC+1).
        let monday = Utc.with_ymd_and_hms(2026, 11, 23, 8, 30, 0).unwrap();
        assert!(hours.is_open_at(monday.with_timezone(&Amsterdam)));
        assert!(!hours.is_open_at(monday));
        let saturday = Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap();
        assert!(!hours.is_open_at(saturday.with_timezone(&Amsterdam)));
    }

    #[test]
    fn day_ranges_wrap_and_lists_parse() {
        let hours: ServiceHours = "fri-mon 10:00-12:00; wed,thu 08:00-09:00".parse().unwrap();
        assert_eq!(
            hours.to_string(),
            "fri,sat,sun,mon 10:00-12:00; wed,thu 08:00-09:00"
        );
        assert!("mon 17:00-09:00".parse::<ServiceHours>().is_err());
        assert!("someday 09:00-10:00".parse::<ServiceHours>().is_err());
    }

    #[test]
    fn empty_hours_are_always_open() {
        let hours: ServiceHours = "".parse().unwrap();
        assert!(hours.is_open_at(Utc::now()));
    }
}
