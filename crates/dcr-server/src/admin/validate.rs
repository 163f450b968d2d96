//! Dry-run registration (`POST /admin/validate`, `dcr-server clients
//! validate`): a body decided exactly as `POST /register` decides it
//! (`public::decision`), and what it would become, with nothing stored, no
//! rate limit counted and no initial access token use spent. A CI step
//! checks a connector's metadata with it; an operator checks a body a user
//! reported as refused.

use dcr_core::consent::{ConsentSignals, KnownClients, Source, Subject};
use serde_json::{Map, Value};

use crate::config::RegistrationMode;
use crate::http::error::ApiError;
use crate::public::decision::Decided;

/// The member of a dry run's body that names an initial access token, to
/// decide the body under that token's policy (`POST /register` takes it in
/// the `Authorization` header, which a dry run's own request spends on the
/// admin token).
pub const TOKEN_MEMBER: &str = "initial_access_token";

/// What a dry run needs to know of the token its body names: registration
/// in token mode refuses a body without one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamedToken {
    None,
    Raw(String),
}

/// The initial access token `body` names. A body that is not a JSON
/// object names none (its own error is the verdict); a member that is not
/// a string is an invalid token, as a malformed `Authorization` header is.
pub fn named_token(body: &[u8], mode: RegistrationMode) -> Result<NamedToken, ApiError> {
    let named = match dcr_core::body::parse_whole(body) {
        Ok(Value::Object(mut whole)) => whole.remove(TOKEN_MEMBER),
        _ => None,
    };
    match (named, mode) {
        (Some(Value::String(raw)), _) => Ok(NamedToken::Raw(raw)),
        (Some(_), _) | (None, RegistrationMode::Token) => Err(ApiError::InvalidInitialAccessToken),
        (None, RegistrationMode::Open) => Ok(NamedToken::None),
    }
}

/// The dry run's answer: `{"valid": true, "client", "consent"}` with the
/// metadata as it would be stored and answered (no `client_id`, secret or
/// token: none is issued), the consent signals a consent page would
/// show, and the issuer of the software statement that vouched for it, if
/// one did; or `{"valid": false, "error", "error_description", "field"}`,
/// the error registration would answer. An error that is no verdict on the
/// body (the database unreachable while reading the token) is `Err`, for
/// the caller to answer as such.
pub fn verdict(
    decided: Result<Decided, ApiError>,
    known: &KnownClients,
    now: i64,
) -> Result<Value, ApiError> {
    let mut answer = Map::new();
    match decided {
        Ok(Decided {
            admitted,
            statement_issuer,
        }) => {
            let consent = ConsentSignals::of(
                &Subject {
                    metadata: &admitted.metadata,
                    source: Source::Registered,
                    registered_at: None,
                    verified_host: None,
                },
                known,
                now,
            );
            answer.insert("valid".into(), true.into());
            answer.insert("client".into(), admitted.metadata.to_json().into());
            answer.insert("consent".into(), consent.to_json());
            if let Some(issuer) = statement_issuer {
                answer.insert("software_statement_issuer".into(), issuer.into());
            }
        }
        Err(err) if err.is_refusal() => {
            answer.insert("valid".into(), false.into());
            answer.extend(err.members());
        }
        Err(err) => return Err(err),
    }
    Ok(Value::Object(answer))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_token_a_body_names_follows_the_registration_mode() {
        use RegistrationMode::{Open, Token};
        let cases: [(&str, RegistrationMode, Result<NamedToken, ()>); 7] = [
            (r#"{"client_name":"a"}"#, Open, Ok(NamedToken::None)),
            (r#"{"client_name":"a"}"#, Token, Err(())),
            (
                r#"{"initial_access_token":"iat_x"}"#,
                Open,
                Ok(NamedToken::Raw("iat_x".into())),
            ),
            (
                r#"{"initial_access_token":"iat_x"}"#,
                Token,
                Ok(NamedToken::Raw("iat_x".into())),
            ),
            (r#"{"initial_access_token":7}"#, Open, Err(())),
            // Not JSON: the body's own error is the verdict in open mode.
            ("{", Open, Ok(NamedToken::None)),
            ("[]", Token, Err(())),
        ];
        for (body, mode, expected) in cases {
            let named = named_token(body.as_bytes(), mode).map_err(|_| ());
            assert_eq!(named, expected, "{body} in {mode:?}");
        }
    }

    #[test]
    fn a_refusal_is_a_verdict_and_an_outage_is_not() {
        let known = KnownClients::builtin();
        let refused = verdict(Err(ApiError::InvalidInitialAccessToken), &known, 0).unwrap();
        assert_eq!(refused["valid"], false);
        assert_eq!(refused["error"], "invalid_token");
        assert!(verdict(Err(ApiError::Unavailable), &known, 0).is_err());
    }
}
