//! The one place the service reads the wall clock: dcr-core takes the time
//! as an argument (so its rules are exact in tests), and everything here that
//! needs "now" asks this module.

/// Seconds since the Unix epoch, as RFC 7591 speaks of time
/// (`client_id_issued_at`, `client_secret_expires_at`).
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}
