//! Where a known client's redirects go: the patterns of its entry, and
//! whether a client's redirect URIs all match them.

use url::Url;

use crate::redirect_uri::{RedirectKind, RedirectPolicy, RedirectUri};

/// A redirect URI pattern of a known client.
#[derive(Debug, Clone)]
pub(super) enum Pattern {
    /// Compared as a string, like any registered redirect URI (RFC 6749
    /// section 3.1.2.3).
    Exact(String),
    /// `http` on loopback without a port: a native app binds whatever port
    /// is free, so any port matches (RFC 8252 section 7.3, the rule of
    /// [`RedirectUri::matches`]).
    LoopbackAnyPort(RedirectUri),
    /// Ends in `*`: any URI that starts with the rest. For private-use
    /// schemes, whose path each installation of an app chooses.
    Prefix(String),
}

impl Pattern {
    pub(super) fn parse(raw: &str) -> Result<Self, &'static str> {
        let (fixed, is_prefix) = match raw.strip_suffix('*') {
            Some(fixed) => (fixed, true),
            None => (raw, false),
        };
        if fixed.contains('*') {
            return Err("may have a * only at the end");
        }
        if Url::parse(fixed).is_err() {
            return Err("is not an absolute URI");
        }
        if is_prefix {
            return Ok(Self::Prefix(fixed.to_owned()));
        }
        match RedirectUri::parse(raw, &RedirectPolicy::default()) {
            Ok(uri) if uri.kind() == RedirectKind::Loopback && !has_port(raw) => {
                Ok(Self::LoopbackAnyPort(uri))
            }
            _ => Ok(Self::Exact(raw.to_owned())),
        }
    }

    pub(super) fn matches(&self, uri: &str) -> bool {
        match self {
            Self::Exact(pattern) => pattern == uri,
            Self::LoopbackAnyPort(pattern) => pattern.matches(uri),
            Self::Prefix(prefix) => uri.starts_with(prefix.as_str()),
        }
    }
}

/// Whether a URI's authority names a port. Read from the text: the URL
/// parser drops a default port, and `http://127.0.0.1:80/` names one.
fn has_port(raw: &str) -> bool {
    let Some((_, rest)) = raw.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let after_host = authority.rfind(']').map_or(0, |end| end + 1);
    authority[after_host..].contains(':')
}

/// Every redirect URI goes where one of `patterns` says; a client without
/// any redirect URI is nobody's.
pub(super) fn accepts_all<'p>(
    patterns: impl Iterator<Item = &'p Pattern> + Clone,
    uris: &[RedirectUri],
) -> bool {
    !uris.is_empty()
        && uris.iter().all(|uri| {
            patterns
                .clone()
                .any(|pattern| pattern.matches(uri.as_str()))
        })
}
