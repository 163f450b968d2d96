//! Rows of `oauth_clients` and their conversion to and from core types.

use dcr_core::{
    ClientCredentials, ClientId, ClientMetadata, PreviousSecret, Provenance, RegisteredClient,
    RegisteredVia, SecretHash, SecretTag, TokenDigest, TokenId,
};
use diesel::prelude::*;
use serde_json::{Map, Value};

use crate::error::StoreError;
use crate::schema::oauth_clients;

/// Members kept in their own columns (for lookups and the secret check); the
/// rest of the metadata lives in the `metadata` JSON column.
const COLUMN_MEMBERS: [&str; 5] = [
    "client_name",
    "redirect_uris",
    "scope",
    "token_endpoint_auth_method",
    "software_id",
];

#[derive(Insertable, Queryable, Selectable)]
#[diesel(table_name = oauth_clients, treat_none_as_default_value = false)]
pub(crate) struct ClientRow {
    pub(crate) client_id: String,
    pub(crate) client_secret_hash: Option<String>,
    pub(crate) client_secret_expires_at: i64,
    pub(crate) client_name: Option<String>,
    pub(crate) redirect_uris: String,
    pub(crate) scope: Option<String>,
    pub(crate) token_endpoint_auth_method: String,
    pub(crate) software_id: Option<String>,
    pub(crate) metadata: String,
    pub(crate) created_at: i64,
    pub(crate) created_by: String,
    pub(crate) is_active: bool,
    pub(crate) registration_token_digest: Option<String>,
    pub(crate) last_used_at: Option<i64>,
    pub(crate) provenance: Option<String>,
    /// Where the "never used" lifetime starts (see the migration).
    pub(crate) lifetime_from: Option<i64>,
    /// The secret's tag beside a bcrypt hash (`SecretTag::to_stored`).
    pub(crate) client_secret_tag: Option<String>,
    /// The secret a rotation replaced, during its overlap (see the migration).
    pub(crate) previous_secret_hash: Option<String>,
    pub(crate) previous_secret_tag: Option<String>,
    pub(crate) previous_secret_expires_at: Option<i64>,
}

/// The metadata as the row's columns hold it.
struct MetadataColumns {
    client_name: Option<String>,
    redirect_uris: String,
    scope: Option<String>,
    token_endpoint_auth_method: String,
    software_id: Option<String>,
    metadata: String,
}

impl MetadataColumns {
    fn of(metadata: &ClientMetadata) -> Self {
        let mut members = metadata.to_json();
        let mut take_text = |key: &str| match members.remove(key) {
            Some(Value::String(text)) => Some(text),
            _ => None,
        };
        let client_name = take_text("client_name");
        let scope = take_text("scope");
        let software_id = take_text("software_id");
        members.remove("token_endpoint_auth_method");
        let redirect_uris = members
            .remove("redirect_uris")
            .unwrap_or_else(|| Value::Array(Vec::new()));
        Self {
            client_name,
            redirect_uris: json_text(&redirect_uris),
            scope,
            token_endpoint_auth_method: metadata.token_endpoint_auth_method.as_str().to_owned(),
            software_id,
            metadata: json_text(&Value::Object(members)),
        }
    }
}

type Db = <crate::AnyConnection as Connection>::Backend;

/// The rows whose metadata columns hold exactly `metadata`, as
/// [`ClientRow::from_client`] writes it.
pub(crate) fn has_metadata(
    metadata: &ClientMetadata,
) -> Box<
    dyn BoxableExpression<
            oauth_clients::table,
            Db,
            SqlType = diesel::sql_types::Nullable<diesel::sql_types::Bool>,
        >,
> {
    type Condition = Box<
        dyn BoxableExpression<
                oauth_clients::table,
                Db,
                SqlType = diesel::sql_types::Nullable<diesel::sql_types::Bool>,
            >,
    >;
    let columns = MetadataColumns::of(metadata);
    let client_name: Condition = match columns.client_name {
        Some(name) => Box::new(oauth_clients::client_name.eq(name)),
        None => Box::new(oauth_clients::client_name.is_null().nullable()),
    };
    let scope: Condition = match columns.scope {
        Some(scope) => Box::new(oauth_clients::scope.eq(scope)),
        None => Box::new(oauth_clients::scope.is_null().nullable()),
    };
    let software_id: Condition = match columns.software_id {
        Some(id) => Box::new(oauth_clients::software_id.eq(id)),
        None => Box::new(oauth_clients::software_id.is_null().nullable()),
    };
    Box::new(
        oauth_clients::redirect_uris
            .eq(columns.redirect_uris)
            .and(oauth_clients::token_endpoint_auth_method.eq(columns.token_endpoint_auth_method))
            .and(oauth_clients::metadata.eq(columns.metadata))
            .nullable()
            .and(client_name)
            .and(scope)
            .and(software_id),
    )
}

impl ClientRow {
    pub(crate) fn from_client(client: &RegisteredClient, created_by: &str) -> Self {
        let MetadataColumns {
            client_name,
            redirect_uris,
            scope,
            token_endpoint_auth_method,
            software_id,
            metadata,
        } = MetadataColumns::of(&client.metadata);
        let StoredSecret {
            hash: client_secret_hash,
            tag: client_secret_tag,
            expires_at: client_secret_expires_at,
            previous_hash: previous_secret_hash,
            previous_tag: previous_secret_tag,
            previous_expires_at: previous_secret_expires_at,
        } = stored_secret(&client.credentials);
        Self {
            client_id: client.client_id.to_string(),
            client_secret_hash,
            client_secret_expires_at,
            client_name,
            redirect_uris,
            scope,
            token_endpoint_auth_method,
            software_id,
            metadata,
            created_at: client.issued_at,
            created_by: created_by.to_owned(),
            is_active: client.active,
            registration_token_digest: client
                .registration_token
                .as_ref()
                .map(TokenDigest::to_stored),
            last_used_at: client.last_used_at,
            provenance: Some(provenance_json(&client.provenance)),
            lifetime_from: Some(client.issued_at),
            client_secret_tag,
            previous_secret_hash,
            previous_secret_tag,
            previous_secret_expires_at,
        }
    }

    /// Starts the "never used" lifetime at `at` instead of the registration
    /// (an import: no rule deletes a client before it could be used here).
    pub(crate) fn with_lifetime_from(mut self, at: i64) -> Self {
        self.lifetime_from = Some(at);
        self
    }

    /// The columns an RFC 7592 update changes besides the secret: the
    /// metadata and the registration access token.
    #[allow(clippy::type_complexity)]
    pub(crate) fn metadata_changes(
        &self,
    ) -> (
        diesel::dsl::Eq<oauth_clients::client_name, Option<String>>,
        diesel::dsl::Eq<oauth_clients::redirect_uris, String>,
        diesel::dsl::Eq<oauth_clients::scope, Option<String>>,
        diesel::dsl::Eq<oauth_clients::token_endpoint_auth_method, String>,
        diesel::dsl::Eq<oauth_clients::software_id, Option<String>>,
        diesel::dsl::Eq<oauth_clients::metadata, String>,
        diesel::dsl::Eq<oauth_clients::registration_token_digest, Option<String>>,
    ) {
        (
            oauth_clients::client_name.eq(self.client_name.clone()),
            oauth_clients::redirect_uris.eq(self.redirect_uris.clone()),
            oauth_clients::scope.eq(self.scope.clone()),
            oauth_clients::token_endpoint_auth_method.eq(self.token_endpoint_auth_method.clone()),
            oauth_clients::software_id.eq(self.software_id.clone()),
            oauth_clients::metadata.eq(self.metadata.clone()),
            oauth_clients::registration_token_digest.eq(self.registration_token_digest.clone()),
        )
    }

    /// The secret columns, for updates that issue or remove a secret.
    pub(crate) fn secret_changes(&self) -> SecretColumns {
        StoredSecret {
            hash: self.client_secret_hash.clone(),
            tag: self.client_secret_tag.clone(),
            expires_at: self.client_secret_expires_at,
            previous_hash: self.previous_secret_hash.clone(),
            previous_tag: self.previous_secret_tag.clone(),
            previous_expires_at: self.previous_secret_expires_at,
        }
        .changes()
    }

    pub(crate) fn token_digest(&self) -> Option<String> {
        self.registration_token_digest.clone()
    }

    /// A row that does not parse back was written by something else than this
    /// store; it is reported, never served half-read.
    pub(crate) fn into_client(self) -> Result<RegisteredClient, StoreError> {
        let corrupt = |what: &str| {
            StoreError::Other(format!("client {} has a corrupt {what}", self.client_id).into())
        };
        let client_id = ClientId::parse(&self.client_id).map_err(|_| corrupt("client_id"))?;
        let mut members: Map<String, Value> =
            serde_json::from_str(&self.metadata).map_err(|_| corrupt("metadata"))?;
        for key in COLUMN_MEMBERS {
            members.remove(key);
        }
        let redirect_uris: Value =
            serde_json::from_str(&self.redirect_uris).map_err(|_| corrupt("redirect_uris"))?;
        members.insert("redirect_uris".into(), redirect_uris);
        members.insert(
            "token_endpoint_auth_method".into(),
            self.token_endpoint_auth_method.clone().into(),
        );
        let optional = [
            ("client_name", &self.client_name),
            ("scope", &self.scope),
            ("software_id", &self.software_id),
        ];
        for (key, value) in optional {
            if let Some(value) = value {
                members.insert(key.into(), value.clone().into());
            }
        }
        let metadata = ClientMetadata::from_stored(&Value::Object(members))
            .map_err(|_| corrupt("metadata"))?;
        let credentials = match self.client_secret_hash {
            Some(hash) => ClientCredentials::Confidential {
                secret_hash: SecretHash::from_stored(hash),
                // A tag that does not read back is no tag: the secret is
                // then checked by bcrypt alone, as before tags.
                secret_tag: self
                    .client_secret_tag
                    .as_deref()
                    .and_then(SecretTag::from_stored),
                secret_expires_at: self.client_secret_expires_at,
                // Half a previous secret is none: it never authenticates.
                previous_secret: match (self.previous_secret_hash, self.previous_secret_expires_at)
                {
                    (Some(hash), Some(expires_at)) => Some(PreviousSecret {
                        hash: SecretHash::from_stored(hash),
                        tag: self
                            .previous_secret_tag
                            .as_deref()
                            .and_then(SecretTag::from_stored),
                        expires_at,
                    }),
                    _ => None,
                },
            },
            None => ClientCredentials::Public,
        };
        let registration_token = self
            .registration_token_digest
            .as_deref()
            .map(TokenDigest::from_stored)
            .transpose()
            .map_err(|_| corrupt("registration_token_digest"))?;
        Ok(RegisteredClient {
            client_id,
            issued_at: self.created_at,
            metadata,
            credentials,
            active: self.is_active,
            registration_token,
            last_used_at: self.last_used_at,
            provenance: match &self.provenance {
                Some(stored) => {
                    provenance_from_json(stored).ok_or_else(|| corrupt("provenance"))?
                }
                None => Provenance::default(),
            },
        })
    }
}

/// The secret columns of a row: the current secret's hash, tag and expiry,
/// and those of the secret a rotation replaced.
pub(crate) struct StoredSecret {
    pub(crate) hash: Option<String>,
    pub(crate) tag: Option<String>,
    pub(crate) expires_at: i64,
    pub(crate) previous_hash: Option<String>,
    pub(crate) previous_tag: Option<String>,
    pub(crate) previous_expires_at: Option<i64>,
}

/// The assignments of every secret column, written together so that no
/// statement stores a new secret beside a stale previous one.
pub(crate) type SecretColumns = (
    diesel::dsl::Eq<oauth_clients::client_secret_hash, Option<String>>,
    diesel::dsl::Eq<oauth_clients::client_secret_tag, Option<String>>,
    diesel::dsl::Eq<oauth_clients::client_secret_expires_at, i64>,
    diesel::dsl::Eq<oauth_clients::previous_secret_hash, Option<String>>,
    diesel::dsl::Eq<oauth_clients::previous_secret_tag, Option<String>>,
    diesel::dsl::Eq<oauth_clients::previous_secret_expires_at, Option<i64>>,
);

impl StoredSecret {
    pub(crate) fn changes(self) -> SecretColumns {
        (
            oauth_clients::client_secret_hash.eq(self.hash),
            oauth_clients::client_secret_tag.eq(self.tag),
            oauth_clients::client_secret_expires_at.eq(self.expires_at),
            oauth_clients::previous_secret_hash.eq(self.previous_hash),
            oauth_clients::previous_secret_tag.eq(self.previous_tag),
            oauth_clients::previous_secret_expires_at.eq(self.previous_expires_at),
        )
    }
}

/// The secret columns of `credentials`.
pub(crate) fn stored_secret(credentials: &ClientCredentials) -> StoredSecret {
    match credentials {
        ClientCredentials::Public => StoredSecret {
            hash: None,
            tag: None,
            expires_at: 0,
            previous_hash: None,
            previous_tag: None,
            previous_expires_at: None,
        },
        ClientCredentials::Confidential {
            secret_hash,
            secret_tag,
            secret_expires_at,
            previous_secret,
        } => StoredSecret {
            hash: Some(secret_hash.as_stored().to_owned()),
            tag: secret_tag.as_ref().map(SecretTag::to_stored),
            expires_at: *secret_expires_at,
            previous_hash: previous_secret
                .as_ref()
                .map(|previous| previous.hash.as_stored().to_owned()),
            previous_tag: previous_secret
                .as_ref()
                .and_then(|previous| previous.tag.as_ref().map(SecretTag::to_stored)),
            previous_expires_at: previous_secret.as_ref().map(|previous| previous.expires_at),
        },
    }
}

/// The provenance column: `{"address": ..., "user_agent": ..., "via": ...,
/// "token_id": ..., "software_statement_issuer": ...}`.
fn provenance_json(provenance: &Provenance) -> String {
    json_text(&serde_json::json!({
        "address": provenance.address,
        "user_agent": provenance.user_agent,
        "via": provenance.via.as_str(),
        "token_id": provenance.token_id.as_ref().map(TokenId::as_str),
        "software_statement_issuer": provenance.software_statement_issuer,
    }))
}

/// A JSON column's text: compact, as `Value`'s Display writes it, but
/// straight into the string rather than through a formatter.
fn json_text(value: &Value) -> String {
    // Only a map with keys that are not strings fails, and a Value has none.
    serde_json::to_string(value).unwrap_or_default()
}

fn provenance_from_json(stored: &str) -> Option<Provenance> {
    let value: Value = serde_json::from_str(stored).ok()?;
    let text = |key: &str| match value.get(key) {
        Some(Value::String(text)) => Some(Some(text.clone())),
        None | Some(Value::Null) => Some(None),
        Some(_) => None,
    };
    Some(Provenance {
        address: text("address")?,
        user_agent: text("user_agent")?,
        via: RegisteredVia::parse(value.get("via")?.as_str()?)?,
        token_id: text("token_id")?
            .map(|id| TokenId::parse(&id))
            .transpose()
            .ok()?,
        // Absent from rows written before statements were verified.
        software_statement_issuer: text("software_statement_issuer")?,
    })
}
