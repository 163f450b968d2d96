//! `jwks`: the client's JSON Web Key Set, registered by value (RFC 7591
//! section 2, RFC 7517 section 5). It holds public keys only (OpenID Connect
//! Dynamic Client Registration section 2): a private or symmetric key sent
//! here would be stored and shown to whoever reads the registration.

use serde_json::{Map, Value};

use crate::error::{JsonType, MetadataError, Problem};

/// Members of a JSON Web Key that only a private or symmetric key has (RFC
/// 7518 sections 6.2.2, 6.3.2 and 6.4.1; RFC 8037 section 2).
const PRIVATE_KEY_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

const KEYS_POINTER: &str = "/jwks/keys";

/// A key set from a request: an object with a non-empty `keys` array of at
/// most `max_keys` public keys, each with its `kty`.
pub(crate) fn check(value: &Value, max_keys: usize) -> Result<Map<String, Value>, MetadataError> {
    let (set, keys) = key_set(value)?;
    if keys.is_empty() {
        return Err(MetadataError::new(KEYS_POINTER, Problem::Empty));
    }
    if keys.len() > max_keys {
        return Err(MetadataError::new(
            KEYS_POINTER,
            Problem::TooMany { max: max_keys },
        ));
    }
    for (index, key) in keys.iter().enumerate() {
        check_key(key)
            .map_err(|problem| MetadataError::new(format!("{KEYS_POINTER}/{index}"), problem))?;
    }
    Ok(set.clone())
}

/// A stored key set with only what a public key may hold: keys registered
/// before private and symmetric keys were refused lose their private members
/// here, so they are never shown.
pub(crate) fn public_keys_only(value: &Value) -> Result<Map<String, Value>, MetadataError> {
    let (set, keys) = key_set(value)?;
    let public: Vec<Value> = keys
        .iter()
        .filter(|key| key.get("kty").and_then(Value::as_str) != Some("oct"))
        .map(|key| match key {
            Value::Object(members) => Value::Object(
                members
                    .iter()
                    .filter(|(name, _)| !PRIVATE_KEY_MEMBERS.contains(&name.as_str()))
                    .map(|(name, value)| (name.clone(), value.clone()))
                    .collect(),
            ),
            other => other.clone(),
        })
        .collect();
    let mut set = set.clone();
    set.insert("keys".into(), Value::Array(public));
    Ok(set)
}

fn key_set(value: &Value) -> Result<(&Map<String, Value>, &[Value]), MetadataError> {
    let Value::Object(set) = value else {
        return Err(MetadataError::at_key(
            "jwks",
            Problem::WrongType {
                expected: JsonType::Object,
            },
        ));
    };
    match set.get("keys") {
        Some(Value::Array(keys)) => Ok((set, keys)),
        _ => Err(MetadataError::at_key("jwks", Problem::JwksWithoutKeys)),
    }
}

fn check_key(key: &Value) -> Result<(), Problem> {
    let Value::Object(members) = key else {
        return Err(Problem::WrongType {
            expected: JsonType::Object,
        });
    };
    match members.get("kty") {
        Some(Value::String(kty)) if kty == "oct" => return Err(Problem::SymmetricKey),
        Some(Value::String(kty)) if !kty.is_empty() => {}
        _ => return Err(Problem::KeyTypeMissing),
    }
    if members.contains_key("k") {
        return Err(Problem::SymmetricKey);
    }
    if PRIVATE_KEY_MEMBERS
        .iter()
        .any(|private| members.contains_key(*private))
    {
        return Err(Problem::PrivateKeyMaterial);
    }
    Ok(())
}
