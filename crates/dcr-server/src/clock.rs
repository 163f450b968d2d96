//! The one place the service reads the wall clock: dcr-core takes the time
//! as an argument (so its rules are exact in tests), and everything here that
//! needs "now" asks this module.

/// Seconds since the Unix epoch, as RFC 7591 speaks of time
/// (`client_id_issued_at`, `client_secret_expires_at`).
pub fn unix_now() -> i64 {
    i64::try_from(since_epoch().as_secs()).unwrap_or(i64::MAX)
}

/// The time since the Unix epoch to the nanosecond (a log line's time); a
/// clock set before 1970 reads as the epoch.
pub fn since_epoch() -> std::time::Duration {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
}

/// `YYYY-MM-DD`, `between`, then `HH:MM:SS`: Unix seconds in UTC (the
/// `time` crate, already in the tree through actix-web, does the
/// calendar). `None` outside its range (years beyond 9999).
pub fn utc_text(unix: i64, between: char) -> Option<String> {
    let at = time::OffsetDateTime::from_unix_timestamp(unix).ok()?;
    Some(format!(
        "{:04}-{:02}-{:02}{between}{:02}:{:02}:{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    ))
}
