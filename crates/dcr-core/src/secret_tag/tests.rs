//! The secret tag: what it admits, its stored form, the hash it belongs to,
//! when one is filled in, and how the credential check uses it. bcrypt runs
//! at cost 4 and every random source is seeded, so each value is exact.

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::json;

use super::*;
use crate::client::{ClientCredentials, CredentialCheck, RegisteredClient, Registration};
use crate::credentials::{BcryptCost, SecretHashing};
use crate::metadata::ClientMetadata;
use crate::policy::RegistrationPolicy;
use crate::provenance::{Provenance, RegisteredVia};

const NOW: i64 = 1_767_225_600;

fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

fn cost() -> BcryptCost {
    BcryptCost::new(4).unwrap()
}

/// A confidential client as registration issues it, and its secret.
fn registered(hashing: impl Into<SecretHashing>, seed: u64) -> (RegisteredClient, String) {
    let policy = RegistrationPolicy::default();
    let body = json!({
        "redirect_uris": ["https://app.example/cb"],
        "token_endpoint_auth_method": "client_secret_basic",
    });
    let metadata = ClientMetadata::from_request(&body, &policy).unwrap();
    let registration =
        Registration::issue(metadata, &policy, NOW, hashing, &mut rng(seed)).unwrap();
    let secret = registration.secret.as_ref().unwrap().expose().to_owned();
    (registration.client, secret)
}

fn parts(client: &RegisteredClient) -> (&SecretHash, Option<SecretTag>) {
    match &client.credentials {
        ClientCredentials::Confidential {
            secret_hash,
            secret_tag,
            ..
        } => (secret_hash, *secret_tag),
        ClientCredentials::Public => panic!("a confidential client"),
    }
}

/// The client with its stored tag replaced.
fn with_tag(client: &RegisteredClient, tag: Option<SecretTag>) -> RegisteredClient {
    let (secret_hash, _) = parts(client);
    RegisteredClient {
        credentials: ClientCredentials::Confidential {
            secret_hash: secret_hash.clone(),
            secret_tag: tag,
            secret_expires_at: 0,
            previous_secret: None,
        },
        ..client.clone()
    }
}

#[test]
fn a_tag_admits_its_secret_and_refuses_others() {
    let mut rng = rng(1);
    let client_id = ClientId::generate(&mut rng);
    let secret = ClientSecret::generate(&mut rng);
    let hash = secret.hash(cost(), &mut rng).unwrap();
    let tag = SecretTag::of(&client_id, &secret, &hash);
    assert!(tag.admits(&client_id, secret.expose()));
    let text = secret.expose();
    for wrong in [
        String::new(),
        text[..42].to_owned(),
        format!("{text}A"),
        text.to_ascii_uppercase(),
        "not-the-secret".to_owned(),
    ] {
        assert!(!tag.admits(&client_id, &wrong), "{wrong:?}");
    }
    // Guesses of the issued shape: each is admitted once in 2^32, so none of
    // these (the seed fixes them).
    for _ in 0..10_000 {
        let guess = ClientSecret::generate(&mut rng);
        assert!(!tag.admits(&client_id, guess.expose()));
    }
    // Keyed by the client: the same secret under another client_id.
    let other_id = ClientId::generate(&mut rng);
    assert!(!tag.admits(&other_id, secret.expose()));
    assert_ne!(SecretTag::of(&other_id, &secret, &hash), tag);
    // The same inputs, the same tag.
    assert_eq!(SecretTag::of(&client_id, &secret, &hash), tag);
}

#[test]
fn the_stored_form_reads_back_and_nothing_else_does() {
    let mut rng = rng(2);
    let client_id = ClientId::generate(&mut rng);
    let secret = ClientSecret::generate(&mut rng);
    let hash = secret.hash(cost(), &mut rng).unwrap();
    let tag = SecretTag::of(&client_id, &secret, &hash);
    let stored = tag.to_stored();
    assert_eq!(stored.len(), 3 + 8 + 1 + 8, "{stored}");
    assert!(stored.starts_with("t1:"), "{stored}");
    assert!(!stored.contains(secret.expose()));
    assert_eq!(SecretTag::from_stored(&stored), Some(tag));
    let (tag_hex, check_hex) = stored["t1:".len()..].split_once(':').unwrap();
    for malformed in [
        String::new(),
        "t1:".to_owned(),
        format!("t2:{tag_hex}:{check_hex}"),
        format!("{tag_hex}:{check_hex}"),
        format!("t1:{tag_hex}"),
        format!("t1:{tag_hex}:{check_hex}:"),
        format!("t1:{}:{check_hex}", &tag_hex[1..]),
        format!("t1:{tag_hex}0:{check_hex}"),
        format!(
            "t1:{}:{check_hex}",
            tag_hex.to_ascii_uppercase().replace('0', "G")
        ),
        "t1:ABCDEF01:abcdef01".to_owned(),
        "t1:+bcdef01:abcdef01".to_owned(),
        format!(" {stored}"),
    ] {
        assert_eq!(SecretTag::from_stored(&malformed), None, "{malformed:?}");
    }
}

#[test]
fn a_tag_belongs_to_the_hash_it_was_made_with() {
    let mut rng = rng(3);
    let client_id = ClientId::generate(&mut rng);
    let secret = ClientSecret::generate(&mut rng);
    let hash = secret.hash(cost(), &mut rng).unwrap();
    let tag = SecretTag::of(&client_id, &secret, &hash);
    assert!(tag.belongs_to(&hash));
    assert!(tag.belongs_to(&SecretHash::from_stored(hash.as_stored().to_owned())));
    // The same secret hashed again (a new salt) is another hash.
    let again = secret.hash(cost(), &mut rng).unwrap();
    assert!(!tag.belongs_to(&again));
    let other = ClientSecret::generate(&mut rng)
        .hash(cost(), &mut rng)
        .unwrap();
    assert!(!tag.belongs_to(&other));
}

#[test]
fn debug_never_shows_a_tag() {
    let (client, secret) = registered(cost(), 4);
    let (_, tag) = parts(&client);
    let tag = tag.unwrap();
    let shown = format!("{tag:?} {tag:#?} {client:?}");
    assert!(shown.contains("SecretTag(<redacted>)"), "{shown}");
    let stored = tag.to_stored();
    let (tag_hex, check_hex) = stored["t1:".len()..].split_once(':').unwrap();
    assert!(!shown.contains(tag_hex) && !shown.contains(check_hex));
    assert!(!shown.contains(&secret));
}

#[test]
fn issued_bcrypt_secrets_are_tagged_and_sha256_ones_are_not() {
    let (client, secret) = registered(cost(), 5);
    let (hash, tag) = parts(&client);
    let tag = tag.expect("a bcrypt-hashed secret dcr issues has a tag");
    assert!(tag.belongs_to(hash));
    assert!(tag.admits(&client.client_id, &secret));

    let (fast, _) = registered(SecretHashing::Sha256, 6);
    assert_eq!(parts(&fast).1, None, "a SHA-256 check is cheap already");
}

/// A tag is filled in on the first confirmed use of a secret dcr issued
/// before tags, never for an imported client or another kind of secret.
#[test]
fn a_tag_is_filled_in_only_for_a_secret_dcr_issued() {
    let (tagged, secret) = registered(cost(), 7);
    let (hash, issued_tag) = parts(&tagged);
    let untagged = with_tag(&tagged, None);
    assert_eq!(
        untagged.secret_tag_to_fill_in(&secret),
        issued_tag,
        "the tag it would have had"
    );
    assert_eq!(tagged.secret_tag_to_fill_in(&secret), None);

    // A tag left from a secret replaced without one is replaced.
    let stale_hash = ClientSecret::generate(&mut rng(8))
        .hash(cost(), &mut rng(9))
        .unwrap();
    let stale = SecretTag::made(&tagged.client_id, &secret, &stale_hash);
    assert!(!stale.belongs_to(hash));
    assert_eq!(
        with_tag(&tagged, Some(stale)).secret_tag_to_fill_in(&secret),
        issued_tag
    );

    let imported = RegisteredClient {
        provenance: Provenance {
            via: RegisteredVia::Imported,
            ..Provenance::default()
        },
        ..untagged.clone()
    };
    assert_eq!(imported.secret_tag_to_fill_in(&secret), None);

    // Not the shape of a secret dcr issues (such a row was not made here).
    for odd in [
        &secret[..42],
        "short imported secret",
        &format!("{secret}A"),
        &format!("{}=", &secret),
    ] {
        assert_eq!(untagged.secret_tag_to_fill_in(odd), None, "{odd:?}");
    }

    let (fast, fast_secret) = registered(SecretHashing::Sha256, 10);
    assert_eq!(fast.secret_tag_to_fill_in(&fast_secret), None);
}

/// The credential check refuses a secret its tag does not admit, with no
/// comparison to make; it vets one the tag admits; without a tag (or with
/// one made for another hash) the comparison is left to the caller.
#[test]
fn the_credential_check_refuses_what_the_tag_refuses() {
    let (tagged, secret) = registered(cost(), 11);
    let vetted = |client: &RegisteredClient, presented: &str| match client
        .credential_check(Some(presented), NOW)
    {
        CredentialCheck::CompareSecret { candidates, .. } => {
            let only: Vec<_> = candidates.iter().collect();
            assert_eq!(only.len(), 1, "one secret, one candidate");
            Some(only[0].vetted)
        }
        CredentialCheck::Refused => None,
        CredentialCheck::Accepted => panic!("a confidential client presents a secret"),
    };
    assert_eq!(vetted(&tagged, &secret), Some(true));
    assert_eq!(vetted(&tagged, "wrong"), None);
    assert!(tagged.verify_credentials(Some(&secret), NOW));
    assert!(!tagged.verify_credentials(Some("wrong"), NOW));

    let untagged = with_tag(&tagged, None);
    assert_eq!(vetted(&untagged, &secret), Some(false));
    assert_eq!(vetted(&untagged, "wrong"), Some(false));

    let stale_hash = ClientSecret::generate(&mut rng(12))
        .hash(cost(), &mut rng(13))
        .unwrap();
    let stale = with_tag(
        &tagged,
        Some(SecretTag::made(
            &tagged.client_id,
            "an older secret",
            &stale_hash,
        )),
    );
    assert_eq!(
        vetted(&stale, &secret),
        Some(false),
        "the right secret goes on"
    );
    assert!(stale.verify_credentials(Some(&secret), NOW));
}
