//! Redirect URIs as RFC 7591 section 2 and RFC 8252 sections 7-8 allow them, and
//! the match an authorization server performs at `/authorize` time.

use url::Url;

use crate::error::RedirectUriError;
use crate::uri::StrictUri;

/// Schemes that can run script, read local files, reach other protocols in a
/// user agent or start an operating system's protocol handler; never a
/// redirect target, whatever the operator allows. Most have no dot, so
/// `DCR_NATIVE_SCHEMES` is the only way they could be accepted: the
/// configuration refuses these there. Dotted ones are listed because a
/// reverse-domain name alone would otherwise let them through.
pub const DANGEROUS_SCHEMES: &[&str] = &[
    "javascript",
    "vbscript",
    "data",
    "file",
    "blob",
    "about",
    "filesystem",
    "view-source",
    "jar",
    "ftp",
    "ws",
    "wss",
    "mailto",
    "tel",
    "sms",
    "intent",
    "chrome",
    "chrome-extension",
    "resource",
    "urn",
    "ms-msdt",
    "search-ms",
    "search",
    "ms-officecmd",
    "ms-settings",
    "ms-word",
    "ms-excel",
    "ms-powerpoint",
    "ms-cxh",
    "ms-cxh-full",
    "ssh",
    "smb",
    "nfs",
    "afp",
    "telnet",
    "ldap",
    "gopher",
    "mhtml",
    "mk",
    "its",
    "ms-its",
    "hcp",
    "shell",
    "itms-services",
    "itms-apps",
    "x-apple.systempreferences",
    "vnd.ms.radio",
];

/// The private-use schemes without a dot that `DCR_NATIVE_SCHEMES` accepts by
/// default: those of MCP clients that predate reverse-domain schemes.
pub const DEFAULT_NATIVE_SCHEMES: [&str; 4] = ["cursor", "vscode", "vscode-insiders", "windsurf"];

/// Which redirect URIs an operator accepts beyond `https`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectPolicy {
    /// Private-use schemes for native apps (RFC 8252 section 7.1).
    pub allow_custom_schemes: bool,
    /// The name `localhost` besides loopback IP literals (RFC 8252 section 8.3
    /// prefers literals, but many MCP clients send `localhost`).
    pub allow_localhost: bool,
    pub max_length: usize,
    /// Private-use schemes without a dot that are accepted, lower-case. A
    /// scheme with a dot is a reverse domain name (`com.example.app`) and
    /// needs no listing.
    pub native_schemes: Vec<String>,
}

impl Default for RedirectPolicy {
    fn default() -> Self {
        Self {
            allow_custom_schemes: true,
            allow_localhost: true,
            max_length: 2000,
            native_schemes: DEFAULT_NATIVE_SCHEMES.map(str::to_owned).to_vec(),
        }
    }
}

/// How a redirect URI reaches the client; decides the application type default
/// and the loopback port rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectKind {
    Https,
    /// `http` to `127.0.0.0/8`, `[::1]` or `localhost` (RFC 8252 section 7.3).
    Loopback,
    /// A private-use URI scheme (RFC 8252 section 7.1).
    PrivateUse,
}

/// A registered redirect URI. The string is kept verbatim, because the
/// authorization server compares it exactly (RFC 6749 section 3.1.2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUri {
    verbatim: String,
    kind: RedirectKind,
}

impl RedirectUri {
    pub fn parse(raw: &str, policy: &RedirectPolicy) -> Result<Self, RedirectUriError> {
        if raw.len() > policy.max_length {
            return Err(RedirectUriError::TooLong {
                max: policy.max_length,
            });
        }
        // Fragments and wildcards are checked on the raw text: a URL parser
        // would split the one off and percent-encode the other.
        if raw.contains('*') {
            return Err(RedirectUriError::Wildcard);
        }
        if raw.contains('#') {
            return Err(RedirectUriError::Fragment);
        }
        let uri = StrictUri::parse(raw)?;
        if DANGEROUS_SCHEMES.contains(&uri.scheme.as_str()) {
            return Err(RedirectUriError::DangerousScheme);
        }
        let kind = match (uri.scheme.as_str(), &uri.host) {
            ("https", _) => RedirectKind::Https,
            ("http", Some(host)) if host.is_loopback_address() => RedirectKind::Loopback,
            ("http", Some(host)) if host.is_localhost_name() => {
                if !policy.allow_localhost {
                    return Err(RedirectUriError::LocalhostNotAllowed);
                }
                RedirectKind::Loopback
            }
            ("http", _) => return Err(RedirectUriError::InsecureHttp),
            (scheme, _) => {
                check_private_use_scheme(scheme, policy)?;
                RedirectKind::PrivateUse
            }
        };
        Ok(Self {
            verbatim: raw.to_owned(),
            kind,
        })
    }

    /// A redirect URI read back from the store, registered under the rules
    /// of its day: it is not judged again (a rule added since must not turn
    /// a working client into a broken row), only classified.
    pub fn from_stored(raw: &str) -> Self {
        let kind = match Url::parse(raw) {
            Ok(url) if url.scheme() == "https" => RedirectKind::Https,
            Ok(url) if url.scheme() == "http" && is_loopback_host(&url) => RedirectKind::Loopback,
            // An `http` URI off loopback, from a system that allowed one
            // (an import): matched exactly like `https`, never on any port.
            Ok(url) if url.scheme() == "http" => RedirectKind::Https,
            _ => RedirectKind::PrivateUse,
        };
        Self {
            verbatim: raw.to_owned(),
            kind,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.verbatim
    }

    pub fn kind(&self) -> RedirectKind {
        self.kind
    }

    /// Where the redirect goes: the host of an `http(s)` URI (lower-case, an
    /// IPv6 literal in brackets), or the scheme of a private-use URI, whose
    /// operating system hands it to the app that claimed the scheme.
    pub fn destination(&self) -> Option<String> {
        let url = Url::parse(&self.verbatim).ok()?;
        match self.kind {
            RedirectKind::PrivateUse => Some(url.scheme().to_owned()),
            RedirectKind::Https | RedirectKind::Loopback => {
                url.host_str().map(str::to_ascii_lowercase)
            }
        }
    }

    /// Whether a redirect URI presented at `/authorize` matches this registered
    /// one: exactly, or by the loopback port rule.
    pub fn matches(&self, presented: &str) -> bool {
        self.verbatim == presented || self.matches_loopback_on_any_port(presented)
    }

    /// RFC 8252 section 7.3: a native app binds an ephemeral port on loopback, so
    /// the server MUST allow any port for loopback redirects. Only the port is
    /// free: the rest is compared as text, as the exact rule compares it, so
    /// no parser's normalization (case, dot segments, percent-encoding, IPv6
    /// spelling) can make two different strings match.
    fn matches_loopback_on_any_port(&self, presented: &str) -> bool {
        if self.kind != RedirectKind::Loopback {
            return false;
        }
        match (
            split_loopback_port(&self.verbatim),
            split_loopback_port(presented),
        ) {
            (Some((registered_host, _, registered_rest)), Some((host, port, rest))) => {
                port.is_none_or(is_port_number)
                    && host == registered_host
                    && without_root(rest) == without_root(registered_rest)
                    && !rest.contains('#')
            }
            _ => false,
        }
    }
}

/// Whether `url`'s host is this machine (a loopback address, or
/// `localhost`, which the URL parser has lower-cased).
pub(crate) fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(address)) => address.is_loopback(),
        Some(url::Host::Ipv6(address)) => address.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        None => false,
    }
}

/// `http://HOST[:PORT]REST` as its three parts, by the text alone: the
/// authority ends at the first `/` or `?` (a `#` fails the caller's check on
/// the rest). An authority with user information (`@`) is no loopback
/// redirect. `HOST` keeps an IPv6 literal's brackets.
fn split_loopback_port(uri: &str) -> Option<(&str, Option<&str>, &str)> {
    let after_scheme = uri.strip_prefix("http://")?;
    let authority_end = after_scheme
        .find(['/', '?', '#'])
        .unwrap_or(after_scheme.len());
    let (authority, rest) = after_scheme.split_at(authority_end);
    if authority.contains('@') {
        return None;
    }
    // The port follows the last `:` outside an IPv6 literal's brackets.
    let host_end = authority.rfind(']').map_or(0, |bracket| bracket + 1);
    match authority[host_end..].find(':') {
        Some(colon) => {
            let (host, port) = authority.split_at(host_end + colon);
            Some((host, Some(&port[1..]), rest))
        }
        None => Some((authority, None, rest)),
    }
}

/// The path and query with a leading `/` dropped: for `http`, an empty path
/// is `/` (RFC 3986 section 6.2.3, and every browser), so
/// `http://127.0.0.1:33418` and `http://127.0.0.1:5/` name the same
/// callback. The one equivalence the rule allows beside the port.
fn without_root(path_and_query: &str) -> &str {
    path_and_query.strip_prefix('/').unwrap_or(path_and_query)
}

/// A port as browsers and URL parsers read one alike: 1 to 65535 in decimal
/// digits, no sign, no leading zero, not empty.
fn is_port_number(port: &str) -> bool {
    !port.starts_with('0')
        && (1..=5).contains(&port.len())
        && port.bytes().all(|b| b.is_ascii_digit())
        && port.parse::<u32>().is_ok_and(|port| port <= 65535)
}

/// RFC 8252 section 7.1: a private-use scheme is a reverse domain name the
/// app controls (`com.example.app`). Dotless schemes are names anyone can
/// claim, and many are operating system protocol handlers: only those the
/// operator lists are accepted.
fn check_private_use_scheme(scheme: &str, policy: &RedirectPolicy) -> Result<(), RedirectUriError> {
    if !policy.allow_custom_schemes {
        return Err(RedirectUriError::CustomSchemeNotAllowed);
    }
    if policy.native_schemes.iter().any(|listed| listed == scheme) {
        return Ok(());
    }
    if !scheme.contains('.') {
        return Err(RedirectUriError::SchemeNotAllowed);
    }
    if is_dotted_name(scheme) {
        Ok(())
    } else {
        Err(RedirectUriError::NotReverseDomainName)
    }
}

/// Lower-case DNS labels joined by dots (`com.example.app`, `example.com`):
/// the shape of a reverse-domain scheme and of a host pattern.
pub(crate) fn is_dotted_name(name: &str) -> bool {
    let is_label = |label: &str| {
        !label.is_empty()
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    name.split('.').all(is_label)
}

/// [`redirect_uri_matches`] in prose: the words the admin API's lookup
/// answers with and the docs quote, so an authorization server written in
/// any language applies the same rule. The tests hold each sentence to the
/// function.
pub const REDIRECT_URI_RULE: &str = "The redirect_uri presented at the authorization endpoint must equal one of the client's registered redirect_uris exactly, character for character (RFC 6749 section 3.1.2.3): no case folding, no percent-decoding, no normalization, no prefix, no wildcard, no fragment. One exception, the loopback port rule (RFC 8252 section 7.3): when the registered URI is http on a loopback host (127.0.0.1 or another 127.0.0.0/8 address, [::1], or localhost), a native app listens on a port it picks at run time, so the presented URI may carry any port, or none; its scheme must still be http and its host, path and query identical to the registered URI's, compared as text like the rest (except that an empty path is the same as /), and it may carry no fragment and no user information. https and private-use scheme (com.example.app:/cb) redirect URIs never get this exception.";

/// Whether `presented` matches any of the registered redirect URIs, by
/// [`REDIRECT_URI_RULE`].
pub fn redirect_uri_matches(registered: &[RedirectUri], presented: &str) -> bool {
    registered.iter().any(|uri| uri.matches(presented))
}

#[cfg(test)]
mod tests;
