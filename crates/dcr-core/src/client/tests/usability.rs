//! `usability`, the authorize-time answer: each case, and its agreement with
//! the credential check given the right credentials.

use super::*;

#[test]
fn usability_agrees_with_the_credential_check() {
    let expiring = issue_with("client_secret_basic", &with_lifetime(3600), 300);
    let lasting = issue_with("client_secret_post", &all_methods_policy(), 301);
    let public = issue_with("none", &all_methods_policy(), 302);
    let disabled = |registration: &Registration| RegisteredClient {
        active: false,
        ..registration.client.clone()
    };
    let cases = [
        (
            "expiring secret, before",
            &expiring,
            expiring.client.clone(),
            NOW,
            Usability::Usable,
        ),
        (
            "expiring secret, last second",
            &expiring,
            expiring.client.clone(),
            NOW + 3599,
            Usability::Usable,
        ),
        (
            "expiring secret, at expiry",
            &expiring,
            expiring.client.clone(),
            NOW + 3600,
            Usability::SecretExpired,
        ),
        (
            "expiring secret, after",
            &expiring,
            expiring.client.clone(),
            NOW + 7200,
            Usability::SecretExpired,
        ),
        (
            "secret that never expires",
            &lasting,
            lasting.client.clone(),
            NOW + 999_999_999,
            Usability::Usable,
        ),
        (
            "public client",
            &public,
            public.client.clone(),
            NOW,
            Usability::Usable,
        ),
        (
            "disabled confidential",
            &lasting,
            disabled(&lasting),
            NOW,
            Usability::Disabled,
        ),
        (
            "disabled public",
            &public,
            disabled(&public),
            NOW,
            Usability::Disabled,
        ),
        (
            "disabled wins over expiry",
            &expiring,
            disabled(&expiring),
            NOW + 7200,
            Usability::Disabled,
        ),
    ];
    for (case, registration, client, now, expected) in cases {
        assert_eq!(client.usability(now), expected, "{case}");
        let right = registration.secret.as_ref().map(ClientSecret::expose);
        assert_eq!(
            client.verify_credentials(right, now),
            expected == Usability::Usable,
            "{case}: the credential check disagrees"
        );
    }
}

#[test]
fn each_unusable_state_has_its_reason() {
    let reasons = [
        (Usability::Usable, None),
        (Usability::Disabled, Some("disabled")),
        (Usability::SecretExpired, Some("secret_expired")),
    ];
    for (usability, reason) in reasons {
        assert_eq!(usability.reason(), reason, "{usability:?}");
    }
}
