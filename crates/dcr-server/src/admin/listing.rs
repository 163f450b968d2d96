//! The rules of listing clients, shared by the admin API
//! (`GET /admin/clients`) and the CLI (`dcr-server clients list`): page
//! sizes, the status filter, and cursors.

use dcr_store::{ClientFilter, ListCursor};

/// Clients on a page when the caller names no limit.
pub const DEFAULT_PAGE: usize = 100;
/// The most clients on one page.
pub const MAX_PAGE: usize = 1000;

/// Which clients by state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Status {
    #[default]
    All,
    Active,
    Disabled,
}

impl Status {
    /// `all`, `active` or `disabled`, as the admin API's query names them.
    pub fn parse(raw: &str) -> Result<Self, ListingError> {
        match raw {
            "all" => Ok(Self::All),
            "active" => Ok(Self::Active),
            "disabled" => Ok(Self::Disabled),
            _ => Err(ListingError::Status),
        }
    }

    fn active(self) -> Option<bool> {
        match self {
            Self::All => None,
            Self::Active => Some(true),
            Self::Disabled => Some(false),
        }
    }
}

/// What the caller asked for, before it is checked.
#[derive(Debug, Default)]
pub struct ListQuery {
    pub name: Option<String>,
    pub software_id: Option<String>,
    pub redirect_host: Option<String>,
    pub status: Status,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

/// A checked listing: what to ask the store.
#[derive(Debug)]
pub struct ListRequest {
    pub filter: ClientFilter,
    pub limit: usize,
    pub cursor: Option<ListCursor>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub enum ListingError {
    Limit,
    Cursor,
    Status,
    /// A text filter holds a control character (the filter's name).
    ControlCharacter(Filter),
}

/// The text filters of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    Name,
    SoftwareId,
    RedirectHost,
}

impl ListingError {
    pub fn message(self) -> &'static str {
        match self {
            Self::Limit => "limit must be from 1 to 1000",
            Self::Cursor => "cursor is not one this server handed out",
            Self::Status => "status must be active, disabled or all",
            Self::ControlCharacter(Filter::Name) => "name must not contain control characters",
            Self::ControlCharacter(Filter::SoftwareId) => {
                "software_id must not contain control characters"
            }
            Self::ControlCharacter(Filter::RedirectHost) => {
                "redirect_host must not contain control characters"
            }
        }
    }
}

/// The store's own words for a cursor it did not hand out (the CLI's
/// `--cursor` refusal).
pub fn cursor_not_ours() -> String {
    dcr_store::InvalidCursor.to_string()
}

impl ListQuery {
    pub fn check(self) -> Result<ListRequest, ListingError> {
        // No stored value holds a control character (names and software ids
        // refuse them, hosts are ASCII), and Postgres refuses NUL in text:
        // a filter with one is the caller's mistake, a 400, never a 500.
        for (filter, value) in [
            (Filter::Name, &self.name),
            (Filter::SoftwareId, &self.software_id),
            (Filter::RedirectHost, &self.redirect_host),
        ] {
            if value
                .as_deref()
                .is_some_and(|value| value.chars().any(char::is_control))
            {
                return Err(ListingError::ControlCharacter(filter));
            }
        }
        let limit = self.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(ListingError::Limit);
        }
        let cursor = self
            .cursor
            .as_deref()
            .map(ListCursor::parse)
            .transpose()
            .map_err(|_| ListingError::Cursor)?;
        Ok(ListRequest {
            filter: ClientFilter {
                name_contains: self.name,
                software_id: self.software_id,
                redirect_host: self.redirect_host,
                active: self.status.active(),
            },
            limit,
            cursor,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn limits_cursors_and_statuses_are_checked() {
        let with = |limit: Option<usize>, cursor: Option<&str>| ListQuery {
            limit,
            cursor: cursor.map(str::to_owned),
            ..ListQuery::default()
        };
        assert_eq!(with(None, None).check().unwrap().limit, DEFAULT_PAGE);
        assert_eq!(with(Some(1), None).check().unwrap().limit, 1);
        assert_eq!(with(Some(MAX_PAGE), None).check().unwrap().limit, MAX_PAGE);
        assert_eq!(
            with(Some(0), None).check().unwrap_err(),
            ListingError::Limit
        );
        assert_eq!(
            with(Some(MAX_PAGE + 1), None).check().unwrap_err(),
            ListingError::Limit
        );
        assert_eq!(
            with(None, Some("garbage")).check().unwrap_err(),
            ListingError::Cursor
        );
        for (raw, status, active) in [
            ("all", Status::All, None),
            ("active", Status::Active, Some(true)),
            ("disabled", Status::Disabled, Some(false)),
        ] {
            assert_eq!(Status::parse(raw), Ok(status));
            let request = ListQuery {
                status,
                ..ListQuery::default()
            }
            .check()
            .unwrap();
            assert_eq!(request.filter.active, active);
        }
        assert_eq!(Status::parse("Active"), Err(ListingError::Status));
    }

    #[test]
    fn text_filters_refuse_control_characters() {
        for bad in ["\0", "a\u{1b}[31m", "\u{7f}", "x\u{85}", "\n"] {
            let name = ListQuery {
                name: Some(bad.to_owned()),
                ..ListQuery::default()
            };
            assert_eq!(
                name.check().unwrap_err(),
                ListingError::ControlCharacter(Filter::Name)
            );
            let software_id = ListQuery {
                software_id: Some(bad.to_owned()),
                ..ListQuery::default()
            };
            assert_eq!(
                software_id.check().unwrap_err(),
                ListingError::ControlCharacter(Filter::SoftwareId)
            );
            let redirect_host = ListQuery {
                redirect_host: Some(bad.to_owned()),
                ..ListQuery::default()
            };
            assert_eq!(
                redirect_host.check().unwrap_err(),
                ListingError::ControlCharacter(Filter::RedirectHost)
            );
        }
        let fine = ListQuery {
            name: Some("Claude \u{e9}\u{202e}".to_owned()),
            software_id: Some("com.example/app".to_owned()),
            redirect_host: Some("claude.ai".to_owned()),
            ..ListQuery::default()
        };
        assert!(fine.check().is_ok());
    }
}
