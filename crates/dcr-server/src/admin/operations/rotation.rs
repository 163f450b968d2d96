//! Secret rotation: a new secret, shown once; the old one stops working at
//! once, or after an overlap (see dcr-core's `client::rotation`). Three
//! steps, because the admin API runs each where it belongs (the store's on
//! the database pool, the hashing on the hashing pool) and the CLI runs them
//! in a row (`rotate_secret`): the client read, core's rotation, then the
//! store's compare-and-swap, which refuses a rotation whose starting secret
//! is gone.

use dcr_core::{ClientId, Overlap, RegisteredClient, RegistrationPolicy, Rotation, SecretHashing};
use dcr_store::{Store, StoreError};
use rand::rngs::OsRng;

use super::clients::show;
use super::{ClientRef, OperationError, missing};
use crate::clock::unix_now;

/// What a rotation follows: the server's policy and hashing.
#[derive(Debug, Clone, Copy)]
pub struct RotationRules<'a> {
    pub policy: &'a RegistrationPolicy,
    pub hashing: SecretHashing,
}

/// The client to rotate: a registered one (a URL client has no secret).
pub fn rotation_subject(
    store: &Store,
    client: &ClientRef,
) -> Result<RegisteredClient, OperationError> {
    client.registered("a URL client id has no secret; there is none to rotate")?;
    show(store, client)
}

/// Core's rotation: the new secret and its hash (slow with bcrypt: the
/// admin API runs it on the hashing pool).
pub fn new_secret(
    client: &RegisteredClient,
    rules: RotationRules<'_>,
    now: i64,
    overlap: Overlap,
) -> Result<Rotation, OperationError> {
    client
        .rotate_secret(rules.policy, now, overlap, rules.hashing, &mut OsRng)
        .map_err(OperationError::Rotate)
}

/// Stores `rotation` if the secret it replaces is still the client's.
pub fn store_rotation(
    store: &Store,
    client_id: &ClientId,
    rotation: &Rotation,
) -> Result<(), OperationError> {
    let by = dcr_core::Occasion::admin(unix_now());
    match store.rotate_secret(client_id, &rotation.replaces, &rotation.credentials, &by) {
        Err(StoreError::Conflict(_)) => Err(OperationError::RotatedMeanwhile),
        other => other
            .map_err(|err| missing(err, || OperationError::NoSuchClient(client_id.to_string()))),
    }
}

/// The three steps in a row, for a caller that may block (the CLI). Returns
/// the client's id and the rotation stored.
pub fn rotate_secret(
    store: &Store,
    client: &ClientRef,
    rules: RotationRules<'_>,
    overlap: Overlap,
) -> Result<(ClientId, Rotation), OperationError> {
    let subject = rotation_subject(store, client)?;
    let rotation = new_secret(&subject, rules, unix_now(), overlap)?;
    store_rotation(store, &subject.client_id, &rotation)?;
    Ok((subject.client_id, rotation))
}
