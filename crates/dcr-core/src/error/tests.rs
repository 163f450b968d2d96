#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;

use super::*;

const URI_SYNTAX_ERRORS: [UriSyntaxError; 11] = [
    UriSyntaxError::NotAbsolute,
    UriSyntaxError::NonAscii,
    UriSyntaxError::Backslash,
    UriSyntaxError::ForbiddenCharacter,
    UriSyntaxError::MissingAuthority,
    UriSyntaxError::MissingHost,
    UriSyntaxError::UserInfo,
    UriSyntaxError::InvalidHost,
    UriSyntaxError::AmbiguousHost,
    UriSyntaxError::InvalidPort,
    UriSyntaxError::ZoneId,
];

const REDIRECT_URI_ERRORS: [RedirectUriError; 9] = [
    RedirectUriError::Fragment,
    RedirectUriError::Wildcard,
    RedirectUriError::TooLong { max: 2000 },
    RedirectUriError::InsecureHttp,
    RedirectUriError::LocalhostNotAllowed,
    RedirectUriError::DangerousScheme,
    RedirectUriError::CustomSchemeNotAllowed,
    RedirectUriError::SchemeNotAllowed,
    RedirectUriError::NotReverseDomainName,
];

const URL_ERRORS: [UrlError; 3] = [
    UrlError::InsecureScheme,
    UrlError::NonPublicHost,
    UrlError::TooLong { max: 2000 },
];

const CHAR_CLASSES: [CharClass; 6] = [
    CharClass::Control,
    CharClass::Format,
    CharClass::Separator,
    CharClass::PrivateUse,
    CharClass::Noncharacter,
    CharClass::DefaultIgnorable,
];

/// Every problem there is; the match below stops compiling when a variant
/// is added, so a new one cannot skip the description test.
fn all_problems() -> Vec<Problem> {
    let mut problems = vec![
        Problem::NotAnObject,
        Problem::WrongType {
            expected: JsonType::String,
        },
        Problem::WrongType {
            expected: JsonType::ArrayOfStrings,
        },
        Problem::WrongType {
            expected: JsonType::Object,
        },
        Problem::Empty,
        Problem::TooLong { max: 2000 },
        Problem::TooMany { max: 20 },
        Problem::DuplicateMember,
        Problem::MemberNameCharacter,
        Problem::GrantNeedsClientAuthentication {
            grant_type: "client_credentials",
        },
        Problem::PrivateKeyMaterial,
        Problem::SymmetricKey,
        Problem::KeyTypeMissing,
        Problem::RedirectUrisRequired,
        Problem::UnknownValue,
        Problem::UnsupportedValue,
        Problem::GrantNeedsResponseType {
            response_type: "code",
        },
        Problem::GrantNeedsResponseType {
            response_type: "token",
        },
        Problem::ResponseTypeNeedsGrant {
            grant_type: "authorization_code",
        },
        Problem::ResponseTypeNeedsGrant {
            grant_type: "implicit",
        },
        Problem::InvalidScopeToken,
        Problem::ScopeNotAllowed,
        Problem::JwksWithJwksUri,
        Problem::JwksWithoutKeys,
        Problem::InvalidLanguageTag,
        Problem::KeysRequired,
        Problem::Required,
        Problem::ClientIdMismatch,
        Problem::SetByServer,
        Problem::SecretMismatch,
        Problem::OutOfRange { min: 1, max: 10 },
        Problem::UnexpectedMember {
            expected: "expires_in and max_uses",
        },
        Problem::InvalidHostPattern,
        Problem::HostNotAllowed,
        Problem::RegistrationPolicyUnknown,
        Problem::ReservedName,
    ];
    problems.extend(STATEMENT_PROBLEMS.map(Problem::Statement));
    problems.extend(REDIRECT_URI_ERRORS.map(Problem::RedirectUri));
    problems.extend(URI_SYNTAX_ERRORS.map(|err| Problem::RedirectUri(err.into())));
    problems.extend(URL_ERRORS.map(Problem::Url));
    problems.extend(URI_SYNTAX_ERRORS.map(|err| Problem::Url(err.into())));
    for code_point in ['\u{0}', '\u{202E}', '\u{10FFFF}', '\u{E0001}'] {
        problems.extend(CHAR_CLASSES.map(|class| Problem::Character { code_point, class }));
    }
    for problem in &problems {
        match problem {
            Problem::NotAnObject
            | Problem::WrongType { .. }
            | Problem::Empty
            | Problem::TooLong { .. }
            | Problem::TooMany { .. }
            | Problem::Character { .. }
            | Problem::DuplicateMember
            | Problem::MemberNameCharacter
            | Problem::GrantNeedsClientAuthentication { .. }
            | Problem::PrivateKeyMaterial
            | Problem::SymmetricKey
            | Problem::KeyTypeMissing
            | Problem::RedirectUri(_)
            | Problem::RedirectUrisRequired
            | Problem::Url(_)
            | Problem::UnknownValue
            | Problem::UnsupportedValue
            | Problem::GrantNeedsResponseType { .. }
            | Problem::ResponseTypeNeedsGrant { .. }
            | Problem::InvalidScopeToken
            | Problem::ScopeNotAllowed
            | Problem::JwksWithJwksUri
            | Problem::JwksWithoutKeys
            | Problem::InvalidLanguageTag
            | Problem::KeysRequired
            | Problem::Required
            | Problem::ClientIdMismatch
            | Problem::SetByServer
            | Problem::SecretMismatch
            | Problem::OutOfRange { .. }
            | Problem::UnexpectedMember { .. }
            | Problem::InvalidHostPattern
            | Problem::HostNotAllowed
            | Problem::RegistrationPolicyUnknown
            | Problem::ReservedName
            | Problem::Statement(_) => {}
        }
    }
    problems
}

const STATEMENT_PROBLEMS: [StatementProblem; 15] = [
    StatementProblem::Malformed,
    StatementProblem::TooLarge { max: 16384 },
    StatementProblem::TooManyHeaderMembers { max: 8 },
    StatementProblem::TooManyClaims { max: 64 },
    StatementProblem::UnsupportedAlgorithm,
    StatementProblem::CriticalHeader,
    StatementProblem::IssuerMissing,
    StatementProblem::UntrustedIssuer,
    StatementProblem::IssuerNotAllowed,
    StatementProblem::UnknownKey,
    StatementProblem::BadSignature,
    StatementProblem::InvalidTime,
    StatementProblem::Expired,
    StatementProblem::NotYetValid,
    StatementProblem::Required,
];

/// RFC 6749 section 5.2: `error_description` is `%x20-21 / %x23-5B / %x5D-7E`.
fn is_rfc6749_safe(text: &str) -> bool {
    text.bytes()
        .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

#[test]
fn every_description_is_rfc6749_safe() {
    let pointers = [
        "",
        "/client_name",
        "/redirect_uris/2",
        "/client_name#ja-Jpan-JP",
        "/a~1b~0c",
        "/bad \"key\" \\ \u{0}\u{7f}é\u{1F600}",
        "no-leading-slash",
        "é",
    ];
    for problem in all_problems() {
        for pointer in pointers {
            let error = MetadataError::new(pointer, problem.clone());
            let description = error.description();
            assert!(
                is_rfc6749_safe(&description),
                "{error:?} describes itself as {description:?}"
            );
            assert!(!description.is_empty());
            assert_eq!(error.to_string(), description);
        }
    }
}

#[test]
fn description_names_the_field_and_the_rule() {
    let cases = [
        (
            MetadataError::new(
                "/redirect_uris/2",
                Problem::RedirectUri(RedirectUriError::Fragment),
            ),
            "redirect_uris/2 must not contain a fragment (RFC 6749 section 3.1.2)",
        ),
        (
            MetadataError::new("", Problem::NotAnObject),
            "the request body must be a JSON object",
        ),
        (
            MetadataError::new("/client_name", Problem::TooLong { max: 2000 }),
            "client_name must be at most 2000 bytes long",
        ),
        (
            MetadataError::new("/contacts", Problem::TooMany { max: 10 }),
            "contacts must have at most 10 entries",
        ),
        (
            MetadataError::new(
                "/grant_types",
                Problem::GrantNeedsResponseType {
                    response_type: "code",
                },
            ),
            "grant_types does not match response_types: add the code response type (RFC 7591 section 2.1)",
        ),
        (
            MetadataError::new("/jwks_uri", Problem::Url(UrlError::InsecureScheme)),
            "jwks_uri must be an https URL",
        ),
        (
            MetadataError::new("/client_name", Problem::InvalidLanguageTag),
            "client_name has a language-tagged variant whose tag is not a BCP 47 language tag (RFC 7591 section 2.2)",
        ),
    ];
    for (error, expected) in cases {
        assert_eq!(error.description(), expected);
    }
}

/// Section 3.2.2: redirect URI problems are `invalid_redirect_uri`, the rest
/// `invalid_client_metadata`.
#[test]
fn code_follows_the_field() {
    let cases = [
        (
            "/redirect_uris/0",
            Problem::RedirectUri(RedirectUriError::InsecureHttp),
            ErrorCode::InvalidRedirectUri,
        ),
        (
            "/redirect_uris",
            Problem::RedirectUrisRequired,
            ErrorCode::InvalidRedirectUri,
        ),
        (
            "/redirect_uris",
            Problem::WrongType {
                expected: JsonType::ArrayOfStrings,
            },
            ErrorCode::InvalidRedirectUri,
        ),
        (
            "/redirect_uris",
            Problem::TooMany { max: 20 },
            ErrorCode::InvalidRedirectUri,
        ),
        (
            "/redirect_uris/3",
            Problem::Character {
                code_point: '\n',
                class: CharClass::Control,
            },
            ErrorCode::InvalidRedirectUri,
        ),
        (
            "/redirect_uris/3",
            Problem::Empty,
            ErrorCode::InvalidRedirectUri,
        ),
        ("", Problem::NotAnObject, ErrorCode::InvalidClientMetadata),
        (
            "/redirect_uris_extra",
            Problem::Empty,
            ErrorCode::InvalidClientMetadata,
        ),
        (
            "/client_uri",
            Problem::Url(UrlError::InsecureScheme),
            ErrorCode::InvalidClientMetadata,
        ),
        (
            "/grant_types/0",
            Problem::UnsupportedValue,
            ErrorCode::InvalidClientMetadata,
        ),
        (
            "/scope",
            Problem::ScopeNotAllowed,
            ErrorCode::InvalidClientMetadata,
        ),
        (
            "/jwks",
            Problem::JwksWithJwksUri,
            ErrorCode::InvalidClientMetadata,
        ),
    ];
    for (pointer, problem, code) in cases {
        assert_eq!(
            MetadataError::new(pointer, problem.clone()).code(),
            code,
            "{pointer} {problem:?}"
        );
    }
}

#[test]
fn codes_are_the_rfc_names() {
    let cases = [
        (ErrorCode::InvalidRedirectUri, "invalid_redirect_uri"),
        (ErrorCode::InvalidClientMetadata, "invalid_client_metadata"),
        (
            ErrorCode::InvalidSoftwareStatement,
            "invalid_software_statement",
        ),
        (
            ErrorCode::UnapprovedSoftwareStatement,
            "unapproved_software_statement",
        ),
    ];
    for (code, name) in cases {
        assert_eq!(code.as_str(), name);
        assert_eq!(code.to_string(), name);
    }
}

/// RFC 6901 section 3: `~` and `/` in a member name are escaped.
#[test]
fn pointers_escape_member_names() {
    assert_eq!(pointer_to("client_name"), "/client_name");
    assert_eq!(pointer_to("a/b~c"), "/a~1b~0c");
    assert_eq!(pointer_to("~1"), "/~01");
    assert_eq!(pointer_to(""), "/");
    assert_eq!(pointer_to_item("redirect_uris", 2), "/redirect_uris/2");
    assert_eq!(
        MetadataError::at_key("x/y", Problem::Empty).pointer,
        "/x~1y"
    );
}

fn any_problem() -> impl Strategy<Value = Problem> {
    let fixed = prop::sample::select(all_problems());
    let sized = prop_oneof![
        any::<usize>().prop_map(|max| Problem::TooLong { max }),
        any::<usize>().prop_map(|max| Problem::TooMany { max }),
        any::<usize>().prop_map(|max| Problem::RedirectUri(RedirectUriError::TooLong { max })),
        any::<usize>().prop_map(|max| Problem::Url(UrlError::TooLong { max })),
    ];
    prop_oneof![fixed, sized]
}

proptest! {
    #[test]
    fn descriptions_are_always_rfc6749_safe(
        pointer in prop_oneof![any::<String>(), "/[^/]{0,12}(/[0-9]{1,2})?"],
        problem in any_problem(),
    ) {
        let description = MetadataError::new(pointer, problem).description();
        prop_assert!(is_rfc6749_safe(&description), "{:?}", description);
    }
}
