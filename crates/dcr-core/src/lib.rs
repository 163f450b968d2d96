#![doc = include_str!("../README.md")]
pub mod access_token;
pub mod audit;
pub mod auth_method;
pub mod body;
pub mod cimd;
pub mod client;
pub mod client_url;
pub mod consent;
pub mod credentials;
pub mod discovery;
pub mod error;
pub mod grant_types;
pub mod initial_access;
mod jwks;
pub mod management;
pub mod metadata;
pub mod policy;
pub mod provenance;
pub mod redirect_uri;
pub mod registration;
pub mod scope;
pub mod secret_tag;
pub mod software_statement;
mod text;
mod uri;

#[cfg(test)]
mod test_support;

pub use access_token::{AccessToken, TokenDigest};
pub use audit::{Actor, Event, EventKind, Occasion};
pub use auth_method::AuthMethod;
pub use body::BodyError;
pub use client::{
    Candidate, Candidates, ClientCredentials, CredentialCheck, Overlap, OverlapTooLong,
    PreviousSecret, RegisteredClient, Registration, RotateError, Rotation, Slot, Update,
    UpdateError, Usability,
};
pub use client_url::ClientUrl;
pub use credentials::{BcryptCost, ClientId, ClientSecret, SecretHash, SecretHashing};
pub use error::{
    CharClass, ErrorCode, MetadataError, Problem, RedirectUriError, StatementProblem,
    UriSyntaxError, UrlError,
};
pub use grant_types::{GrantType, ResponseType};
pub use initial_access::{
    HostPattern, InitialAccessToken, InvalidTokenId, RedirectPattern, TokenId, TokenPolicy,
    TokenRequest,
};
pub use management::{RegisteredUnder, UpdateRequest, UpdateRules};
pub use metadata::{ApplicationType, ClientMetadata};
pub use policy::{Limits, PolicyError, RegistrationPolicy, ScopeOverflow};
pub use provenance::{Provenance, RegisteredVia};
pub use redirect_uri::{
    DANGEROUS_SCHEMES, DEFAULT_NATIVE_SCHEMES, REDIRECT_URI_RULE, RedirectKind, RedirectPolicy,
    RedirectUri, redirect_uri_matches,
};
pub use scope::{Scope, ScopeToken};
pub use secret_tag::SecretTag;
pub use software_statement::{StatementMode, TrustedIssuers};
pub use uri::is_public_address;
