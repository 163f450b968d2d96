//! The audit trail's vocabulary: what happened to a client or an initial
//! access token, and who did it. The store writes an event in the
//! transaction of each change; operators read them per client.

use std::fmt;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    Registered,
    Updated,
    Deleted,
    Disabled,
    Enabled,
    SecretRotated,
    /// Deleted by the lifetime rules (`DCR_UNUSED_CLIENT_TTL_SECS`,
    /// `DCR_IDLE_CLIENT_TTL_SECS`).
    Purged,
    TokenCreated,
    TokenRevoked,
    /// Copied in by `dcr-server import`.
    Imported,
}

impl EventKind {
    pub const ALL: [Self; 10] = [
        Self::Registered,
        Self::Updated,
        Self::Deleted,
        Self::Disabled,
        Self::Enabled,
        Self::SecretRotated,
        Self::Purged,
        Self::TokenCreated,
        Self::TokenRevoked,
        Self::Imported,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Registered => "registered",
            Self::Updated => "updated",
            Self::Deleted => "deleted",
            Self::Disabled => "disabled",
            Self::Enabled => "enabled",
            Self::SecretRotated => "secret_rotated",
            Self::Purged => "purged",
            Self::TokenCreated => "token_created",
            Self::TokenRevoked => "token_revoked",
            Self::Imported => "imported",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// An operator, through the admin API or the CLI.
    Admin,
    /// The lifetime rules, run by the purge task or `clients prune`.
    Purge,
    /// A client on the public listener (registration, RFC 7592), by the
    /// client address the rate limits saw; `None` when unknown.
    Client(Option<String>),
}

impl Actor {
    /// The stored and shown form: `admin`, `purge`, or the address
    /// (`unknown` when there was none).
    pub fn to_stored(&self) -> String {
        match self {
            Self::Admin => "admin".to_owned(),
            Self::Purge => "purge".to_owned(),
            Self::Client(Some(address)) => address.clone(),
            Self::Client(None) => "unknown".to_owned(),
        }
    }

    pub fn from_stored(raw: &str) -> Self {
        match raw {
            "admin" => Self::Admin,
            "purge" => Self::Purge,
            "unknown" => Self::Client(None),
            address => Self::Client(Some(address.to_owned())),
        }
    }
}

/// Who made a change, and when (Unix seconds): what the store records with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occasion {
    pub actor: Actor,
    pub at: i64,
}

impl Occasion {
    pub fn admin(at: i64) -> Self {
        Self {
            actor: Actor::Admin,
            at,
        }
    }

    pub fn client(address: Option<String>, at: i64) -> Self {
        Self {
            actor: Actor::Client(address),
            at,
        }
    }
}

/// One recorded change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Increases with every event: the order in which they were recorded.
    pub id: i64,
    pub kind: EventKind,
    pub at: i64,
    pub actor: Actor,
    pub client_id: Option<String>,
    pub token_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(EventKind::parse("Registered"), None);
    }

    #[test]
    fn actors_round_trip() {
        for actor in [
            Actor::Admin,
            Actor::Purge,
            Actor::Client(None),
            Actor::Client(Some("203.0.113.7".into())),
            Actor::Client(Some("2001:db8::".into())),
        ] {
            assert_eq!(Actor::from_stored(&actor.to_stored()), actor);
        }
    }
}
