//! Durations as users write them, lifetimes as people read them, and the clock as reports record it.

use std::time::Duration;

/// Why a text is no duration [`parse_duration`] takes; each names the text as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("`{0}` is not a duration (e.g. 500ms, 2s, 1m)")]
    NotANumber(String),
    #[error("`{0}`: unknown unit (use ms, s or m)")]
    UnknownUnit(String),
    #[error("`{0}`: must be above zero and at most a day")]
    OutOfRange(String),
}

/// Parses `500ms`, `2s`, `1.5s`, `1m`, or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, DurationError> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: f64 = num
        .parse()
        .map_err(|_| DurationError::NotANumber(s.to_string()))?;
    let secs = match unit.trim() {
        "ms" => n / 1000.0,
        "s" | "" => n,
        "m" | "min" => n * 60.0,
        _ => return Err(DurationError::UnknownUnit(s.to_string())),
    };
    if !secs.is_finite() || secs <= 0.0 || secs > 24.0 * 3600.0 {
        return Err(DurationError::OutOfRange(s.to_string()));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// A lifetime in the largest whole unit that fits.
pub fn human_lifetime(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        s if s >= 2 * 365 * 86_400 => format!("{} years", s / (365 * 86_400)),
        s if s >= 60 * 86_400 => format!("{} months", s / (30 * 86_400)),
        s if s >= 2 * 86_400 => format!("{} days", s / 86_400),
        s if s >= 2 * 3600 => format!("{} hours", s / 3600),
        s if s >= 120 => format!("{} minutes", s / 60),
        s => format!("{s} s"),
    }
}

/// The current time, RFC 3339 in UTC.
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
