//! One reading of a JSON request body. RFC 8259 section 4 leaves duplicate
//! member names to each parser: most keep the last copy, some the first, some
//! refuse. A gateway or WAF that checks the first `redirect_uris` while dcr
//! registers the last would disagree about what was registered, so a body
//! that names a member twice, at any depth, is refused; so is a member name
//! with a control character, which no metadata has and a log viewer shows
//! badly.
//!
//! The reading is serde_json's (nesting limited to 128 levels, numbers and
//! escapes as RFC 8259 says), into the same `Value`, checked as it is built:
//! one pass, no second parser that could disagree with the first. Members the
//! server ignores (RFC 7591 section 2) are read through and checked, but not
//! kept: their values cost no allocation, so a body padded with them costs
//! little more than its bytes.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::error::{MetadataError, Problem, pointer_to};
use crate::metadata::{KNOWN_MEMBERS, LOCALIZABLE};

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// Not JSON: where parsing stopped, without echoing any input.
    #[error("{0}")]
    Syntax(String),
    /// JSON, but not one every parser reads alike.
    #[error(transparent)]
    Refused(#[from] MetadataError),
}

/// Parses a request body. Errors never echo the body: a member name appears
/// in one only when it is a member this server knows. Top-level members the
/// server does not know are left out of the value.
pub fn parse(bytes: &[u8]) -> Result<Value, BodyError> {
    parse_within(bytes, Within::Body)
}

/// [`parse`] for a body that is not registration metadata (the admin API's):
/// every member is kept, for the caller to judge, and an error names no
/// member at all.
pub fn parse_whole(bytes: &[u8]) -> Result<Value, BodyError> {
    parse_within(bytes, Within::Nested)
}

fn parse_within(bytes: &[u8], within: Within) -> Result<Value, BodyError> {
    let finding = RefCell::new(None);
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let parsed = StrictValue {
        finding: &finding,
        within,
    }
    .deserialize(&mut deserializer)
    .and_then(|value| deserializer.end().map(|()| value));
    match (parsed, finding.into_inner()) {
        (Ok(value), _) => Ok(value),
        (Err(_), Some(refused)) => Err(BodyError::Refused(refused)),
        (Err(err), None) => Err(BodyError::Syntax(syntax_position(&err))),
    }
}

/// Where parsing stopped, without echoing any of the input.
fn syntax_position(err: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match err.classify() {
        Category::Eof => "it ends early",
        Category::Syntax => "syntax error",
        Category::Data => "unexpected data",
        Category::Io => "unreadable",
    };
    format!("{what} at line {} column {}", err.line(), err.column())
}

/// Which part of the body a value sits in, for an error that may name it.
#[derive(Debug, Clone, Copy)]
enum Within {
    /// The top-level value.
    Body,
    /// Inside a member this server knows, such as `jwks`.
    Known(&'static str),
    /// Inside a top-level value that is not an object (a body that will be
    /// refused as such), or anywhere in a body read whole
    /// ([`parse_whole`]): kept, and never named in an error.
    Nested,
    /// Inside a member this server ignores: its name is the client's, and
    /// its value is checked but not kept.
    Unknown,
}

impl Within {
    fn pointer(self) -> String {
        match self {
            Self::Known(name) => pointer_to(name),
            Self::Body | Self::Nested | Self::Unknown => String::new(),
        }
    }

    /// Where a member named `name` of an object in this place sits. A
    /// language-tagged member (`client_name#fr`) is its base member's.
    fn member(self, name: &str) -> Self {
        let base = name.split_once('#').map_or(name, |(base, _)| base);
        match self {
            Self::Body => KNOWN_MEMBERS
                .iter()
                .find(|known| **known == name)
                .or_else(|| LOCALIZABLE.iter().find(|known| **known == base))
                .map_or(Self::Unknown, |known| Self::Known(known)),
            other => other,
        }
    }
}

/// A `Value`, refused on a duplicate or control-character member name.
struct StrictValue<'a> {
    finding: &'a RefCell<Option<MetadataError>>,
    within: Within,
}

impl StrictValue<'_> {
    fn refuse<E: de::Error>(&self, pointer: String, problem: Problem) -> E {
        *self.finding.borrow_mut() = Some(MetadataError::new(pointer, problem));
        E::custom("refused")
    }
}

impl<'de> DeserializeSeed<'de> for StrictValue<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(match self.within {
            Within::Unknown => Value::Null,
            _ => Value::String(value.to_owned()),
        })
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(match self.within {
            Within::Unknown => Value::Null,
            _ => Value::String(value),
        })
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Value, A::Error> {
        let keep = !matches!(self.within, Within::Unknown);
        let within = match self.within {
            Within::Body => Within::Nested,
            other => other,
        };
        let mut values = Vec::new();
        while let Some(value) = items.next_element_seed(StrictValue {
            finding: self.finding,
            within,
        })? {
            if keep {
                values.push(value);
            }
        }
        Ok(if keep {
            Value::Array(values)
        } else {
            Value::Null
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        // Names of the members not kept, for duplicates among them.
        let mut passed_over: HashSet<Cow<'de, str>> = HashSet::new();
        while let Some(name) = members.next_key_seed(MemberName)? {
            let within = self.within.member(&name);
            if name.chars().any(char::is_control) {
                return Err(self.refuse(self.within.pointer(), Problem::MemberNameCharacter));
            }
            let value = members.next_value_seed(StrictValue {
                finding: self.finding,
                within,
            })?;
            let repeated = match within {
                Within::Unknown => !passed_over.insert(name),
                _ => object.insert(name.into_owned(), value).is_some(),
            };
            if repeated {
                // At the top level a known name is ours to show; inside a
                // known member, that member is; anything else is the body.
                let pointer = match self.within {
                    Within::Body => within.pointer(),
                    other => other.pointer(),
                };
                return Err(self.refuse(pointer, Problem::DuplicateMember));
            }
        }
        Ok(match self.within {
            Within::Unknown => Value::Null,
            _ => Value::Object(object),
        })
    }
}

/// A member name, borrowed from the body when it has no escapes.
struct MemberName;

impl<'de> DeserializeSeed<'de> for MemberName {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for MemberName {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_borrowed_str<E>(self, name: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(name))
    }

    fn visit_str<E>(self, name: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(name.to_owned()))
    }

    fn visit_string<E>(self, name: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(name))
    }
}

#[cfg(test)]
mod tests;
