//! Reading members of a body by their JSON type: strings, arrays of strings,
//! and text a person reads (checked and, for names, normalised; see `text`).

use serde_json::Value;

use super::{Origin, Request};
use crate::error::{JsonType, MetadataError, Problem, pointer_to_item};
use crate::text;

impl Request<'_> {
    /// A string member: absent, `null` and `""` all mean "not given".
    pub(super) fn string(&self, key: &str) -> Result<Option<&str>, MetadataError> {
        match self.members.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => {
                self.check_stored(text)
                    .map_err(|problem| MetadataError::at_key(key, problem))?;
                Ok(Some(text.as_str()).filter(|text| !text.is_empty()))
            }
            Some(_) => Err(MetadataError::at_key(
                key,
                Problem::WrongType {
                    expected: JsonType::String,
                },
            )),
        }
    }

    /// An array-of-strings member, each string checked; `None` when absent.
    pub(super) fn optional_string_array(
        &self,
        key: &str,
        max_items: usize,
    ) -> Result<Option<Vec<&str>>, MetadataError> {
        let items = match self.members.get(key) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Array(items)) => items,
            Some(_) => {
                return Err(MetadataError::at_key(
                    key,
                    Problem::WrongType {
                        expected: JsonType::ArrayOfStrings,
                    },
                ));
            }
        };
        if items.len() > max_items {
            return Err(MetadataError::at_key(
                key,
                Problem::TooMany { max: max_items },
            ));
        }
        let mut texts = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let Value::String(text) = item else {
                return Err(MetadataError::new(
                    pointer_to_item(key, index),
                    Problem::WrongType {
                        expected: JsonType::String,
                    },
                ));
            };
            self.check_stored(text)
                .map_err(|problem| MetadataError::new(pointer_to_item(key, index), problem))?;
            if text.is_empty() {
                return Err(MetadataError::new(
                    pointer_to_item(key, index),
                    Problem::Empty,
                ));
            }
            texts.push(text.as_str());
        }
        Ok(Some(texts))
    }

    pub(super) fn string_array(
        &self,
        key: &str,
        max_items: usize,
    ) -> Result<Vec<&str>, MetadataError> {
        Ok(self
            .optional_string_array(key, max_items)?
            .unwrap_or_default())
    }

    /// Bounded and free of control characters, for a string from a request.
    pub(super) fn check_stored(&self, text: &str) -> Result<(), Problem> {
        match self.origin {
            Origin::Request => text::check_stored(text, self.policy.limits.max_string_length),
            Origin::Stored => Ok(()),
        }
    }

    /// Text a person reads (see `text`).
    pub(super) fn readable(&self, key: &str) -> Result<Option<String>, MetadataError> {
        let Some(text) = self.string(key)? else {
            return Ok(None);
        };
        if self.origin == Origin::Request {
            text::check_readable(text).map_err(|problem| MetadataError::at_key(key, problem))?;
        }
        Ok(Some(text.to_owned()))
    }

    /// A name a person reads, stored in NFC.
    pub(super) fn name(&self, key: &str) -> Result<Option<String>, MetadataError> {
        let Some(name) = self.readable(key)? else {
            return Ok(None);
        };
        match self.origin {
            Origin::Request => text::normalize_name(&name, self.policy.limits.max_string_length)
                .map(Some)
                .map_err(|problem| MetadataError::at_key(key, problem)),
            Origin::Stored => Ok(Some(name)),
        }
    }

    pub(super) fn readable_array(
        &self,
        key: &str,
        max_items: usize,
    ) -> Result<Vec<String>, MetadataError> {
        let texts = self.string_array(key, max_items)?;
        if self.origin == Origin::Request {
            for (index, text) in texts.iter().enumerate() {
                text::check_readable(text)
                    .map_err(|problem| MetadataError::new(pointer_to_item(key, index), problem))?;
            }
        }
        Ok(texts.into_iter().map(str::to_owned).collect())
    }
}
