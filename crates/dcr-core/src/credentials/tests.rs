#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::*;

fn rng() -> StdRng {
    StdRng::seed_from_u64(7591)
}

fn test_cost() -> BcryptCost {
    BcryptCost::new(4).unwrap()
}

#[test]
fn client_id_is_a_v4_uuid() {
    let mut rng = rng();
    let mut seen = HashSet::new();
    for _ in 0..100 {
        let id = ClientId::generate(&mut rng);
        let uuid = id.as_uuid();
        assert_eq!(uuid.get_version(), Some(uuid::Version::Random));
        assert_eq!(uuid.get_variant(), uuid::Variant::RFC4122);
        let shown = id.to_string();
        assert_eq!(shown.len(), 36);
        assert_eq!(shown, uuid.hyphenated().to_string());
        assert_eq!(ClientId::parse(&shown), Ok(id));
        assert!(seen.insert(id), "client ids repeat");
    }
}

#[test]
fn client_id_parse_accepts_only_the_hyphenated_form() {
    let id = ClientId::generate(&mut rng());
    let uuid = id.as_uuid();
    let refused = [
        uuid.simple().to_string(),
        uuid.braced().to_string(),
        uuid.urn().to_string(),
        format!(" {id}"),
        format!("{id} "),
        format!("{id}0"),
        String::new(),
        "not-a-client-id-not-a-client-id-1234".to_owned(),
        "0123456789abcdef-0123-4567-89ab-cdef".to_owned(),
    ];
    for raw in refused {
        assert_eq!(ClientId::parse(&raw), Err(InvalidClientId), "{raw:?}");
    }
    assert_eq!(ClientId::parse(&id.to_string()), Ok(id));
}

#[test]
fn secret_is_256_bits_of_url_safe_text() {
    let mut rng = rng();
    let mut seen = HashSet::new();
    for _ in 0..100 {
        let secret = ClientSecret::generate(&mut rng);
        let text = secret.expose();
        assert_eq!(text.len(), 43);
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{text:?} is not URL-safe"
        );
        let bytes = URL_SAFE_NO_PAD.decode(text).unwrap();
        assert!(bytes.len() * 8 >= 256);
        assert!(seen.insert(text.to_owned()), "secrets repeat");
    }
    let other_seed = ClientSecret::generate(&mut StdRng::seed_from_u64(1));
    assert!(!seen.contains(other_seed.expose()));
}

#[test]
fn hash_verifies_only_its_secret() {
    let mut rng = rng();
    let secret = ClientSecret::generate(&mut rng);
    let hash = secret.hash(test_cost(), &mut rng).unwrap();
    assert!(
        hash.as_stored().starts_with("$2b$04$"),
        "{}",
        hash.as_stored()
    );
    assert!(!hash.as_stored().contains(secret.expose()));
    assert!(hash.verify(secret.expose()));
    let wrong = ClientSecret::generate(&mut rng);
    assert!(!hash.verify(wrong.expose()));
    assert!(!hash.verify(""));
    assert!(!hash.verify(&secret.expose()[..42]));

    // A fresh salt each time; both hashes verify.
    let again = secret.hash(test_cost(), &mut rng).unwrap();
    assert_ne!(again, hash);
    assert!(again.verify(secret.expose()));

    // Read back from the store.
    let stored = SecretHash::from_stored(hash.as_stored().to_owned());
    assert!(stored.verify(secret.expose()));
    assert!(!SecretHash::from_stored("not a bcrypt hash".to_owned()).verify(secret.expose()));
    assert!(!SecretHash::from_stored(String::new()).verify(""));
}

#[test]
fn every_stored_scheme_verifies_whatever_hashes_new_secrets() {
    let mut rng = rng();
    let secret = ClientSecret::generate(&mut rng);
    let fast = secret.hash(SecretHashing::Sha256, &mut rng).unwrap();
    assert!(fast.as_stored().starts_with("$sha256$"));
    assert_eq!(fast.as_stored().len(), 8 + 64);
    assert!(!fast.is_slow());
    let slow = secret.hash(test_cost(), &mut rng).unwrap();
    assert!(slow.as_stored().starts_with("$2b$") && slow.is_slow());
    for hash in [&fast, &slow] {
        assert!(hash.verify(secret.expose()));
        assert!(!hash.verify(""));
        assert!(!hash.verify(&secret.expose()[1..]));
        assert!(hash.is_recognised());
    }
    // No salt: equal secrets, equal digests; the secret's 256 bits are
    // what no guess can find.
    assert_eq!(fast, secret.hash(SecretHashing::Sha256, &mut rng).unwrap());
}

/// The forms the Next.js endpoint stored, kept as they are by an import.
#[test]
fn imported_hashes_verify_as_they_were_stored() {
    let digest = "718873b42f6d0068d49ddb5e2890763e1bb40a9263cf061827ba5988682d35bb";
    let cases = [
        // The SHA-256 of "hello world, this is a test secret", bare hex.
        (digest.to_owned(), "hello world, this is a test secret"),
        (
            digest.to_ascii_uppercase(),
            "hello world, this is a test secret",
        ),
        (
            bcrypt::hash_with_salt("imported", 4, [7; 16])
                .unwrap()
                .format_for_version(bcrypt::Version::TwoA),
            "imported",
        ),
        (
            bcrypt::hash_with_salt("imported", 4, [7; 16])
                .unwrap()
                .format_for_version(bcrypt::Version::TwoY),
            "imported",
        ),
    ];
    for (stored, secret) in cases {
        let hash = SecretHash::from_stored(stored.clone());
        assert!(hash.is_recognised(), "{stored}");
        assert!(hash.verify(secret), "{stored}");
        assert!(!hash.verify("wrong"), "{stored}");
    }
    for unknown in [
        "",
        "plain-text-secret",
        "$1$md5crypt",
        &"g".repeat(64),
        "$sha256$abc",
    ] {
        let hash = SecretHash::from_stored(unknown.to_owned());
        assert!(!hash.is_recognised(), "{unknown}");
        assert!(!hash.verify(unknown));
    }
}

#[test]
fn hash_refuses_a_longer_string_that_bcrypt_would_key_the_same() {
    let mut rng = rng();
    let secret = ClientSecret::generate(&mut rng);
    let hash = secret.hash(test_cost(), &mut rng).unwrap();
    let same_key = format!("{}\0{}", secret.expose(), &secret.expose()[..28]);
    assert_eq!(same_key.len(), 72);
    assert!(hash.verify(secret.expose()));
    assert!(!hash.verify(&same_key));
    assert!(!hash.verify(&format!("{same_key}anything")));
}

#[test]
fn debug_never_shows_a_secret() {
    let mut rng = rng();
    let secret = ClientSecret::generate(&mut rng);
    let hash = secret.hash(test_cost(), &mut rng).unwrap();
    let secret_debug = format!("{secret:?}");
    let hash_debug = format!("{hash:?}");
    assert_eq!(secret_debug, "ClientSecret(<redacted>)");
    assert_eq!(hash_debug, "SecretHash(<redacted>)");
    for shown in [
        &secret_debug,
        &hash_debug,
        &format!("{secret:#?} {hash:#?}"),
    ] {
        assert!(!shown.contains(secret.expose()));
        assert!(!shown.contains(hash.as_stored()));
        assert!(!shown.contains("$2b$"));
    }
}

#[test]
fn bcrypt_cost_bounds() {
    let cases = [
        (0, Err(InvalidBcryptCost(0))),
        (3, Err(InvalidBcryptCost(3))),
        (4, Ok(4)),
        (12, Ok(12)),
        (31, Ok(31)),
        (32, Err(InvalidBcryptCost(32))),
        (u32::MAX, Err(InvalidBcryptCost(u32::MAX))),
    ];
    for (cost, expected) in cases {
        assert_eq!(
            BcryptCost::new(cost).map(BcryptCost::get),
            expected,
            "{cost}"
        );
    }
    assert_eq!(BcryptCost::default(), BcryptCost::DEFAULT);
    assert_eq!(BcryptCost::default().get(), 12);
}

#[test]
fn hex_is_two_lower_case_digits_per_byte() {
    let cases: [(&[u8], &str); 4] = [
        (&[], ""),
        (&[0x00, 0x0f, 0x10], "000f10"),
        (&[0xab, 0xcd, 0xef, 0xff], "abcdefff"),
        (&[0x01, 0x23, 0x45, 0x67, 0x89], "0123456789"),
    ];
    for (bytes, expected) in cases {
        assert_eq!(hex(bytes), expected, "{bytes:?}");
    }
    let every_byte: Vec<u8> = (0..=255).collect();
    let expected: String = every_byte.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex(&every_byte), expected);
}
