//! Language-tagged members (`client_name#fr`, RFC 7591 section 2.2).

use std::collections::BTreeMap;

use super::{LOCALIZABLE, Request};
use crate::error::{JsonType, MetadataError, Problem};

impl Request<'_> {
    /// `client_name#fr` and its kin (RFC 7591 section 2.2). Members with a tag on
    /// a field that cannot be localized are unknown metadata, so ignored. The
    /// tag is the client's text: an error names the member only once its tag
    /// is known to be a plain language tag.
    pub(super) fn localized(&self) -> Result<BTreeMap<String, String>, MetadataError> {
        let mut localized = BTreeMap::new();
        for (key, value) in self.members {
            let Some((base, tag)) = key.split_once('#') else {
                continue;
            };
            let Some(base) = LOCALIZABLE.iter().find(|known| **known == base) else {
                continue;
            };
            if !is_language_tag(tag) {
                return Err(MetadataError::at_key(base, Problem::InvalidLanguageTag));
            }
            let max = self.policy.limits.max_list_items;
            if localized.len() >= max {
                return Err(MetadataError::at_key(key, Problem::TooMany { max }));
            }
            let text = match *base {
                "client_name" => self.name(key)?,
                _ => self.url(key)?.map(|url| url.as_str().to_owned()),
            };
            if let Some(text) = text {
                localized.insert(key.clone(), text);
            } else if !value.is_null() && !value.is_string() {
                return Err(MetadataError::at_key(
                    key,
                    Problem::WrongType {
                        expected: JsonType::String,
                    },
                ));
            }
        }
        Ok(localized)
    }
}

/// A BCP 47 language tag in its general shape: alphanumeric subtags of one to
/// eight characters separated by hyphens, the first alphabetic.
fn is_language_tag(tag: &str) -> bool {
    // RFC 5646 section 4.4.1 asks implementations to handle at least 35
    // characters; longer tags are refused rather than echoed.
    if tag.len() > 64 {
        return false;
    }
    let mut subtags = tag.split('-');
    let first_ok = subtags.next().is_some_and(|first| {
        (1..=8).contains(&first.len()) && first.bytes().all(|b| b.is_ascii_alphabetic())
    });
    first_ok
        && subtags.all(|subtag| {
            (1..=8).contains(&subtag.len()) && subtag.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}
