//! One refused request per rule, each with the exact error it must get.

mod flows;
mod hostile;
mod members;
mod redirect_uris;
mod strings;

use super::*;
use crate::error::{CharClass, ErrorCode, JsonType, RedirectUriError, UriSyntaxError, UrlError};
use crate::policy::Limits;
use crate::redirect_uri::RedirectPolicy;
use crate::test_support::{implicit_policy, key_auth_policy};

const REDIRECT: ErrorCode = ErrorCode::InvalidRedirectUri;
const METADATA: ErrorCode = ErrorCode::InvalidClientMetadata;

struct Refused {
    rule: &'static str,
    policy: RegistrationPolicy,
    body: Value,
    pointer: &'static str,
    problem: Problem,
    code: ErrorCode,
}

/// A refusal under the default policy.
fn refused(
    rule: &'static str,
    body: Value,
    pointer: &'static str,
    problem: Problem,
    code: ErrorCode,
) -> Refused {
    Refused {
        rule,
        policy: RegistrationPolicy::default(),
        body,
        pointer,
        problem,
        code,
    }
}

impl Refused {
    fn under(self, policy: RegistrationPolicy) -> Self {
        Self { policy, ..self }
    }
}

fn assert_refused(cases: Vec<Refused>) {
    for case in cases {
        let error = validate_with(&case.body, &case.policy)
            .map(|metadata| panic!("{}: accepted as {metadata:?}", case.rule))
            .unwrap_err();
        assert_eq!(
            error,
            MetadataError::new(case.pointer, case.problem),
            "{}",
            case.rule
        );
        assert_eq!(error.code(), case.code, "{}", case.rule);
    }
}

fn redirect_uri(raw: &str) -> Value {
    body(json!({ "redirect_uris": [raw] }))
}

fn bad_redirect(rule: &'static str, raw: &str, reason: RedirectUriError) -> Refused {
    refused(
        rule,
        redirect_uri(raw),
        "/redirect_uris/0",
        Problem::RedirectUri(reason),
        REDIRECT,
    )
}

fn control(code_point: char) -> Problem {
    Problem::Character {
        code_point,
        class: CharClass::Control,
    }
}

fn wrong_type(expected: JsonType) -> Problem {
    Problem::WrongType { expected }
}
