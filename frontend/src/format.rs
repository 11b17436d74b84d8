//! Numbers, sizes, instants and durations as a person reads them.

use shared::time::EpochMillis;

pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GB", n as f64 / f64::from(1 << 30)),
        n if n >= 1 << 20 => format!("{:.1} MB", n as f64 / f64::from(1 << 20)),
        n if n >= 1 << 10 => format!("{:.1} KB", n as f64 / f64::from(1 << 10)),
        n => format!("{n} B"),
    }
}

/// `2026-11-30 13:05 UTC`.
pub fn instant(at: EpochMillis) -> String {
    format!("{} {} UTC", at.utc_date(), at.utc_hh_mm())
}

/// `2026-11-30 22:05 (UTC+9)` in the browser's time zone.
pub fn local_instant(at: EpochMillis) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at.0 as f64));
    // getTimezoneOffset is minutes *behind* UTC: Seoul is -540.
    let offset = -(date.get_timezone_offset() as i64);
    let zone = match (offset / 60, offset % 60) {
        (0, 0) => "UTC".to_owned(),
        (hours, 0) => format!("UTC{hours:+}"),
        (hours, minutes) => format!("UTC{hours:+}:{:02}", minutes.abs()),
    };
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} ({zone})",
        date.get_full_year(),
        date.get_month() + 1,
        date.get_date(),
        date.get_hours(),
        date.get_minutes()
    )
}

/// The first millisecond of `day` in the browser's time zone: a Korean user's "today" starts
/// at 15:00 UTC the day before.
pub fn local_day_start(day: shared::time::Date) -> i64 {
    js_sys::Date::new_with_year_month_day(
        u32::try_from(day.year()).unwrap_or(1970),
        i32::from(day.month()) - 1,
        i32::from(day.day()),
    )
    .get_time() as i64
}

pub fn duration(millis: i64) -> String {
    let seconds = millis.max(0) / 1000;
    match seconds {
        s if s >= 3600 => format!("{}h {:02}m", s / 3600, s / 60 % 60),
        s if s >= 60 => format!("{}m {:02}s", s / 60, s % 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(count(12_480), "12,480");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000_000), "1,000,000");
        assert_eq!(bytes(998_728), "975.3 KB");
        assert_eq!(bytes(12), "12 B");
        assert_eq!(duration(30_500), "30s");
        assert_eq!(duration(3_725_000), "1h 02m");
        assert_eq!(instant(EpochMillis(0)), "1970-01-01 00:00 UTC");
    }
}
