//! Where a client came from: the address and `User-Agent` of its
//! registration, and how it was created. Operators read it to tell a
//! connector from a script and a flood from a user; it is shown, never
//! trusted (an address is what the rate limits saw; a user agent is what the
//! client chose to say).

use std::fmt;

use crate::initial_access::TokenId;

/// Characters kept of a `User-Agent`: enough for every real client's.
pub const MAX_USER_AGENT_CHARS: usize = 200;

/// How a client was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RegisteredVia {
    /// Open registration (`POST /register`), or a row from before this was
    /// recorded.
    #[default]
    Open,
    /// Open or token registration with an initial access token (RFC 7591
    /// section 3); the token's id is in [`Provenance::token_id`].
    Token,
    /// By an operator.
    Admin,
    /// Copied from the endpoint dcr replaced (`dcr-server import`).
    Imported,
}

impl RegisteredVia {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Token => "token",
            Self::Admin => "admin",
            Self::Imported => "imported",
        }
    }

    /// The stored form; `None` for anything else.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "open" => Some(Self::Open),
            "token" => Some(Self::Token),
            "admin" => Some(Self::Admin),
            "imported" => Some(Self::Imported),
            _ => None,
        }
    }
}

impl fmt::Display for RegisteredVia {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Provenance {
    /// The client address the registration came from, when known.
    pub address: Option<String>,
    /// Its `User-Agent`, made safe to show (see [`Provenance::user_agent`]).
    pub user_agent: Option<String>,
    pub via: RegisteredVia,
    /// The initial access token that authorized the registration.
    pub token_id: Option<TokenId>,
    /// The issuer (`iss`) of the software statement the registration
    /// carried, when one verified (RFC 7591 section 2.3).
    pub software_statement_issuer: Option<String>,
}

impl Provenance {
    /// The provenance of a `POST /register`: with an initial access token
    /// it is the token's (by its id), else an open registration.
    /// `user_agent` is the raw header ([`Provenance::user_agent`]).
    pub fn of_registration(
        address: Option<String>,
        user_agent: Option<&[u8]>,
        token_id: Option<TokenId>,
    ) -> Self {
        Self {
            address,
            user_agent: user_agent.and_then(Self::user_agent),
            via: if token_id.is_some() {
                RegisteredVia::Token
            } else {
                RegisteredVia::Open
            },
            token_id,
            software_statement_issuer: None,
        }
    }

    /// A `User-Agent` header as it may be stored and shown: printable ASCII
    /// only (anything else becomes `?`, so a log viewer or dashboard shows
    /// exactly what was sent and nothing can reorder or hide it), at most
    /// [`MAX_USER_AGENT_CHARS`] characters. `None` when empty.
    pub fn user_agent(raw: &[u8]) -> Option<String> {
        let shown: String = raw
            .iter()
            .take(MAX_USER_AGENT_CHARS)
            .map(|&b| {
                if (0x20..=0x7e).contains(&b) {
                    char::from(b)
                } else {
                    '?'
                }
            })
            .collect();
        let shown = shown.trim().to_owned();
        (!shown.is_empty()).then_some(shown)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_are_kept_printable_and_short() {
        let cases: [(&[u8], Option<&str>); 6] = [
            (b"claude-code/2.0.1", Some("claude-code/2.0.1")),
            (b"  node  ", Some("node")),
            (b"", None),
            (b"evil\r\nX-Injected: 1", Some("evil??X-Injected: 1")),
            ("caf\u{e9} \u{202e}x".as_bytes(), Some("caf?? ???x")),
            (b"\x00\x1b[31m", Some("??[31m")),
        ];
        for (raw, expected) in cases {
            assert_eq!(Provenance::user_agent(raw).as_deref(), expected, "{raw:?}");
        }
        let long = vec![b'a'; 1000];
        assert_eq!(
            Provenance::user_agent(&long).unwrap().len(),
            MAX_USER_AGENT_CHARS
        );
    }

    #[test]
    fn a_registration_is_open_unless_a_token_authorized_it() {
        let token = Some(TokenId::parse("iat_0123456789abcdef01234567").unwrap());
        let cases = [
            (None, RegisteredVia::Open),
            (token.clone(), RegisteredVia::Token),
        ];
        for (token_id, via) in cases {
            let provenance = Provenance::of_registration(
                Some("192.0.2.7".into()),
                Some(b"node\r\n"),
                token_id.clone(),
            );
            assert_eq!(provenance.via, via);
            assert_eq!(provenance.token_id, token_id);
            assert_eq!(provenance.user_agent.as_deref(), Some("node??"));
            assert_eq!(provenance.address.as_deref(), Some("192.0.2.7"));
        }
        assert_eq!(
            Provenance::of_registration(None, None, None),
            Provenance::default()
        );
    }

    #[test]
    fn ways_of_registering_round_trip() {
        for via in [
            RegisteredVia::Open,
            RegisteredVia::Token,
            RegisteredVia::Admin,
            RegisteredVia::Imported,
        ] {
            assert_eq!(RegisteredVia::parse(via.as_str()), Some(via));
        }
        assert_eq!(RegisteredVia::parse("Open"), None);
        assert_eq!(RegisteredVia::default(), RegisteredVia::Open);
    }
}
