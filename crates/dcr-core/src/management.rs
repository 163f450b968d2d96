//! The body of an RFC 7592 section 2.2 update: the same metadata rules as
//! registration, plus the members the client must and must not send.

use serde_json::Value;

use crate::credentials::ClientId;
use crate::error::{JsonType, MetadataError, Problem};
use crate::initial_access::{TokenId, TokenPolicy};
use crate::metadata::ClientMetadata;
use crate::policy::RegistrationPolicy;

/// Set by the server; a client that sends them back in an update is refused
/// (RFC 7592 section 2.2).
pub const SERVER_SET_MEMBERS: [&str; 4] = [
    "registration_access_token",
    "registration_client_uri",
    "client_secret_expires_at",
    "client_id_issued_at",
];

/// A checked update request.
#[derive(Clone, PartialEq, Eq)]
pub struct UpdateRequest {
    pub metadata: ClientMetadata,
    /// The `client_secret` the client sent, which must match its current one
    /// (never empty: `""` is not given).
    pub presented_secret: Option<String>,
}

/// Shows whether a secret was presented, never the secret.
impl std::fmt::Debug for UpdateRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpdateRequest")
            .field("metadata", &self.metadata)
            .field(
                "presented_secret",
                &self.presented_secret.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl UpdateRequest {
    /// Checks an update body for the client `client_id`.
    pub fn parse(
        body: &Value,
        client_id: &ClientId,
        policy: &RegistrationPolicy,
    ) -> Result<Self, MetadataError> {
        let Value::Object(members) = body else {
            return Err(MetadataError::new("", Problem::NotAnObject));
        };
        match members.get("client_id") {
            None | Some(Value::Null) => {
                return Err(MetadataError::at_key("client_id", Problem::Required));
            }
            Some(Value::String(sent)) if *sent == client_id.to_string() => {}
            Some(Value::String(_)) => {
                return Err(MetadataError::at_key(
                    "client_id",
                    Problem::ClientIdMismatch,
                ));
            }
            Some(_) => {
                return Err(MetadataError::at_key(
                    "client_id",
                    Problem::WrongType {
                        expected: JsonType::String,
                    },
                ));
            }
        }
        if let Some(member) = SERVER_SET_MEMBERS
            .iter()
            .find(|member| members.contains_key(**member))
        {
            return Err(MetadataError::at_key(member, Problem::SetByServer));
        }
        // RFC 7592 section 2.2: a client MAY send its secret, which must
        // then be the current one; the server MAY ignore an empty value as
        // it ignores an omitted one. `""` is "not given", as for every
        // member: a client whose serializer writes unset strings as `""`
        // (a public client has no secret to send) can still update, and an
        // empty string passes nothing that absence does not.
        let presented_secret = match members.get("client_secret") {
            None | Some(Value::Null) => None,
            Some(Value::String(secret)) if secret.is_empty() => None,
            Some(Value::String(secret)) => Some(secret.clone()),
            Some(_) => {
                return Err(MetadataError::at_key(
                    "client_secret",
                    Problem::WrongType {
                        expected: JsonType::String,
                    },
                ));
            }
        };
        Ok(Self {
            metadata: ClientMetadata::from_request(body, policy)?,
            presented_secret,
        })
    }
}

/// The policy a client was registered under, as far as the store knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisteredUnder<'a> {
    /// The server's own rules (an anonymous registration).
    Server,
    /// The policy of the initial access token it was registered with,
    /// whatever became of the token since (revoked, expired, used up).
    Token(&'a TokenPolicy),
    /// An initial access token whose row is no longer stored.
    UnknownToken,
}

impl<'a> RegisteredUnder<'a> {
    /// The policy a client was registered under, from its provenance:
    /// `registered_with` is the initial access token of its registration,
    /// `stored_policy` that token's policy when its row is still stored,
    /// whatever its state (revoked, expired and used-up tokens are kept).
    pub fn of(registered_with: Option<&TokenId>, stored_policy: Option<&'a TokenPolicy>) -> Self {
        match (registered_with, stored_policy) {
            (None, _) => Self::Server,
            (Some(_), Some(policy)) => Self::Token(policy),
            (Some(_), None) => Self::UnknownToken,
        }
    }
}

/// The rules an RFC 7592 update is held to: those of registration and, for a
/// client registered with an initial access token, that token's policy. The
/// policy stays with the client whatever becomes of the token: a revoked
/// partner must not be able to widen its clients past what it was given (nor
/// do its clients lose what it granted). When the token's policy is no longer
/// known, every update is refused rather than judged by looser rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateRules {
    policy: RegistrationPolicy,
    token: Option<TokenPolicy>,
}

impl UpdateRules {
    pub fn new(
        server: &RegistrationPolicy,
        under: RegisteredUnder<'_>,
    ) -> Result<Self, MetadataError> {
        match under {
            RegisteredUnder::Server => Ok(Self {
                policy: server.clone(),
                token: None,
            }),
            RegisteredUnder::Token(token) => Ok(Self {
                policy: token.narrow(server)?,
                token: Some(token.clone()),
            }),
            RegisteredUnder::UnknownToken => {
                Err(MetadataError::new("", Problem::RegistrationPolicyUnknown))
            }
        }
    }

    /// Checks an update body for the client `client_id` against these rules.
    pub fn parse(
        &self,
        body: &Value,
        client_id: &ClientId,
    ) -> Result<UpdateRequest, MetadataError> {
        let request = UpdateRequest::parse(body, client_id, &self.policy)?;
        if let Some(token) = &self.token {
            token.check(&request.metadata)?;
        }
        Ok(request)
    }

    /// The registration policy an accepted update is applied with (it sets
    /// the lifetime of a secret the update issues).
    pub fn policy(&self) -> &RegistrationPolicy {
        &self.policy
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::error::ErrorCode;

    fn client_id() -> ClientId {
        ClientId::parse("6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60").unwrap()
    }

    fn body() -> Value {
        json!({
            "client_id": "6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60",
            "client_name": "Claude Code (memory)",
            "redirect_uris": ["http://localhost:52413/callback"],
            "token_endpoint_auth_method": "none"
        })
    }

    fn refused(body: &Value) -> MetadataError {
        UpdateRequest::parse(body, &client_id(), &RegistrationPolicy::default()).unwrap_err()
    }

    #[test]
    fn a_matching_client_id_and_valid_metadata_pass() {
        let update =
            UpdateRequest::parse(&body(), &client_id(), &RegistrationPolicy::default()).unwrap();
        assert_eq!(
            update.metadata.client_name.as_deref(),
            Some("Claude Code (memory)")
        );
        assert_eq!(update.presented_secret, None);
    }

    #[test]
    fn client_id_is_required_and_must_match() {
        let cases = [
            (json!(null), Problem::Required),
            (
                json!("00000000-0000-4000-8000-000000000000"),
                Problem::ClientIdMismatch,
            ),
            (json!(""), Problem::ClientIdMismatch),
            (
                json!(42),
                Problem::WrongType {
                    expected: JsonType::String,
                },
            ),
        ];
        for (value, problem) in cases {
            let mut sent = body();
            sent["client_id"] = value.clone();
            let err = refused(&sent);
            assert_eq!(err, MetadataError::new("/client_id", problem), "{value}");
            assert_eq!(err.code(), ErrorCode::InvalidClientMetadata);
        }
        let mut missing = body();
        missing.as_object_mut().unwrap().remove("client_id");
        assert_eq!(
            refused(&missing),
            MetadataError::new("/client_id", Problem::Required)
        );
    }

    #[test]
    fn every_server_set_member_is_refused() {
        for member in SERVER_SET_MEMBERS {
            let mut sent = body();
            sent[member] = json!(0);
            let err = refused(&sent);
            assert_eq!(
                err,
                MetadataError::new(format!("/{member}"), Problem::SetByServer)
            );
            assert_eq!(err.code(), ErrorCode::InvalidClientMetadata);
        }
    }

    #[test]
    fn a_presented_secret_is_carried_and_must_be_a_string() {
        let mut sent = body();
        sent["client_secret"] = json!("s3cret");
        let update =
            UpdateRequest::parse(&sent, &client_id(), &RegistrationPolicy::default()).unwrap();
        assert_eq!(update.presented_secret.as_deref(), Some("s3cret"));
        for not_given in [json!(""), json!(null)] {
            sent["client_secret"] = not_given;
            let update =
                UpdateRequest::parse(&sent, &client_id(), &RegistrationPolicy::default()).unwrap();
            assert_eq!(update.presented_secret, None);
        }
        sent["client_secret"] = json!(["s3cret"]);
        assert_eq!(
            refused(&sent),
            MetadataError::new(
                "/client_secret",
                Problem::WrongType {
                    expected: JsonType::String
                }
            )
        );
    }

    #[test]
    fn debug_never_shows_the_presented_secret() {
        let mut sent = body();
        sent["client_secret"] = json!("s3cret-value");
        let update =
            UpdateRequest::parse(&sent, &client_id(), &RegistrationPolicy::default()).unwrap();
        let shown = format!("{update:?}");
        assert!(!shown.contains("s3cret-value"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }

    fn partner() -> TokenPolicy {
        TokenPolicy {
            redirect_uri_hosts: Some(vec![crate::RedirectPattern::parse("localhost").unwrap()]),
            auth_methods: Some(vec![crate::AuthMethod::None]),
            ..TokenPolicy::default()
        }
    }

    #[test]
    fn updates_keep_to_the_policy_the_client_was_registered_under() {
        let server = RegistrationPolicy::default();
        let rules = UpdateRules::new(&server, RegisteredUnder::Token(&partner())).unwrap();
        rules.parse(&body(), &client_id()).unwrap();
        let cases = [
            (
                "redirect_uris",
                json!(["https://elsewhere.example/cb"]),
                "/redirect_uris/0",
            ),
            (
                "token_endpoint_auth_method",
                json!("client_secret_basic"),
                "/token_endpoint_auth_method",
            ),
        ];
        for (member, value, pointer) in cases {
            let mut sent = body();
            sent[member] = value;
            assert_eq!(
                rules.parse(&sent, &client_id()).unwrap_err().pointer,
                pointer,
                "{member}"
            );
            // The server's rules alone would take it.
            let open = UpdateRules::new(&server, RegisteredUnder::Server).unwrap();
            open.parse(&sent, &client_id()).unwrap();
        }
    }

    #[test]
    fn the_token_of_a_registration_decides_its_update_policy() {
        let token = TokenId::parse("iat_0123456789abcdef01234567").unwrap();
        let policy = partner();
        let cases = [
            (None, None, RegisteredUnder::Server),
            // A token id with no registration policy is still no token.
            (None, Some(&policy), RegisteredUnder::Server),
            (Some(&token), Some(&policy), RegisteredUnder::Token(&policy)),
            (Some(&token), None, RegisteredUnder::UnknownToken),
        ];
        for (registered_with, stored, expected) in cases {
            assert_eq!(
                RegisteredUnder::of(registered_with, stored),
                expected,
                "{registered_with:?} {stored:?}"
            );
        }
    }

    #[test]
    fn a_lost_token_policy_refuses_every_update() {
        let err = UpdateRules::new(
            &RegistrationPolicy::default(),
            RegisteredUnder::UnknownToken,
        )
        .unwrap_err();
        assert_eq!(
            err,
            MetadataError::new("", Problem::RegistrationPolicyUnknown)
        );
        assert_eq!(err.code(), ErrorCode::InvalidClientMetadata);
    }

    #[test]
    fn metadata_rules_apply_as_at_registration() {
        let mut sent = body();
        sent["redirect_uris"] = json!(["http://example.com/cb"]);
        let err = refused(&sent);
        assert_eq!(err.pointer, "/redirect_uris/0");
        assert_eq!(err.code(), ErrorCode::InvalidRedirectUri);
        assert_eq!(
            refused(&json!([1])),
            MetadataError::new("", Problem::NotAnObject)
        );
    }
}
