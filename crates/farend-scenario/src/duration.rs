//! Durations as written in scenario files: `500ms`, `2s`, `1.5s`, `2m`.

use std::time::Duration;

/// The longest duration a scenario may state (24 hours).
pub const MAX_DURATION: Duration = Duration::from_secs(24 * 3600);

/// Units a duration may use, for messages.
pub const DURATION_UNITS: &str =
    "ms (milliseconds), s (seconds) or m (minutes), e.g. `500ms`, `2s`, `1.5s`, `2m`";

/// Why a duration string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// The text has no unit (a bare number).
    #[error("duration `{0}` has no unit; write it with {DURATION_UNITS}")]
    NoUnit(String),
    /// The unit is not one of ms, s, m.
    #[error("duration `{text}` has unknown unit `{unit}`; use {DURATION_UNITS}")]
    BadUnit {
        /// The whole text.
        text: String,
        /// The unit as written.
        unit: String,
    },
    /// The number part is malformed.
    #[error("`{0}` is not a duration; write a number followed by {DURATION_UNITS}")]
    BadNumber(String),
    /// Longer than [`MAX_DURATION`].
    #[error("duration `{0}` is too long (at most 24 hours)")]
    TooLong(String),
    /// Finer than a nanosecond.
    #[error("duration `{0}` is more precise than a nanosecond")]
    TooPrecise(String),
}

/// Parses `500ms`, `2s`, `1.5s`, `2m` (a non-negative decimal number directly followed by a unit).
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let t = text.trim();
    let split = t
        .find(|ch: char| !(ch.is_ascii_digit() || ch == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    if num.is_empty() {
        return Err(DurationError::BadNumber(text.to_owned()));
    }
    if unit.is_empty() {
        return Err(DurationError::NoUnit(text.to_owned()));
    }
    let unit_ns: u128 = match unit {
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" | "min" => 60_000_000_000,
        _ => {
            return Err(DurationError::BadUnit {
                text: text.to_owned(),
                unit: unit.to_owned(),
            });
        }
    };
    let (int_part, frac_part) = match num.split_once('.') {
        Some((i, f)) => (i, f),
        None => (num, ""),
    };
    if int_part.is_empty()
        || !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
        || (num.contains('.') && frac_part.is_empty())
    {
        return Err(DurationError::BadNumber(text.to_owned()));
    }
    if int_part.len() > 12 {
        return Err(DurationError::TooLong(text.to_owned()));
    }
    let int: u128 = int_part
        .parse()
        .map_err(|_| DurationError::BadNumber(text.to_owned()))?;
    let mut nanos = int * unit_ns;
    // Fraction: digits d1 d2 ... scale unit_ns exactly; reject what does not land on a nanosecond.
    let mut scale = unit_ns;
    for d in frac_part.bytes() {
        let digit = u128::from(d - b'0');
        if !scale.is_multiple_of(10) {
            if digit != 0 {
                return Err(DurationError::TooPrecise(text.to_owned()));
            }
            continue;
        }
        scale /= 10;
        nanos += digit * scale;
    }
    if nanos > MAX_DURATION.as_nanos() {
        return Err(DurationError::TooLong(text.to_owned()));
    }
    let secs = u64::try_from(nanos / 1_000_000_000)
        .map_err(|_| DurationError::TooLong(text.to_owned()))?;
    let sub = u32::try_from(nanos % 1_000_000_000).unwrap_or(0);
    Ok(Duration::new(secs, sub))
}

/// Formats a duration the way scenario files write it (`500ms`, `2s`, `1.5s`, `2m`).
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if !d.as_nanos().is_multiple_of(1_000_000) {
        return format!("{}s", d.as_secs_f64());
    }
    if ms.is_multiple_of(60_000) && ms > 0 {
        format!("{}m", ms / 60_000)
    } else if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else if ms >= 1000 {
        format!("{}s", ms as f64 / 1000.0)
    } else {
        format!("{ms}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_forms() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("0.25m"), Ok(Duration::from_secs(15)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert_eq!(
            parse_duration("1.0005s"),
            Ok(Duration::from_micros(1_000_500))
        );
        assert_eq!(parse_duration("0.5ms"), Ok(Duration::from_micros(500)));
        assert_eq!(parse_duration(" 3s "), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("24m"), Ok(Duration::from_secs(1440)));
        assert_eq!(parse_duration("1440m"), Ok(MAX_DURATION));
    }

    #[test]
    fn rejects_bare_numbers_with_the_allowed_units() {
        let e = parse_duration("20").unwrap_err();
        assert_eq!(e, DurationError::NoUnit("20".into()));
        let msg = e.to_string();
        assert!(
            msg.contains("ms") && msg.contains("`2s`") && msg.contains("`2m`"),
            "{msg}"
        );
        assert!(matches!(
            parse_duration("1.5"),
            Err(DurationError::NoUnit(_))
        ));
    }

    #[test]
    fn rejects_malformed_text() {
        assert!(
            matches!(parse_duration("2h"), Err(DurationError::BadUnit { unit, .. }) if unit == "h")
        );
        assert!(matches!(
            parse_duration("2 s"),
            Err(DurationError::BadUnit { .. })
        ));
        assert!(matches!(
            parse_duration("2sec"),
            Err(DurationError::BadUnit { .. })
        ));
        assert!(matches!(
            parse_duration("-1s"),
            Err(DurationError::BadNumber(_))
        ));
        assert!(matches!(
            parse_duration("s"),
            Err(DurationError::BadNumber(_))
        ));
        assert!(matches!(
            parse_duration(""),
            Err(DurationError::BadNumber(_))
        ));
        assert!(matches!(
            parse_duration("1.s"),
            Err(DurationError::BadNumber(_))
        ));
        assert!(matches!(
            parse_duration(".5s"),
            Err(DurationError::BadNumber(_))
        ));
        assert!(matches!(
            parse_duration("1.2.3s"),
            Err(DurationError::BadNumber(_))
        ));
        assert!(matches!(
            parse_duration("1441m"),
            Err(DurationError::TooLong(_))
        ));
        assert!(matches!(
            parse_duration("99999999999999999999999999999999s"),
            Err(DurationError::TooLong(_))
        ));
        assert!(matches!(
            parse_duration("1.0000000001s"),
            Err(DurationError::TooPrecise(_))
        ));
        assert!(matches!(parse_duration("1.0000000000s"), Ok(d) if d == Duration::from_secs(1)));
    }

    #[test]
    fn formats_round_trip() {
        for text in ["500ms", "2s", "1.5s", "2m", "90s", "1ms"] {
            let d = parse_duration(text).unwrap();
            assert_eq!(format_duration(d), text);
            assert_eq!(parse_duration(&format_duration(d)), Ok(d));
        }
        assert_eq!(format_duration(Duration::from_secs(120)), "2m");
    }
}
