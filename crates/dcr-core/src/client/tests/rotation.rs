//! Rotation with an overlap: how long the replaced secret lives, which
//! secrets the credential check then compares, and what a second rotation
//! drops.

use super::*;

const HOUR: i64 = 3600;

fn overlap(secs: u64) -> Overlap {
    Overlap::from_secs(secs).unwrap()
}

/// `registration`'s client with the rotation stored, as the store would
/// read it back.
fn rotated(client: &RegisteredClient, rotation: &Rotation) -> RegisteredClient {
    RegisteredClient {
        credentials: rotation.credentials.clone(),
        ..client.clone()
    }
}

fn rotate(client: &RegisteredClient, at: i64, keep: u64, seed: u64) -> Rotation {
    client
        .rotate_secret(
            &all_methods_policy(),
            at,
            overlap(keep),
            cost(),
            &mut rng(seed),
        )
        .unwrap()
}

#[test]
fn overlap_is_zero_to_thirty_days() {
    let cases = [
        (0, Ok(0)),
        (1, Ok(1)),
        (2_592_000, Ok(2_592_000)),
        (2_592_001, Err(OverlapTooLong)),
        (u64::from(u32::MAX) + 1, Err(OverlapTooLong)),
        (u64::MAX, Err(OverlapTooLong)),
    ];
    for (secs, expected) in cases {
        assert_eq!(
            Overlap::from_secs(secs).map(Overlap::secs),
            expected,
            "{secs}"
        );
    }
    assert_eq!(Overlap::default(), Overlap::NONE);
}

/// The replaced secret lives for the overlap, never past its own expiry,
/// and is not kept at all when that leaves nothing.
#[test]
fn the_replaced_secret_lives_for_the_overlap_and_no_longer_than_itself() {
    // (lifetime of the first secret, issued at NOW; overlap; expected end of
    // the replaced secret for a rotation at LATER = NOW + 1000)
    let cases = [
        (0, 0, None),
        (0, 3600, Some(LATER + 3600)),
        (0, 2_592_000, Some(LATER + 2_592_000)),
        (10_000, 60, Some(LATER + 60)),
        (2_000, 3600, Some(NOW + 2_000)),
        (1_001, 3600, Some(NOW + 1_001)),
        // Expired at the rotation, or exactly then: nothing left to keep.
        (1_000, 3600, None),
        (600, 3600, None),
        (10_000, 0, None),
    ];
    for (seed, (lifetime, keep, expected)) in (400u64..).zip(cases) {
        let registration = issue_with("client_secret_basic", &with_lifetime(lifetime), seed);
        let old = secret_of(&registration);
        let rotation = rotate(&registration.client, LATER, keep, seed + 50);
        let case = format!("lifetime {lifetime}, overlap {keep}");
        assert_eq!(rotation.previous_secret_expires_at(), expected, "{case}");
        let ClientCredentials::Confidential {
            previous_secret, ..
        } = &rotation.credentials
        else {
            panic!("{case}: still confidential");
        };
        if let Some(previous) = previous_secret {
            assert!(previous.hash.verify(old), "{case}");
            assert!(
                previous
                    .tag
                    .unwrap()
                    .admits(&registration.client.client_id, old)
            );
        }
        assert!(rotation.replaces.verify(old), "{case}");
    }
}

#[derive(Debug, Clone, Copy)]
enum Which {
    First,
    Second,
    Wrong,
}

/// During the overlap both secrets verify; at its end only the new one.
#[test]
fn both_secrets_verify_until_the_overlap_ends() {
    use Which::{First, Second, Wrong};
    let registration = issue_with("client_secret_basic", &all_methods_policy(), 430);
    let first = secret_of(&registration).to_owned();
    let rotation = rotate(&registration.client, LATER, 3600, 431);
    let second = rotation.secret.expose().to_owned();
    let client = rotated(&registration.client, &rotation);
    // (presented, now, active, accepted)
    let cases = [
        (Second, LATER, true, true),
        (First, LATER, true, true),
        (First, LATER + HOUR - 1, true, true),
        (First, LATER + HOUR, true, false),
        (First, LATER + 30 * HOUR, true, false),
        (Second, LATER + 30 * HOUR, true, true),
        (Wrong, LATER, true, false),
        (First, LATER, false, false),
        (Second, LATER, false, false),
    ];
    for (presented, now, active, accepted) in cases {
        let client = RegisteredClient {
            active,
            ..client.clone()
        };
        let secret = match presented {
            First => first.as_str(),
            Second => second.as_str(),
            Wrong => "not-the-secret",
        };
        let case = format!("{presented:?} at {now}, active {active}");
        assert_eq!(
            client.verify_credentials(Some(secret), now),
            accepted,
            "{case}"
        );
    }
}

/// Each secret's tag admits only itself, so each secret is compared with
/// its own hash alone, vetted; a replaced secret past its overlap is no
/// candidate at all.
#[test]
fn the_check_compares_each_secret_with_its_own_hash() {
    let registration = issue_with("client_secret_basic", &all_methods_policy(), 440);
    let first = secret_of(&registration).to_owned();
    let rotation = rotate(&registration.client, LATER, 3600, 441);
    let client = rotated(&registration.client, &rotation);
    let slots = |presented: &str, now: i64| match client.credential_check(Some(presented), now) {
        CredentialCheck::CompareSecret { candidates, .. } => Some(
            candidates
                .iter()
                .map(|candidate| (candidate.slot, candidate.vetted, candidate.unexpired))
                .collect::<Vec<_>>(),
        ),
        CredentialCheck::Refused => None,
        CredentialCheck::Accepted => panic!("a confidential client presents a secret"),
    };
    let cases = [
        (
            first.as_str(),
            LATER,
            Some(vec![(Slot::Previous, true, true)]),
        ),
        (first.as_str(), LATER + HOUR, None),
        (
            rotation.secret.expose(),
            LATER,
            Some(vec![(Slot::Current, true, true)]),
        ),
        (
            rotation.secret.expose(),
            LATER + HOUR,
            Some(vec![(Slot::Current, true, true)]),
        ),
        ("wrong", LATER, None),
    ];
    for (index, (presented, now, expected)) in cases.into_iter().enumerate() {
        assert_eq!(slots(presented, now), expected, "case {index}");
    }
}

/// Without tags (SHA-256 hashes), both secrets are candidates, current
/// first, and each comparison is left to the caller.
#[test]
fn untagged_secrets_are_both_compared() {
    let policy = all_methods_policy();
    let metadata =
        ClientMetadata::from_request(&body_with("client_secret_basic"), &policy).unwrap();
    let registration =
        Registration::issue(metadata, &policy, NOW, SecretHashing::Sha256, &mut rng(450)).unwrap();
    let first = secret_of(&registration).to_owned();
    let rotation = registration
        .client
        .rotate_secret(
            &policy,
            LATER,
            overlap(60),
            SecretHashing::Sha256,
            &mut rng(451),
        )
        .unwrap();
    let client = rotated(&registration.client, &rotation);
    let CredentialCheck::CompareSecret { candidates, .. } =
        client.credential_check(Some(&first), LATER)
    else {
        panic!("both secrets are candidates");
    };
    let slots: Vec<_> = candidates
        .iter()
        .map(|candidate| (candidate.slot, candidate.vetted))
        .collect();
    assert_eq!(slots, [(Slot::Current, false), (Slot::Previous, false)]);
    assert!(client.verify_credentials(Some(&first), LATER + 59));
    assert!(!client.verify_credentials(Some(&first), LATER + 60));
    assert!(client.verify_credentials(Some(rotation.secret.expose()), LATER + 60));
}

/// A client holds at most two secrets: a second rotation during an overlap
/// drops the first secret, whatever the second overlap is.
#[test]
fn a_second_rotation_drops_the_oldest_secret() {
    // (second overlap, second secret accepted after the second rotation)
    let cases = [(0, false), (60, true), (7200, true)];
    for (seed, (keep, second_kept)) in (460u64..).step_by(3).zip(cases) {
        let registration = issue_with("client_secret_basic", &all_methods_policy(), seed);
        let first = secret_of(&registration).to_owned();
        let once = rotate(&registration.client, LATER, 3600, seed + 1);
        let client = rotated(&registration.client, &once);
        let twice = rotate(&client, LATER + 10, keep, seed + 2);
        assert!(twice.replaces.verify(once.secret.expose()));
        let client = rotated(&client, &twice);
        let case = format!("second overlap {keep}");
        assert!(
            !client.verify_credentials(Some(&first), LATER + 10),
            "{case}"
        );
        assert_eq!(
            client.verify_credentials(Some(once.secret.expose()), LATER + 10),
            second_kept,
            "{case}"
        );
        assert!(client.verify_credentials(Some(twice.secret.expose()), LATER + 10));
        let expected = (keep > 0).then(|| LATER + 10 + i64::try_from(keep).unwrap());
        assert_eq!(client.credentials.previous_secret_expires_at(), expected);
    }
}

/// An RFC 7592 update may echo the replaced secret while it still works;
/// the update keeps both secrets as they are.
#[test]
fn an_update_accepts_the_replaced_secret_during_the_overlap() {
    let policy = all_methods_policy();
    let registration = issue_with("client_secret_basic", &policy, 480);
    let first = secret_of(&registration).to_owned();
    let rotation = rotate(&registration.client, LATER, 3600, 481);
    let client = rotated(&registration.client, &rotation);
    let update = |presented: &str, now: i64| {
        client.apply_update(
            UpdateRequest {
                metadata: metadata("client_secret_basic"),
                presented_secret: Some(presented.to_owned()),
            },
            &policy,
            now,
            cost(),
            &mut rng(482),
        )
    };
    let kept = update(&first, LATER + HOUR - 1).unwrap();
    assert_eq!(kept.client.credentials, client.credentials);
    assert!(!kept.secret_replaced);
    assert!(update(rotation.secret.expose(), LATER + HOUR).is_ok());
    assert_eq!(
        update(&first, LATER + HOUR).unwrap_err(),
        UpdateError::Refused(MetadataError::at_key(
            "client_secret",
            Problem::SecretMismatch
        ))
    );
}
