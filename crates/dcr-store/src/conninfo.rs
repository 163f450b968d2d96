//! Postgres connection strings as libpq reads them, in its two forms: the
//! URI (`postgres://user:password@host/db?key=value`) and the key/value
//! string (`host=db password='s3cret'`). Only what it takes to show one
//! without its secrets and to add a `connect_timeout`; libpq still gets the
//! string as the operator wrote it.

/// The libpq keywords (`PQconndefaults`). A string whose first word is one
/// of them, followed by `=`, is a key/value connection string.
const KEYWORDS: &[&str] = &[
    "application_name",
    "channel_binding",
    "client_encoding",
    "connect_timeout",
    "dbname",
    "fallback_application_name",
    "gssdelegation",
    "gssencmode",
    "gsslib",
    "host",
    "hostaddr",
    "keepalives",
    "keepalives_count",
    "keepalives_idle",
    "keepalives_interval",
    "krbsrvname",
    "load_balance_hosts",
    "max_protocol_version",
    "min_protocol_version",
    "options",
    "passfile",
    "password",
    "port",
    "replication",
    "require_auth",
    "requirepeer",
    "service",
    "ssl_max_protocol_version",
    "ssl_min_protocol_version",
    "sslcert",
    "sslcertmode",
    "sslcompression",
    "sslcrl",
    "sslcrldir",
    "sslkey",
    "sslmode",
    "sslnegotiation",
    "sslpassword",
    "sslrootcert",
    "sslsni",
    "target_session_attrs",
    "tcp_user_timeout",
    "user",
];

/// The keywords whose values are secrets: never shown.
const SECRET_KEYWORDS: &[&str] = &["password", "sslpassword"];

pub(crate) fn is_uri(raw: &str) -> bool {
    raw.starts_with("postgres://") || raw.starts_with("postgresql://")
}

/// Whether `raw` reads as a libpq key/value string: its first word is a
/// libpq keyword followed by `=`.
pub(crate) fn is_key_value(raw: &str) -> bool {
    let raw = raw.trim_start();
    let word_end = raw
        .find(|c: char| c == '=' || c.is_whitespace())
        .unwrap_or(raw.len());
    KEYWORDS.contains(&&raw[..word_end]) && raw[word_end..].trim_start().starts_with('=')
}

/// `raw` without its passwords, for logs and the CLI's first line. Parts
/// that libpq would not read as intended (so a password could hide in
/// them) are left out rather than guessed at.
pub(crate) fn redacted(raw: &str) -> String {
    if is_uri(raw) {
        redacted_uri(raw)
    } else {
        redacted_key_value(raw)
    }
}

/// Whether the string sets the libpq keyword `keyword` itself.
pub(crate) fn sets(raw: &str, keyword: &str) -> bool {
    if is_uri(raw) {
        let query = raw.split_once('?').map_or("", |(_, query)| query);
        query.split('&').any(|pair| {
            pair.split_once('=')
                .is_some_and(|(key, _)| decode(key) == keyword)
        })
    } else {
        key_value_pairs(raw).is_ok_and(|pairs| pairs.iter().any(|(key, _)| key == keyword))
    }
}

/// `raw` with `keyword=value` added, by string: the url crate cannot parse
/// a multi-host URI (`postgres://h1:5432,h2:5432/dcr`), which libpq reads.
pub(crate) fn with_pair(raw: &str, keyword: &str, value: &str) -> String {
    if !is_uri(raw) {
        return format!("{raw} {keyword}={value}");
    }
    let separator = match raw.split_once('?') {
        None => "?",
        Some((_, "")) => "",
        Some((_, query)) if query.ends_with('&') => "",
        Some(_) => "&",
    };
    format!("{raw}{separator}{keyword}={value}")
}

fn redacted_uri(raw: &str) -> String {
    let (scheme, rest) = raw.split_once("://").unwrap_or(("postgres", raw));
    // libpq takes the user part up to the first `@` met before any `/`
    // (not `?`: a password may hold one).
    let user_end = rest
        .find(['@', '/'])
        .filter(|&i| rest[i..].starts_with('@'));
    let (user, after) = match user_end {
        Some(at) => {
            let userinfo = &rest[..at];
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            (Some(user), &rest[at + 1..])
        }
        None => (None, rest),
    };
    let (main, query) = after
        .split_once('?')
        .map_or((after, None), |(m, q)| (m, Some(q)));
    // Any other `@` is a URI libpq misreads (a password holding `/` or
    // `@`): part of the password could sit anywhere in it.
    let stray_at = match user {
        Some(_) => main.contains('@'),
        None => rest.contains('@'),
    };
    if stray_at {
        return format!("{scheme}://(not shown: an '@' outside the user name)");
    }
    let mut shown = format!("{scheme}://");
    if let Some(user) = user {
        shown.push_str(user);
        shown.push('@');
    }
    shown.push_str(main);
    if let Some(query) = query {
        let kept: Vec<&str> = query
            .split('&')
            .filter(|pair| {
                pair.split_once('=')
                    .is_some_and(|(key, _)| shown_keyword(&decode(key)))
            })
            .collect();
        if !kept.is_empty() {
            shown.push('?');
            shown.push_str(&kept.join("&"));
        }
    }
    shown
}

/// Known and not secret: an unknown keyword is refused by libpq, and may be
/// the tail of a password that held an unencoded `&`.
fn shown_keyword(key: &str) -> bool {
    KEYWORDS.contains(&key) && !SECRET_KEYWORDS.contains(&key)
}

fn redacted_key_value(raw: &str) -> String {
    let Ok(pairs) = key_value_pairs(raw) else {
        return "(not shown: not a key/value connection string libpq reads)".to_owned();
    };
    let shown: Vec<String> = pairs
        .iter()
        .filter(|(key, _)| shown_keyword(key))
        .map(|(key, value)| {
            // libpq reads a dbname holding a connection string as one.
            let value = if key == "dbname" && (is_uri(value) || value.contains('=')) {
                redacted(value)
            } else {
                value.clone()
            };
            format!("{key}={}", quoted(&value))
        })
        .collect();
    shown.join(" ")
}

fn quoted(value: &str) -> String {
    if !value.is_empty() && !value.contains(|c: char| c.is_whitespace() || c == '\'' || c == '\\') {
        return value.to_owned();
    }
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// The pairs of a key/value string, by libpq's `conninfo_parse`: `key =
/// value`, the value bare up to white space or in single quotes, `\`
/// escaping the next character in both.
fn key_value_pairs(raw: &str) -> Result<Vec<(String, String)>, ()> {
    let mut pairs = Vec::new();
    let mut chars = raw.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(pairs);
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|&c| c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            return Err(());
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    None => return Err(()),
                    Some('\'') => break,
                    Some('\\') => value.push(chars.next().ok_or(())?),
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    if let Some(escaped) = chars.next() {
                        value.push(escaped);
                    }
                } else {
                    value.push(c);
                }
            }
        }
        pairs.push((key, value));
    }
}

/// libpq's percent-decoding of URI parts (lossy: a keyword is compared, not kept).
fn decode(part: &str) -> String {
    let bytes = part.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok())
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_password_is_ever_shown() {
        let cases = [
            ("postgres://dcr@db:5432/dcr", "postgres://dcr@db:5432/dcr"),
            (
                "postgres://dcr:s3cret@db:5432/dcr",
                "postgres://dcr@db:5432/dcr",
            ),
            (
                "postgresql://dcr:s3cret@db/dcr?sslmode=require",
                "postgresql://dcr@db/dcr?sslmode=require",
            ),
            ("postgres://:s3cret@db/dcr", "postgres://@db/dcr"),
            // A password holding `?` or `:`: libpq's user part runs to the `@`.
            ("postgres://dcr:s3?cr:et@db/dcr", "postgres://dcr@db/dcr"),
            // Percent-encoded passwords, in the user part and in the query.
            ("postgres://dcr:s3%40cret@db/dcr", "postgres://dcr@db/dcr"),
            (
                "postgres://db/dcr?password=s3cret&sslmode=require",
                "postgres://db/dcr?sslmode=require",
            ),
            ("postgres://db/dcr?pass%77ord=s3cret", "postgres://db/dcr"),
            (
                "postgres://db/dcr?sslpassword=s3cret&user=dcr",
                "postgres://db/dcr?user=dcr",
            ),
            ("postgres://db/dcr?PASSWORD=s3cret", "postgres://db/dcr"),
            // An unencoded `&` in a password: its tail is no keyword.
            (
                "postgres://db/dcr?password=s3&cret=x&port=5433",
                "postgres://db/dcr?port=5433",
            ),
            ("postgres://db/dcr?password", "postgres://db/dcr"),
            ("postgres://db/dcr?&&", "postgres://db/dcr"),
            // Several hosts, which the url crate cannot parse.
            (
                "postgres://dcr:s3cret@h1:5432,h2:5433/dcr",
                "postgres://dcr@h1:5432,h2:5433/dcr",
            ),
            // Passwords holding `@` or `/`: libpq misreads them; nothing of them shows.
            (
                "postgres://dcr:s3@cret@db/dcr",
                "postgres://(not shown: an '@' outside the user name)",
            ),
            (
                "postgres://dcr:s3/cret@db/dcr",
                "postgres://(not shown: an '@' outside the user name)",
            ),
            (
                "postgres://dcr:12/x?y@db/dcr",
                "postgres://(not shown: an '@' outside the user name)",
            ),
            (
                "postgres:///dcr?host=/var/run/postgresql",
                "postgres:///dcr?host=/var/run/postgresql",
            ),
            // Key/value strings.
            (
                "host=db dbname=dcr user=dcr password=s3cret",
                "host=db dbname=dcr user=dcr",
            ),
            (
                "host=db password = 's3 cr\\'et' port=5433",
                "host=db port=5433",
            ),
            ("password=s3\\ cret host=db", "host=db"),
            ("host=db sslpassword=s3cret", "host=db"),
            (
                "host=db application_name='my app'",
                "host=db application_name='my app'",
            ),
            (
                "host=db dbname='postgres://dcr:s3cret@db/dcr'",
                "host=db dbname=postgres://dcr@db/dcr",
            ),
            (
                "host=db dbname='user=dcr password=s3cret'",
                "host=db dbname=user=dcr",
            ),
            (
                "host=db password='s3cret",
                "(not shown: not a key/value connection string libpq reads)",
            ),
            (
                "host=db s3cret",
                "(not shown: not a key/value connection string libpq reads)",
            ),
            ("host=db secret=s3cret", "host=db"),
        ];
        for (raw, expected) in cases {
            let shown = redacted(raw);
            assert_eq!(shown, expected, "{raw}");
            for secret in ["s3", "cret", "12"] {
                assert!(!shown.contains(secret), "{raw} shows {shown}");
            }
        }
    }

    #[test]
    fn key_value_strings_are_told_from_file_paths() {
        for raw in ["host=db dbname=dcr", "  dbname = dcr", "service=dcr"] {
            assert!(is_key_value(raw), "{raw}");
        }
        for raw in [
            "dcr.sqlite3",
            "/var/lib/dcr/a=b.sqlite3",
            "data=1.sqlite3",
            "=x",
            "",
        ] {
            assert!(!is_key_value(raw), "{raw}");
        }
    }

    #[test]
    fn a_keyword_is_found_in_both_forms() {
        let sets_connect_timeout = |raw| sets(raw, "connect_timeout");
        assert!(sets_connect_timeout("postgres://db/dcr?connect_timeout=3"));
        assert!(sets_connect_timeout(
            "postgres://db/dcr?connect%5Ftimeout=3"
        ));
        assert!(!sets_connect_timeout("postgres://db/dcr?sslmode=require"));
        assert!(sets_connect_timeout("host=db connect_timeout=3"));
        assert!(!sets_connect_timeout("host=db dbname=connect_timeout"));
        assert!(sets_connect_timeout(
            "postgres://h1:5432,h2:5432/dcr?target_session_attrs=read-write&connect_timeout=3"
        ));
    }

    #[test]
    fn a_pair_is_added_to_either_form() {
        let cases = [
            ("postgres://db/dcr", "postgres://db/dcr?k=v"),
            ("postgres://db/dcr?", "postgres://db/dcr?k=v"),
            ("postgres://db/dcr?a=b&", "postgres://db/dcr?a=b&k=v"),
            ("postgres://db/dcr?a=b", "postgres://db/dcr?a=b&k=v"),
            (
                "postgres://h1:5432,h2:5432/dcr?target_session_attrs=read-write",
                "postgres://h1:5432,h2:5432/dcr?target_session_attrs=read-write&k=v",
            ),
            ("host=h1,h2 dbname=dcr", "host=h1,h2 dbname=dcr k=v"),
        ];
        for (raw, expected) in cases {
            assert_eq!(with_pair(raw, "k", "v"), expected, "{raw}");
        }
    }
}
