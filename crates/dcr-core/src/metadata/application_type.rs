//! `application_type` (OpenID Connect Dynamic Client Registration 1.0
//! section 2), which the newest MCP authorization drafts ask clients to send.

use crate::error::Problem;
use crate::redirect_uri::{RedirectKind, RedirectUri};

/// `application_type` from OpenID Connect Dynamic Client Registration 1.0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplicationType {
    Web,
    Native,
}

impl ApplicationType {
    pub fn parse(raw: &str) -> Result<Self, Problem> {
        match raw {
            "web" => Ok(Self::Web),
            "native" => Ok(Self::Native),
            _ => Err(Problem::UnknownValue),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Web => "web",
            Self::Native => "native",
        }
    }

    /// A client that redirects only to loopback or private-use URIs runs on the
    /// user's device: it is native.
    pub(super) fn infer(redirect_uris: &[RedirectUri]) -> Self {
        let on_device = |uri: &RedirectUri| {
            matches!(
                uri.kind(),
                RedirectKind::Loopback | RedirectKind::PrivateUse
            )
        };
        if !redirect_uris.is_empty() && redirect_uris.iter().all(on_device) {
            Self::Native
        } else {
            Self::Web
        }
    }
}
