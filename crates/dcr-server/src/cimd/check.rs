//! Checking a client metadata document as its author would: every rule the
//! verify call applies, in its order, each with its outcome, by the very
//! code verify runs (`UrlClients::parse`, `Fetcher`, `validate_document`).
//! Nothing is cached or recorded: no cache entry, no failing-host mark, no
//! metrics.

use std::time::Duration;

use dcr_core::cimd::{DocumentError, validate_document};

use super::fetch::FetchError;
use super::{LookupError, UrlClient, UrlClients, built_fetcher};
use crate::clock::unix_now;

/// A rule verify applies to a URL client id, in the order it applies them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Enabled,
    Url,
    HostAccepted,
    PublicAddress,
    Fetched,
    Status200,
    Size,
    JsonObject,
    ClientIdMatches,
    NoSecret,
    Metadata,
}

impl Rule {
    pub const ALL: [Self; 11] = [
        Self::Enabled,
        Self::Url,
        Self::HostAccepted,
        Self::PublicAddress,
        Self::Fetched,
        Self::Status200,
        Self::Size,
        Self::JsonObject,
        Self::ClientIdMatches,
        Self::NoSecret,
        Self::Metadata,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Enabled => "enabled",
            Self::Url => "url",
            Self::HostAccepted => "host_accepted",
            Self::PublicAddress => "public_address",
            Self::Fetched => "fetched",
            Self::Status200 => "status_200",
            Self::Size => "size",
            Self::JsonObject => "json_object",
            Self::ClientIdMatches => "client_id_matches",
            Self::NoSecret => "no_secret",
            Self::Metadata => "metadata",
        }
    }

    /// The rule in words.
    pub fn says(self) -> &'static str {
        match self {
            Self::Enabled => "this server accepts URL client ids (DCR_CIMD)",
            Self::Url => {
                "the client_id is an https URL with a path, and no fragment, user information or dot segments"
            }
            Self::HostAccepted => {
                "its host is accepted here (DCR_CIMD_ALLOWED_HOSTS, DCR_CIMD_BLOCKED_HOSTS)"
            }
            Self::PublicAddress => "its host name resolves, to public addresses only",
            Self::Fetched => "the document is fetched within DCR_CIMD_TIMEOUT_MS",
            Self::Status200 => "the server answers 200 itself (redirects are not followed)",
            Self::Size => "the document is at most DCR_CIMD_MAX_BYTES",
            Self::JsonObject => "the document is a JSON object",
            Self::ClientIdMatches => "its client_id is the URL, character for character",
            Self::NoSecret => {
                "it carries no client_secret and asks for no shared-secret auth method"
            }
            Self::Metadata => "its metadata passes the registration policy",
        }
    }
}

/// What became of one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    /// Why it failed.
    Fail(String),
    /// A rule before it failed.
    NotChecked,
}

/// Every rule's outcome, and, when all pass, the client verify would
/// accept and how long its cache would keep the document.
#[derive(Debug)]
pub struct CheckReport {
    pub client_id: String,
    pub rules: Vec<(Rule, Outcome)>,
    pub ttl: Option<Duration>,
    pub client: Option<UrlClient>,
}

impl CheckReport {
    /// Whether a verify would accept the document.
    pub fn accepted(&self) -> bool {
        self.client.is_some()
    }

    fn failed_at(client_id: &str, failed: Rule, why: String) -> Self {
        let mut why = Some(why);
        let mut reached = true;
        let rules = Rule::ALL
            .iter()
            .map(|&rule| {
                let outcome = if rule == failed {
                    reached = false;
                    Outcome::Fail(why.take().unwrap_or_default())
                } else if reached {
                    Outcome::Pass
                } else {
                    Outcome::NotChecked
                };
                (rule, outcome)
            })
            .collect();
        Self {
            client_id: client_id.to_owned(),
            rules,
            ttl: None,
            client: None,
        }
    }
}

impl UrlClients {
    /// Checks the document at `raw` as verify would, without its cache.
    pub async fn check(&self, raw: &str) -> CheckReport {
        let fail = |rule, why: String| CheckReport::failed_at(raw, rule, why);
        // The operator's rules as verify reads the client id.
        let url = match self.parse(raw) {
            Ok(url) => url,
            Err(err) => {
                let rule = match err {
                    LookupError::Off => Rule::Enabled,
                    LookupError::NotAUrl(_) => Rule::Url,
                    // The one other refusal of `parse`: HostRefused.
                    _ => Rule::HostAccepted,
                };
                return fail(rule, err.to_string());
            }
        };
        // A turn as verify takes one: the check cannot be turned into a
        // flood of fetches.
        let Some(_turn) = self.turns.take(url.host(), self.config.timeout).await else {
            return fail(
                Rule::Fetched,
                "too many documents are being fetched; retry shortly".into(),
            );
        };
        let fetched = match built_fetcher(&self.fetcher, &self.config).await {
            Ok(fetcher) => fetcher.fetch(&url).await,
            Err(err) => Err(err),
        };
        let fetched = match fetched {
            Ok(fetched) => fetched,
            Err(err) => {
                let rule = match err {
                    FetchError::Address | FetchError::Unresolved => Rule::PublicAddress,
                    FetchError::Timeout | FetchError::Cut | FetchError::Network => Rule::Fetched,
                    FetchError::Status(_) => Rule::Status200,
                    FetchError::TooLarge => Rule::Size,
                };
                return fail(rule, err.to_string());
            }
        };
        match validate_document(&fetched.body, &url, &self.policy) {
            Ok(metadata) => CheckReport {
                client_id: raw.to_owned(),
                rules: Rule::ALL
                    .iter()
                    .map(|&rule| (rule, Outcome::Pass))
                    .collect(),
                ttl: Some(fetched.ttl),
                client: Some(UrlClient {
                    url,
                    metadata,
                    fetched_at: unix_now(),
                }),
            },
            Err(err) => {
                let rule = match err {
                    DocumentError::NotJson(_) => Rule::JsonObject,
                    DocumentError::ClientIdMismatch => Rule::ClientIdMatches,
                    DocumentError::SharedSecret => Rule::NoSecret,
                    DocumentError::Metadata(_) => Rule::Metadata,
                };
                fail(rule, err.to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_before_a_failure_pass_and_those_after_are_not_checked() {
        let report = CheckReport::failed_at("https://a.example/c", Rule::Status200, "404".into());
        let outcomes: Vec<_> = report.rules.iter().map(|(_, outcome)| outcome).collect();
        let failed = Rule::ALL.iter().position(|rule| *rule == Rule::Status200);
        for (at, outcome) in outcomes.iter().enumerate() {
            let expected = match at.cmp(&failed.unwrap_or_default()) {
                std::cmp::Ordering::Less => Outcome::Pass,
                std::cmp::Ordering::Equal => Outcome::Fail("404".into()),
                std::cmp::Ordering::Greater => Outcome::NotChecked,
            };
            assert_eq!(**outcome, expected, "rule {at}");
        }
        assert!(!report.accepted());
    }

    #[test]
    fn every_rule_has_its_own_name() {
        let names: std::collections::HashSet<_> =
            Rule::ALL.iter().map(|rule| rule.name()).collect();
        assert_eq!(names.len(), Rule::ALL.len());
    }
}
