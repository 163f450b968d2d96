//! When a statement must be present, by mode and by token.

use jsonwebtoken::Algorithm;
use serde_json::{Value, json};

use super::*;

/// (case, mode, open, required issuer, body, issuer applied or problem)
type ModeCase<'a> = (
    &'a str,
    StatementMode,
    bool,
    Option<&'a str>,
    &'a Value,
    Result<Option<&'a str>, StatementProblem>,
);

#[test]
fn modes_and_token_issuers_decide_when_a_statement_is_needed() {
    use StatementProblem as P;
    let statement = signed(Algorithm::RS256, Some("rsa-1"), "rsa-1", &claims());
    let with = json!({ "client_name": "Body", "software_statement": statement });
    let bad = json!({ "client_name": "Body", "software_statement": "not.a.jwt" });
    let without = json!({ "client_name": "Body" });
    let empty = json!({ "client_name": "Body", "software_statement": "" });
    let cases: Vec<ModeCase> = vec![
        (
            "off ignores a statement",
            StatementMode::Off,
            true,
            None,
            &bad,
            Ok(None),
        ),
        (
            "accept without one",
            StatementMode::Accept,
            true,
            None,
            &without,
            Ok(None),
        ),
        (
            "accept with one",
            StatementMode::Accept,
            true,
            None,
            &with,
            Ok(Some(ISSUER)),
        ),
        (
            "accept with a bad one",
            StatementMode::Accept,
            true,
            None,
            &bad,
            Err(P::Malformed),
        ),
        (
            "require without one",
            StatementMode::Require,
            true,
            None,
            &without,
            Err(P::Required),
        ),
        (
            "require: an empty statement is none",
            StatementMode::Require,
            true,
            None,
            &empty,
            Err(P::Required),
        ),
        (
            "accept: an empty statement is none",
            StatementMode::Accept,
            true,
            None,
            &empty,
            Ok(None),
        ),
        (
            "require with one",
            StatementMode::Require,
            true,
            None,
            &with,
            Ok(Some(ISSUER)),
        ),
        (
            "require: a token registration may go without",
            StatementMode::Require,
            false,
            None,
            &without,
            Ok(None),
        ),
        (
            "token requires one",
            StatementMode::Accept,
            false,
            Some(ISSUER),
            &without,
            Err(P::Required),
        ),
        (
            "token requires its issuer",
            StatementMode::Accept,
            false,
            Some(ISSUER),
            &with,
            Ok(Some(ISSUER)),
        ),
        (
            "token requires another issuer",
            StatementMode::Accept,
            false,
            Some("https://other.example"),
            &with,
            Err(P::IssuerNotAllowed),
        ),
        (
            "token requires one, statements off",
            StatementMode::Off,
            false,
            Some(ISSUER),
            &without,
            Err(P::Required),
        ),
    ];
    for (name, mode, open, required_issuer, body, expected) in cases {
        let rules = StatementRules {
            open,
            required_issuer,
            ..rules(mode)
        };
        let outcome = apply(body.clone(), &rules, NOW);
        match (outcome, expected) {
            (Ok(applied), Ok(issuer)) => {
                assert_eq!(applied.issuer.as_deref(), issuer, "{name}");
                if issuer.is_none() {
                    assert_eq!(&applied.document, body, "{name}: body untouched");
                }
            }
            (Err(err), Err(problem)) => {
                assert_eq!(err.problem, Problem::Statement(problem), "{name}");
            }
            (outcome, expected) => panic!("{name}: {outcome:?}, expected {expected:?}"),
        }
    }
}
