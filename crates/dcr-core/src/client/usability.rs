//! Whether a client may be used now, asked without a credential: what an
//! authorization endpoint needs before it shows a consent screen. The
//! answer agrees with the credential check (`credential_check`): a client
//! it calls unusable is refused there whatever it presents.

use super::{ClientCredentials, RegisteredClient};

/// Why a client may or may not be used now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usability {
    Usable,
    /// Disabled by an operator: no credential passes until it is enabled.
    Disabled,
    /// A confidential client whose secret has expired: it must get a new
    /// one (rotation) before any token request can pass.
    SecretExpired,
}

impl Usability {
    /// The `reason` the lookup answers with; `None` for a usable client.
    pub fn reason(self) -> Option<&'static str> {
        match self {
            Self::Usable => None,
            Self::Disabled => Some("disabled"),
            Self::SecretExpired => Some("secret_expired"),
        }
    }
}

impl RegisteredClient {
    /// Whether this client may be used at `now`. Disabled wins over an
    /// expired secret: it is the one the operator must undo first.
    pub fn usability(&self, now: i64) -> Usability {
        if !self.active {
            return Usability::Disabled;
        }
        match self.credentials {
            // The same instant as the credential check's `unexpired`.
            ClientCredentials::Confidential {
                secret_expires_at, ..
            } if secret_expires_at != 0 && now >= secret_expires_at => Usability::SecretExpired,
            _ => Usability::Usable,
        }
    }
}
