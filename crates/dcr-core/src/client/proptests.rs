//! The token endpoint's check never accepts a string other than the issued
//! secret. Few cases: each one runs bcrypt, slow even at cost 4.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::credentials::BcryptCost;
use std::sync::OnceLock;

use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::json;

use super::*;

const NOW: i64 = 1_767_225_600;

/// One registration per kind of client, issued once for every case.
fn issued(method: &'static str) -> &'static Registration {
    static CONFIDENTIAL: OnceLock<Registration> = OnceLock::new();
    static PUBLIC: OnceLock<Registration> = OnceLock::new();
    let cell = if method == "none" {
        &PUBLIC
    } else {
        &CONFIDENTIAL
    };
    cell.get_or_init(|| {
        let policy = RegistrationPolicy::default();
        let body = json!({
            "redirect_uris": ["https://app.example/cb"],
            "token_endpoint_auth_method": method,
        });
        let metadata = ClientMetadata::from_request(&body, &policy).unwrap();
        let cost = BcryptCost::new(4).unwrap();
        Registration::issue(
            metadata,
            &policy,
            NOW,
            cost,
            &mut StdRng::seed_from_u64(7591),
        )
        .unwrap()
    })
}

/// How to make a candidate from the issued secret: near misses, and strings
/// that have nothing to do with it.
#[derive(Debug, Clone)]
enum Edit {
    Arbitrary(String),
    KeepFirst(usize),
    Append(String),
    Prepend(String),
    Change(usize, char),
    /// Append a NUL and then a prefix of the secret itself: bcrypt cycles a
    /// short key, so this is the shape that could fool it.
    CycleWithNul(usize, String),
}

impl Edit {
    fn apply(&self, secret: &str) -> String {
        let chars: Vec<char> = secret.chars().collect();
        match self {
            Self::Arbitrary(text) => text.clone(),
            Self::KeepFirst(count) => chars[..count % chars.len()].iter().collect(),
            Self::Append(suffix) => format!("{secret}{suffix}"),
            Self::Prepend(prefix) => format!("{prefix}{secret}"),
            Self::Change(index, replacement) => {
                let mut chars = chars;
                let index = index % chars.len();
                chars[index] = *replacement;
                chars.into_iter().collect()
            }
            Self::CycleWithNul(count, tail) => {
                let prefix: String = chars[..count % chars.len()].iter().collect();
                format!("{secret}\0{prefix}{tail}")
            }
        }
    }
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<String>().prop_map(Edit::Arbitrary),
        "[A-Za-z0-9_-]{0,80}".prop_map(Edit::Arbitrary),
        any::<usize>().prop_map(Edit::KeepFirst),
        any::<String>().prop_map(Edit::Append),
        any::<String>().prop_map(Edit::Prepend),
        (any::<usize>(), any::<char>()).prop_map(|(index, c)| Edit::Change(index, c)),
        (any::<usize>(), "[A-Za-z0-9_-]{0,8}")
            .prop_map(|(count, tail)| Edit::CycleWithNul(count, tail)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn only_the_issued_secret_verifies(edit in edit(), now in any::<i64>()) {
        let registration = issued("client_secret_basic");
        let secret = registration.secret.as_ref().unwrap().expose();
        let presented = edit.apply(secret);
        prop_assume!(presented != secret);
        prop_assert!(!registration.client.verify_credentials(Some(&presented), now));
        prop_assert!(!registration.client.secret_matches(&presented));
    }

    #[test]
    fn a_public_client_refuses_every_presented_string(
        presented in any::<String>(),
        now in any::<i64>(),
    ) {
        let registration = issued("none");
        prop_assert!(!registration.client.verify_credentials(Some(&presented), now));
    }
}
