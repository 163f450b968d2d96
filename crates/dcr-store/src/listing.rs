//! Listing clients for operators: filters, and keyset pagination that stays
//! correct while clients are registered and deleted between pages.

use std::fmt;

use dcr_core::{ClientId, RegisteredClient};

/// Which clients to list; every filter that is set must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientFilter {
    /// Case-insensitive substring of `client_name`.
    pub name_contains: Option<String>,
    pub software_id: Option<String>,
    /// Exact host of at least one redirect URI (`claude.ai`, `127.0.0.1`).
    pub redirect_host: Option<String>,
    /// `Some(true)` for enabled clients only, `Some(false)` for disabled.
    pub active: Option<bool>,
}

impl ClientFilter {
    pub(crate) fn matches_redirect_host(&self, client: &RegisteredClient) -> bool {
        let Some(wanted) = &self.redirect_host else {
            return true;
        };
        client.metadata.redirect_uris.iter().any(|uri| {
            url::Url::parse(uri.as_str())
                .ok()
                .and_then(|url| url.host_str().map(|host| host.eq_ignore_ascii_case(wanted)))
                .unwrap_or(false)
        })
    }
}

/// Where the next page starts: after this (created_at, client_id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListCursor {
    pub(crate) created_at: i64,
    pub(crate) client_id: String,
}

impl ListCursor {
    pub(crate) fn after(client: &RegisteredClient) -> Self {
        Self {
            created_at: client.issued_at,
            client_id: client.client_id.to_string(),
        }
    }

    /// Reads the opaque text form handed out with a page.
    pub fn parse(raw: &str) -> Result<Self, InvalidCursor> {
        let (created_at, client_id) = raw.split_once('.').ok_or(InvalidCursor)?;
        let created_at = created_at.parse().map_err(|_| InvalidCursor)?;
        let client_id = ClientId::parse(client_id).map_err(|_| InvalidCursor)?;
        Ok(Self {
            created_at,
            client_id: client_id.to_string(),
        })
    }
}

impl fmt::Display for ListCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.created_at, self.client_id)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a cursor from a previous page")]
pub struct InvalidCursor;

/// One page of clients, oldest first, and where the next one starts (`None`
/// on the last page).
#[derive(Debug)]
pub struct ClientPage {
    pub clients: Vec<RegisteredClient>,
    pub next: Option<ListCursor>,
}

/// `LIKE` pattern matching `text` anywhere, with its wildcards escaped.
pub(crate) fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}
