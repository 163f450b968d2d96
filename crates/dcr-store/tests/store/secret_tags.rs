//! The secret tag column: written with every secret dcr issues (registration,
//! rotation, an update that issues or removes one), filled in only over the
//! hash it was made with, and a value that does not read back is no tag.

use dcr_core::{SecretHash, SecretTag};
use diesel::RunQueryDsl as _;
use store_secret_tags::*;

use super::*;

on_both_backends!(
    the_tag_follows_every_secret_change,
    a_tag_is_filled_in_only_over_the_hash_it_was_made_with,
    a_stored_tag_that_does_not_read_back_is_no_tag,
);

pub(crate) mod store_secret_tags {
    use super::*;

    #[derive(diesel::QueryableByName)]
    pub struct Tag {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        pub tag: Option<String>,
    }

    /// The column as stored, read past the store.
    pub fn stored_tag(db: &TestDatabase, client_id: &ClientId) -> Option<String> {
        diesel::sql_query(format!(
            "SELECT client_secret_tag AS tag FROM oauth_clients WHERE client_id = '{client_id}'"
        ))
        .get_result::<Tag>(&mut connect(db))
        .unwrap()
        .tag
    }

    pub fn confidential_body() -> serde_json::Value {
        let mut body = public_body();
        body["token_endpoint_auth_method"] = json!("client_secret_post");
        body
    }

    pub fn parts(client: &RegisteredClient) -> (SecretHash, Option<SecretTag>) {
        match &client.credentials {
            ClientCredentials::Confidential {
                secret_hash,
                secret_tag,
                ..
            } => (secret_hash.clone(), *secret_tag),
            ClientCredentials::Public => panic!("a confidential client came back public"),
        }
    }
}

fn the_tag_follows_every_secret_change(db: &TestDatabase) {
    let store = db.store();
    let registration = register(confidential_body(), 60);
    let client = &registration.client;
    let secret = registration.secret.as_ref().unwrap();
    store.insert_client(client).unwrap();
    let found = store.find_client(&client.client_id).unwrap();
    assert_eq!(&found, client);
    let (hash, tag) = parts(&found);
    let tag = tag.expect("an issued bcrypt secret is stored with its tag");
    assert!(tag.belongs_to(&hash) && tag.admits(&client.client_id, secret.expose()));
    assert_eq!(stored_tag(db, &client.client_id), Some(tag.to_stored()));

    // A rotation stores the new secret's tag.
    let policy = RegistrationPolicy::default();
    let cost = BcryptCost::new(4).unwrap();
    let dcr_core::Rotation {
        secret: rotated,
        credentials,
        ..
    } = found
        .rotate_secret(
            &policy,
            1,
            dcr_core::Overlap::NONE,
            cost,
            &mut StdRng::seed_from_u64(61),
        )
        .unwrap();
    store
        .replace_credentials(&client.client_id, &credentials, &admin())
        .unwrap();
    let found = store.find_client(&client.client_id).unwrap();
    let (hash, new_tag) = parts(&found);
    let new_tag = new_tag.unwrap();
    assert_ne!(new_tag, tag);
    assert!(new_tag.belongs_to(&hash) && new_tag.admits(&client.client_id, rotated.expose()));

    // An RFC 7592 update to a public client removes the secret and its tag;
    // one back to a secret stores the new secret's tag.
    let to_public = updated(
        &found,
        ClientMetadata::from_request(&public_body(), &policy).unwrap(),
        2,
        62,
    );
    let token = registration.access_token.digest();
    store
        .replace_client(
            &to_public.client,
            &token,
            dcr_store::SecretChange::Replace,
            &admin(),
        )
        .unwrap();
    assert_eq!(stored_tag(db, &client.client_id), None);
    let public = store.find_client(&client.client_id).unwrap();
    let back = updated(
        &public,
        ClientMetadata::from_request(&confidential_body(), &policy).unwrap(),
        3,
        63,
    );
    let token = to_public.access_token.digest();
    store
        .replace_client(
            &back.client,
            &token,
            dcr_store::SecretChange::Replace,
            &admin(),
        )
        .unwrap();
    let found = store.find_client(&client.client_id).unwrap();
    let (hash, tag) = parts(&found);
    let tag = tag.unwrap();
    let issued = back.secret.as_ref().unwrap();
    assert!(tag.belongs_to(&hash) && tag.admits(&client.client_id, issued.expose()));
}

fn a_tag_is_filled_in_only_over_the_hash_it_was_made_with(db: &TestDatabase) {
    let store = db.store();
    let registration = register(confidential_body(), 64);
    let secret = registration.secret.as_ref().unwrap().expose().to_owned();
    let (hash, tag) = parts(&registration.client);
    // As a release before tags stored it.
    let untagged = RegisteredClient {
        credentials: ClientCredentials::Confidential {
            secret_hash: hash.clone(),
            secret_tag: None,
            secret_expires_at: 0,
            previous_secret: None,
        },
        ..registration.client.clone()
    };
    let client_id = untagged.client_id;
    store.insert_client(&untagged).unwrap();
    assert_eq!(stored_tag(db, &client_id), None);
    let tag_to_fill = untagged.secret_tag_to_fill_in(&secret).unwrap();
    assert_eq!(Some(tag_to_fill), tag);

    // The secret was rotated since the check: its hash is not the one the
    // tag was made with, and nothing is written.
    let other = registration
        .secret
        .as_ref()
        .unwrap()
        .hash(BcryptCost::new(4).unwrap(), &mut StdRng::seed_from_u64(65))
        .unwrap();
    store
        .fill_secret_tag(&client_id, &other, &tag_to_fill)
        .unwrap();
    assert_eq!(parts(&store.find_client(&client_id).unwrap()).1, None);

    store
        .fill_secret_tag(&client_id, &hash, &tag_to_fill)
        .unwrap();
    assert_eq!(
        parts(&store.find_client(&client_id).unwrap()).1,
        Some(tag_to_fill)
    );
    // A client that is gone is no error.
    let gone = register(confidential_body(), 66).client.client_id;
    store.fill_secret_tag(&gone, &hash, &tag_to_fill).unwrap();
}

fn a_stored_tag_that_does_not_read_back_is_no_tag(db: &TestDatabase) {
    let store = db.store();
    let registration = register(confidential_body(), 67);
    let client_id = registration.client.client_id;
    store.insert_client(&registration.client).unwrap();
    diesel::sql_query(format!(
        "UPDATE oauth_clients SET client_secret_tag = 'not a tag' WHERE client_id = '{client_id}'"
    ))
    .execute(&mut connect(db))
    .unwrap();
    let found = store.find_client(&client_id).unwrap();
    assert_eq!(parts(&found).1, None);
    let secret = registration.secret.as_ref().unwrap().expose();
    assert!(found.verify_credentials(Some(secret), 1));
}
