//! The issuers whose software statements this server trusts, and their
//! public keys (`DCR_SOFTWARE_STATEMENT_ISSUERS`). Read once at start-up:
//! keys come from the operator's file only, never from the network (no
//! `jku`, `x5u` or `jwks_uri` is ever fetched).
//!
//! The file is a JSON object mapping each issuer (the statements' `iss`) to
//! its JSON Web Key Set, given inline (`{"keys": [...]}`) or as the path of a
//! file holding it. Reading those files is the caller's: this module does no
//! I/O.

use std::collections::{BTreeMap, HashSet};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Map, Value};

/// Issuers one file may name.
pub const MAX_ISSUERS: usize = 1000;
/// Keys one issuer may have; a statement without `kid` is tried against
/// each key that fits its algorithm, so this also bounds that work.
pub const MAX_KEYS_PER_ISSUER: usize = 16;
/// RSA moduli from 2048 to 8192 bits.
const RSA_MODULUS_BYTES: std::ops::RangeInclusive<usize> = 256..=1024;
/// Members of a JSON Web Key that only a private or symmetric key has.
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// Why the issuers file is refused, for the start-up message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct IssuersError(pub String);

/// One verification key of a trusted issuer.
#[derive(Clone)]
pub(super) struct TrustedKey {
    pub(super) kid: Option<String>,
    /// The algorithms this key verifies: its `alg` when the JWK names one,
    /// else every accepted algorithm of its type.
    pub(super) algorithms: &'static [Algorithm],
    pub(super) key: DecodingKey,
}

impl std::fmt::Debug for TrustedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustedKey")
            .field("kid", &self.kid)
            .field("algorithms", &self.algorithms)
            .finish_non_exhaustive()
    }
}

/// The trusted issuers, each with its keys.
#[derive(Debug, Clone, Default)]
pub struct TrustedIssuers {
    issuers: BTreeMap<String, Vec<TrustedKey>>,
}

impl TrustedIssuers {
    /// Reads an issuers file. `load` reads the key set file an issuer names
    /// by path (the caller resolves and reads it; `Err` says why not).
    pub fn from_json(
        file: &Value,
        load: &mut dyn FnMut(&str) -> Result<Value, String>,
    ) -> Result<Self, IssuersError> {
        let Value::Object(entries) = file else {
            return Err(IssuersError(
                "must be a JSON object mapping each issuer to its JSON Web Key Set".into(),
            ));
        };
        if entries.is_empty() {
            return Err(IssuersError("names no issuer".into()));
        }
        if entries.len() > MAX_ISSUERS {
            return Err(IssuersError(format!(
                "names more than {MAX_ISSUERS} issuers"
            )));
        }
        let mut issuers = BTreeMap::new();
        for (issuer, entry) in entries {
            if issuer.is_empty() || issuer.chars().any(char::is_control) {
                return Err(IssuersError(
                    "has an issuer name that is empty or has a control character".into(),
                ));
            }
            let at = |problem: String| IssuersError(format!("issuer {issuer:?}: {problem}"));
            let jwks = match entry {
                Value::String(path) => {
                    load(path).map_err(|err| at(format!("key set file {path:?}: {err}")))?
                }
                Value::Object(_) => entry.clone(),
                _ => {
                    return Err(at(
                        "must map to a JSON Web Key Set ({\"keys\": [...]}) or the path of a file holding one"
                            .into(),
                    ));
                }
            };
            issuers.insert(issuer.clone(), key_set(&jwks).map_err(at)?);
        }
        Ok(Self { issuers })
    }

    /// The keys of `issuer`, or `None` when it is not trusted.
    pub(super) fn keys(&self, issuer: &str) -> Option<&[TrustedKey]> {
        self.issuers.get(issuer).map(Vec::as_slice)
    }

    /// Whether `issuer` is trusted (an initial access token may only
    /// require a trusted issuer).
    pub fn trusts(&self, issuer: &str) -> bool {
        self.issuers.contains_key(issuer)
    }

    pub fn len(&self) -> usize {
        self.issuers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.issuers.is_empty()
    }
}

fn key_set(jwks: &Value) -> Result<Vec<TrustedKey>, String> {
    let keys = match jwks.get("keys") {
        Some(Value::Array(keys)) => keys,
        _ => return Err("must be a JSON Web Key Set: an object with a keys array".into()),
    };
    if keys.is_empty() {
        return Err("has no keys".into());
    }
    if keys.len() > MAX_KEYS_PER_ISSUER {
        return Err(format!("has more than {MAX_KEYS_PER_ISSUER} keys"));
    }
    let mut kids = HashSet::new();
    keys.iter()
        .enumerate()
        .map(|(index, key)| {
            let key = trusted_key(key).map_err(|problem| format!("key {index} {problem}"))?;
            if let Some(kid) = &key.kid
                && !kids.insert(kid.clone())
            {
                return Err(format!("key {index} has the kid of an earlier key"));
            }
            Ok(key)
        })
        .collect()
}

fn trusted_key(value: &Value) -> Result<TrustedKey, String> {
    let Value::Object(jwk) = value else {
        return Err("must be a JSON object".into());
    };
    if PRIVATE_MEMBERS
        .iter()
        .any(|member| jwk.contains_key(*member))
    {
        return Err(
            "must be a public key: remove d, p, q, dp, dq, qi, oth and k (HMAC and private keys are never accepted)"
                .into(),
        );
    }
    match jwk.get("use") {
        None => {}
        Some(Value::String(usage)) if usage == "sig" => {}
        Some(_) => return Err("must have use sig, when it has a use".into()),
    }
    let kid = match jwk.get("kid") {
        None => None,
        Some(Value::String(kid)) if !kid.is_empty() => Some(kid.clone()),
        Some(_) => return Err("must have a non-empty kid string, when it has a kid".into()),
    };
    let (fitting, key): (&'static [Algorithm], DecodingKey) =
        match (text(jwk, "kty")?, text(jwk, "crv")?) {
            (Some("RSA"), _) => {
                let n = bytes(jwk, "n")?;
                if !RSA_MODULUS_BYTES.contains(&n.len()) {
                    return Err("must have an RSA modulus of 2048 to 8192 bits".into());
                }
                let e = bytes(jwk, "e")?;
                (
                    &[Algorithm::RS256, Algorithm::PS256],
                    DecodingKey::from_rsa_raw_components(&n, &e),
                )
            }
            (Some("EC"), Some("P-256")) => {
                coordinate(jwk, "x")?;
                coordinate(jwk, "y")?;
                let key = DecodingKey::from_ec_components(
                    text(jwk, "x")?.unwrap_or_default(),
                    text(jwk, "y")?.unwrap_or_default(),
                )
                .map_err(|_| "must have a valid P-256 point".to_owned())?;
                (&[Algorithm::ES256], key)
            }
            (Some("OKP"), Some("Ed25519")) => {
                coordinate(jwk, "x")?;
                let key = DecodingKey::from_ed_components(text(jwk, "x")?.unwrap_or_default())
                    .map_err(|_| "must have a valid Ed25519 key".to_owned())?;
                (&[Algorithm::EdDSA], key)
            }
            (Some("oct"), _) => {
                return Err("is a symmetric key: HMAC is never accepted".into());
            }
            _ => {
                return Err(
                    "must be an RSA key, an EC key on P-256 or an OKP key on Ed25519".into(),
                );
            }
        };
    let algorithms = match text(jwk, "alg")? {
        None => fitting,
        Some(alg) => {
            let position = fitting
                .iter()
                .position(|candidate| algorithm_name(*candidate) == alg)
                .ok_or_else(|| {
                    "has an alg that is not RS256, PS256, ES256 or EdDSA, or does not fit its kty"
                        .to_owned()
                })?;
            &fitting[position..=position]
        }
    };
    Ok(TrustedKey {
        kid,
        algorithms,
        key,
    })
}

/// The JWS name of an accepted algorithm.
pub(super) fn algorithm_name(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::RS256 => "RS256",
        Algorithm::PS256 => "PS256",
        Algorithm::ES256 => "ES256",
        Algorithm::EdDSA => "EdDSA",
        _ => "",
    }
}

/// An accepted algorithm by its JWS name; `None` for any other (`none`,
/// `HS256`, ...).
pub(super) fn accepted_algorithm(name: &str) -> Option<Algorithm> {
    match name {
        "RS256" => Some(Algorithm::RS256),
        "PS256" => Some(Algorithm::PS256),
        "ES256" => Some(Algorithm::ES256),
        "EdDSA" => Some(Algorithm::EdDSA),
        _ => None,
    }
}

fn text<'a>(jwk: &'a Map<String, Value>, member: &str) -> Result<Option<&'a str>, String> {
    match jwk.get(member) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(format!("must have {member} as a string")),
    }
}

fn bytes(jwk: &Map<String, Value>, member: &str) -> Result<Vec<u8>, String> {
    text(jwk, member)?
        .and_then(|text| URL_SAFE_NO_PAD.decode(text).ok())
        .filter(|bytes| !bytes.is_empty())
        .ok_or_else(|| format!("must have {member} in base64url"))
}

/// A 32-byte coordinate (P-256 and Ed25519 alike).
fn coordinate(jwk: &Map<String, Value>, member: &str) -> Result<(), String> {
    if bytes(jwk, member)?.len() == 32 {
        Ok(())
    } else {
        Err(format!("must have {member} of 32 bytes"))
    }
}
