//! A registered client, and the registration that creates one (RFC 7591
//! section 3.2.1).

use rand::{CryptoRng, RngCore};
use serde_json::{Map, Value};

use crate::credentials::{BcryptCost, ClientId, ClientSecret, HashError, SecretHash};
use crate::metadata::ClientMetadata;
use crate::policy::RegistrationPolicy;

/// How a client authenticates at the token endpoint. Only a confidential
/// client has a secret; a public one has no field that could hold one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientCredentials {
    Public,
    Confidential {
        secret_hash: SecretHash,
        /// Unix seconds; 0 means the secret never expires.
        secret_expires_at: i64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredClient {
    pub client_id: ClientId,
    /// Unix seconds (`client_id_issued_at`).
    pub issued_at: i64,
    pub metadata: ClientMetadata,
    pub credentials: ClientCredentials,
    pub active: bool,
}

/// A new client to store, and its plaintext secret to show once.
#[derive(Debug)]
pub struct Registration {
    pub client: RegisteredClient,
    pub secret: Option<ClientSecret>,
}

impl Registration {
    /// Issues the identifier and, when the auth method needs one, the secret,
    /// hashed at `cost`. Hashing is slow by design: call this off async threads
    /// for confidential clients.
    pub fn issue<R: RngCore + CryptoRng>(
        metadata: ClientMetadata,
        policy: &RegistrationPolicy,
        now: i64,
        cost: BcryptCost,
        rng: &mut R,
    ) -> Result<Self, HashError> {
        let client_id = ClientId::generate(rng);
        let (credentials, secret) = if metadata.token_endpoint_auth_method.needs_secret() {
            let secret = ClientSecret::generate(rng);
            let secret_hash = secret.hash(cost, rng)?;
            let secret_expires_at = match i64::try_from(policy.secret_lifetime_secs) {
                Ok(0) | Err(_) => 0,
                Ok(lifetime) => now.saturating_add(lifetime),
            };
            (
                ClientCredentials::Confidential {
                    secret_hash,
                    secret_expires_at,
                },
                Some(secret),
            )
        } else {
            (ClientCredentials::Public, None)
        };
        Ok(Self {
            client: RegisteredClient {
                client_id,
                issued_at: now,
                metadata,
                credentials,
                active: true,
            },
            secret,
        })
    }

    /// The body of the `201 Created` answer: the identifiers, the secret (once)
    /// and every registered metadata value with defaults filled in.
    pub fn response_body(&self) -> Map<String, Value> {
        self.client.response_body(self.secret.as_ref())
    }
}

impl RegisteredClient {
    /// The client information response (RFC 7591 section 3.2.1). The plaintext
    /// secret exists only at issuance, so later reads omit it.
    pub fn response_body(&self, secret: Option<&ClientSecret>) -> Map<String, Value> {
        let mut body = Map::new();
        body.insert("client_id".into(), self.client_id.to_string().into());
        body.insert("client_id_issued_at".into(), self.issued_at.into());
        if let ClientCredentials::Confidential {
            secret_expires_at, ..
        } = &self.credentials
        {
            if let Some(secret) = secret {
                body.insert("client_secret".into(), secret.expose().into());
            }
            body.insert(
                "client_secret_expires_at".into(),
                (*secret_expires_at).into(),
            );
        }
        body.extend(self.metadata.to_json());
        body
    }
}
