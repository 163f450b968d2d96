//! Statements from anyone: whatever the text, verification answers without
//! panicking, and no change to a signed statement still verifies.

use jsonwebtoken::Algorithm;
use proptest::prelude::*;

use super::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_text_is_refused_without_a_panic(text in "[A-Za-z0-9_.=-]{0,300}|\\PC{0,100}") {
        prop_assert!(verify(&text, &issuers(), NOW).is_err());
    }

    #[test]
    fn no_change_to_a_signed_statement_verifies(
        at in any::<prop::sample::Index>(),
        replacement in prop::sample::select(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.".chars().collect::<Vec<_>>()
        ),
    ) {
        let statement = signed(Algorithm::ES256, Some("ec-1"), "ec-1", &claims());
        let at = at.index(statement.len());
        let mut changed: Vec<char> = statement.chars().collect();
        prop_assume!(changed[at] != replacement);
        changed[at] = replacement;
        let changed: String = changed.into_iter().collect();
        prop_assert!(verify(&changed, &issuers(), NOW).is_err());
    }
}
