//! Shifting DA and DT values by whole days, keeping their precision.

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    days_from_civil(
        if m == 12 { y + 1 } else { y },
        if m == 12 { 1 } else { m + 1 },
        1,
    ) - days_from_civil(y, m, 1)
}

fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Shift the date part (`YYYY`, `YYYYMM` or `YYYYMMDD`) of a DA or DT value back by
/// `days`, keeping the rest (time, fraction, UTC offset). Missing month or day count as
/// the first; the result keeps the input's precision. `None` when the value is not a
/// valid date (the caller then empties it). ACR-NEMA `YYYY.MM.DD` dates are accepted and
/// written back in the standard form.
pub(crate) fn shift(value: &str, days: i64) -> Option<String> {
    let v = value.trim();
    let (date, rest, precision) =
        if v.len() >= 10 && v.as_bytes()[4] == b'.' && v.as_bytes()[7] == b'.' {
            (format!("{}{}{}", &v[..4], &v[5..7], &v[8..10]), &v[10..], 8)
        } else {
            let n = v.bytes().take_while(u8::is_ascii_digit).count();
            let p = match n {
                4 | 6 => n,
                n if n >= 8 => 8,
                _ => return None,
            };
            (v[..p].to_owned(), &v[p..], p)
        };
    let y = digits(&date[..4])?;
    let m = if precision >= 6 {
        digits(&date[4..6])?
    } else {
        1
    };
    let d = if precision >= 8 {
        digits(&date[6..8])?
    } else {
        1
    };
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    let (ny, nm, nd) = civil_from_days(days_from_civil(y, m, d) - days);
    if !(0..=9999).contains(&ny) {
        return None;
    }
    let out = match precision {
        4 => format!("{ny:04}"),
        6 => format!("{ny:04}{nm:02}"),
        _ => format!("{ny:04}{nm:02}{nd:02}"),
    };
    Some(format!("{out}{rest}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_keep_form_and_intervals() {
        assert_eq!(shift("20240301", 1).as_deref(), Some("20240229"));
        assert_eq!(shift("20230301", 1).as_deref(), Some("20230228"));
        assert_eq!(shift("20240101", 365).as_deref(), Some("20230101"));
        assert_eq!(
            shift("20240101120000.5+0100", 2).as_deref(),
            Some("20231230120000.5+0100")
        );
        assert_eq!(shift("2024", 10).as_deref(), Some("2023"));
        assert_eq!(shift("202403", 1).as_deref(), Some("202402"));
        assert_eq!(shift("2024.03.01", 1).as_deref(), Some("20240229"));
        assert_eq!(shift("20240230", 1), None, "no 30 February");
        assert_eq!(shift("2024013", 1), None);
        assert_eq!(shift("", 1), None);
        let a = days_from_civil(2021, 5, 17);
        let b = days_from_civil(2022, 1, 3);
        let sa = shift("20210517", 200).expect("valid");
        let sb = shift("20220103", 200).expect("valid");
        let back = |s: &str| {
            days_from_civil(
                s[..4].parse().expect("year"),
                s[4..6].parse().expect("month"),
                s[6..8].parse().expect("day"),
            )
        };
        assert_eq!(back(&sb) - back(&sa), b - a, "intervals are preserved");
    }
}
