//! A registered client, the registration that creates one (RFC 7591 section
//! 3.2.1), and what may happen to it later: updates through the client
//! configuration endpoint (RFC 7592 section 2.2), secret rotation, and the
//! credential check a token endpoint asks for.

use rand::{CryptoRng, RngCore};
use serde_json::{Map, Value};

use crate::access_token::{AccessToken, TokenDigest};
use crate::credentials::{ClientId, ClientSecret, HashError, SecretHash, SecretHashing};
use crate::error::{MetadataError, Problem};
use crate::management::UpdateRequest;
use crate::metadata::ClientMetadata;
use crate::policy::RegistrationPolicy;
use crate::provenance::{Provenance, RegisteredVia};
use crate::secret_tag::SecretTag;

mod check;
mod rotation;
mod usability;

pub use check::{Candidate, Candidates, CredentialCheck, Slot};
pub use rotation::{Overlap, OverlapTooLong, PreviousSecret, RotateError, Rotation};
pub use usability::Usability;

/// How a client authenticates at the token endpoint. Only a confidential
/// client has a secret; a public one has no field that could hold one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientCredentials {
    Public,
    Confidential {
        secret_hash: SecretHash,
        /// The tag of the secret beside a bcrypt hash, so a wrong secret is
        /// refused without bcrypt (see `secret_tag`); `None` for a SHA-256
        /// hash (cheap to check anyway), an imported secret, and a secret
        /// issued before tags until its first confirmed use.
        secret_tag: Option<SecretTag>,
        /// Unix seconds; 0 means the secret never expires.
        secret_expires_at: i64,
        /// The secret a rotation replaced, during its overlap.
        previous_secret: Option<PreviousSecret>,
    },
}

impl ClientCredentials {
    /// `client_secret_expires_at` of a client with a secret (0: never); `None`
    /// for a public client, which has no secret to expire.
    pub fn secret_expires_at(&self) -> Option<i64> {
        match self {
            Self::Confidential {
                secret_expires_at, ..
            } => Some(*secret_expires_at),
            Self::Public => None,
        }
    }

    /// When the secret a rotation replaced stops working, during the
    /// overlap (and until the row is next rewritten after it).
    pub fn previous_secret_expires_at(&self) -> Option<i64> {
        match self {
            Self::Confidential {
                previous_secret: Some(previous),
                ..
            } => Some(previous.expires_at),
            _ => None,
        }
    }

    /// The same credentials, with `previous` as the replaced secret.
    fn with_previous(self, previous: Option<PreviousSecret>) -> Self {
        match self {
            Self::Confidential {
                secret_hash,
                secret_tag,
                secret_expires_at,
                ..
            } => Self::Confidential {
                secret_hash,
                secret_tag,
                secret_expires_at,
                previous_secret: previous,
            },
            Self::Public => Self::Public,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredClient {
    pub client_id: ClientId,
    /// Unix seconds (`client_id_issued_at`).
    pub issued_at: i64,
    pub metadata: ClientMetadata,
    pub credentials: ClientCredentials,
    pub active: bool,
    /// Digest of the current registration access token (RFC 7592); `None`
    /// for a client that cannot be managed through it (one shared by
    /// [`RegisteredClient::issue_shared`], or imported).
    pub registration_token: Option<TokenDigest>,
    /// Unix seconds of the last successful credential check, if any.
    pub last_used_at: Option<i64>,
    /// Where the client came from.
    pub provenance: Provenance,
}

/// A new client to store, and what is shown to it once: its secret and its
/// registration access token.
#[derive(Debug)]
pub struct Registration {
    pub client: RegisteredClient,
    pub secret: Option<ClientSecret>,
    pub access_token: AccessToken,
}

impl Registration {
    /// Issues the identifier, the registration access token and, when the
    /// auth method needs one, the secret, hashed by `hashing`. bcrypt is slow
    /// by design: call this off async threads for confidential clients.
    pub fn issue<R: RngCore + CryptoRng>(
        metadata: ClientMetadata,
        policy: &RegistrationPolicy,
        now: i64,
        hashing: impl Into<SecretHashing>,
        rng: &mut R,
    ) -> Result<Self, HashError> {
        let client_id = ClientId::generate(rng);
        let (credentials, secret) = if metadata.token_endpoint_auth_method.needs_secret() {
            let (secret, credentials) = new_secret(client_id, policy, now, hashing.into(), rng)?;
            (credentials, Some(secret))
        } else {
            (ClientCredentials::Public, None)
        };
        let access_token = AccessToken::generate(rng);
        Ok(Self {
            client: RegisteredClient {
                client_id,
                issued_at: now,
                metadata,
                credentials,
                active: true,
                registration_token: Some(access_token.digest()),
                last_used_at: None,
                provenance: Provenance::default(),
            },
            secret,
            access_token,
        })
    }

    /// The RFC 7591 body of the `201 Created` answer: the identifiers, the
    /// secret (once) and every registered metadata value, defaults filled in.
    pub fn response_body(&self) -> Map<String, Value> {
        self.client.response_body(self.secret.as_ref())
    }

    /// The full answer (RFC 7592 section 3): the RFC 7591 body plus the
    /// registration access token and the client configuration endpoint.
    pub fn management_response_body(&self, registration_client_uri: &str) -> Map<String, Value> {
        self.client.management_response_body(
            self.secret.as_ref(),
            self.access_token.expose(),
            registration_client_uri,
        )
    }
}

/// A fresh secret for `client_id` and the credentials that store it: its
/// hash, and its tag when the hash is bcrypt.
fn new_secret<R: RngCore + CryptoRng>(
    client_id: ClientId,
    policy: &RegistrationPolicy,
    now: i64,
    hashing: impl Into<SecretHashing>,
    rng: &mut R,
) -> Result<(ClientSecret, ClientCredentials), HashError> {
    let secret = ClientSecret::generate(rng);
    let secret_hash = secret.hash(hashing, rng)?;
    let secret_tag = secret_hash
        .is_slow()
        .then(|| SecretTag::of(&client_id, &secret, &secret_hash));
    let secret_expires_at = match i64::try_from(policy.secret_lifetime_secs) {
        Ok(0) | Err(_) => 0,
        Ok(lifetime) => now.saturating_add(lifetime),
    };
    Ok((
        secret,
        ClientCredentials::Confidential {
            secret_hash,
            secret_tag,
            secret_expires_at,
            previous_secret: None,
        },
    ))
}

/// The outcome of an RFC 7592 update: the client to store, its new secret if
/// one was issued, and its new registration access token (the old one stops
/// working once the update is stored).
#[derive(Debug)]
pub struct Update {
    pub client: RegisteredClient,
    pub secret: Option<ClientSecret>,
    pub access_token: AccessToken,
    /// Whether the update issued or removed the secret; when it did not, the
    /// stored secret must be left as it is (it may have been rotated since).
    pub secret_replaced: bool,
}

impl Update {
    pub fn management_response_body(&self, registration_client_uri: &str) -> Map<String, Value> {
        self.client.management_response_body(
            self.secret.as_ref(),
            self.access_token.expose(),
            registration_client_uri,
        )
    }
}

/// Why an RFC 7592 update was not applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpdateError {
    /// The request breaks a rule: `400` with this error.
    #[error(transparent)]
    Refused(MetadataError),
    #[error(transparent)]
    Hash(#[from] HashError),
}

impl RegisteredClient {
    /// A public client that later registrations of the same metadata may be
    /// answered with (`DCR_DEDUP_PUBLIC`): no secret and no registration
    /// access token. A client handed to several registrants must have no
    /// management token outstanding: with one, its first registrant could
    /// repoint everyone's redirects, switch the client to a secret only it
    /// receives, or delete it (RFC 7592 section 2). `None` when the metadata
    /// needs a secret, which cannot be handed out twice.
    pub fn issue_shared<R: RngCore + CryptoRng>(
        metadata: ClientMetadata,
        now: i64,
        rng: &mut R,
    ) -> Option<Self> {
        if metadata.token_endpoint_auth_method.needs_secret() {
            return None;
        }
        Some(Self {
            client_id: ClientId::generate(rng),
            issued_at: now,
            metadata,
            credentials: ClientCredentials::Public,
            active: true,
            registration_token: None,
            last_used_at: None,
            provenance: Provenance::default(),
        })
    }

    /// The client information response (RFC 7591 section 3.2.1). The plaintext
    /// secret exists only at issuance, so later reads omit it.
    pub fn response_body(&self, secret: Option<&ClientSecret>) -> Map<String, Value> {
        let mut body = Map::new();
        body.insert("client_id".into(), self.client_id.to_string().into());
        body.insert("client_id_issued_at".into(), self.issued_at.into());
        if let Some(secret_expires_at) = self.credentials.secret_expires_at() {
            if let Some(secret) = secret {
                body.insert("client_secret".into(), secret.expose().into());
            }
            body.insert("client_secret_expires_at".into(), secret_expires_at.into());
        }
        body.extend(self.metadata.to_json());
        body
    }

    /// The client information response of RFC 7592 section 3: the RFC 7591
    /// body plus `registration_access_token` and `registration_client_uri`.
    pub fn management_response_body(
        &self,
        secret: Option<&ClientSecret>,
        access_token: &str,
        registration_client_uri: &str,
    ) -> Map<String, Value> {
        let mut body = self.response_body(secret);
        body.insert("registration_access_token".into(), access_token.into());
        body.insert(
            "registration_client_uri".into(),
            registration_client_uri.into(),
        );
        body
    }

    /// Whether `presented` is this client's registration access token and the
    /// client may use it. A disabled client may not: an operator disabled it,
    /// so its token no longer reads, changes or deletes the registration
    /// (RFC 7592 section 2 lets the server revoke the token at any time);
    /// operators still manage it through the admin API.
    pub fn accepts_registration_token(&self, presented: &str) -> bool {
        self.active
            && self
                .registration_token
                .as_ref()
                .is_some_and(|digest| digest.matches(presented))
    }

    /// An RFC 7592 section 2.2 update as the client sent it: a presented
    /// `client_secret` must be the current one (a client cannot choose its
    /// secret), then [`RegisteredClient::update`]. Slow when a secret is
    /// presented or issued (bcrypt): call it off async threads.
    pub fn apply_update<R: RngCore + CryptoRng>(
        &self,
        request: UpdateRequest,
        policy: &RegistrationPolicy,
        now: i64,
        hashing: impl Into<SecretHashing>,
        rng: &mut R,
    ) -> Result<Update, UpdateError> {
        if let Some(presented) = &request.presented_secret
            && !self.secret_matches(presented)
            && !self.previous_secret_matches(presented, now)
        {
            return Err(UpdateError::Refused(MetadataError::at_key(
                "client_secret",
                Problem::SecretMismatch,
            )));
        }
        Ok(self.update(request.metadata, policy, now, hashing, rng)?)
    }

    /// Replaces the metadata (RFC 7592 section 2.2) and rotates the
    /// registration access token. A change of auth method issues a secret
    /// (to a client that had none) or removes it; otherwise the secret stays.
    /// A presented secret is checked by [`RegisteredClient::apply_update`].
    pub fn update<R: RngCore + CryptoRng>(
        &self,
        metadata: ClientMetadata,
        policy: &RegistrationPolicy,
        now: i64,
        hashing: impl Into<SecretHashing>,
        rng: &mut R,
    ) -> Result<Update, HashError> {
        let (credentials, secret) = match (
            metadata.token_endpoint_auth_method.needs_secret(),
            &self.credentials,
        ) {
            (true, ClientCredentials::Confidential { .. }) => (self.credentials.clone(), None),
            (true, ClientCredentials::Public) => {
                let (secret, credentials) =
                    new_secret(self.client_id, policy, now, hashing.into(), rng)?;
                (credentials, Some(secret))
            }
            (false, _) => (ClientCredentials::Public, None),
        };
        let secret_replaced = credentials != self.credentials;
        let access_token = AccessToken::generate(rng);
        Ok(Update {
            client: Self {
                metadata,
                credentials,
                registration_token: Some(access_token.digest()),
                ..self.clone()
            },
            secret,
            access_token,
            secret_replaced,
        })
    }

    /// Whether a `client_secret` sent in an update matches the current one
    /// (RFC 7592 section 2.2). A public client has no secret to match. Slow
    /// (bcrypt): call it off async threads.
    pub fn secret_matches(&self, presented: &str) -> bool {
        match &self.credentials {
            ClientCredentials::Confidential { secret_hash, .. } => secret_hash.verify(presented),
            ClientCredentials::Public => false,
        }
    }

    /// Whether a `client_secret` sent in an update is the secret a rotation
    /// replaced, still in its overlap: a client that has not yet taken the
    /// new secret echoes the one it holds, and changes nothing by it.
    fn previous_secret_matches(&self, presented: &str, now: i64) -> bool {
        match &self.credentials {
            ClientCredentials::Confidential {
                previous_secret: Some(previous),
                ..
            } => previous.is_live(now) && previous.hash.verify(presented),
            _ => false,
        }
    }

    /// The tag to store for `confirmed`, a secret just confirmed against
    /// this client's hash, when the client has none that applies and the
    /// secret is one dcr issued ([`SecretTag::to_fill_in`]).
    pub fn secret_tag_to_fill_in(&self, confirmed: &str) -> Option<SecretTag> {
        match &self.credentials {
            ClientCredentials::Confidential {
                secret_hash,
                secret_tag,
                ..
            } => SecretTag::to_fill_in(
                &self.client_id,
                secret_hash,
                *secret_tag,
                self.provenance.via == RegisteredVia::Imported,
                confirmed,
            ),
            ClientCredentials::Public => None,
        }
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod proptests;
