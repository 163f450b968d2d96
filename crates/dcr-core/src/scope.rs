//! Scope values (RFC 6749 section 3.3, RFC 7591 section 2).

use std::collections::HashSet;
use std::fmt;

use crate::error::Problem;

/// One scope token: `1*( %x21 / %x23-5B / %x5D-7E )`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ScopeToken(String);

impl ScopeToken {
    pub fn parse(raw: &str) -> Result<Self, Problem> {
        let allowed = |b: u8| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b);
        if !raw.is_empty() && raw.bytes().all(allowed) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Problem::InvalidScopeToken)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A set of scope tokens in the order first given, without repeats.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scope(Vec<ScopeToken>);

impl Scope {
    /// Parses a space-separated scope string. Runs of spaces are tolerated; an
    /// empty or all-space string is an empty scope.
    pub fn parse(raw: &str) -> Result<Self, Problem> {
        Self::parse_at_most(raw, usize::MAX)
    }

    /// [`Scope::parse`], refusing more than `max_tokens` distinct tokens.
    /// Repeats are dropped through a set, so any scope string costs time in
    /// proportion to its length.
    pub fn parse_at_most(raw: &str, max_tokens: usize) -> Result<Self, Problem> {
        let mut seen = HashSet::new();
        let mut tokens: Vec<ScopeToken> = Vec::new();
        for piece in raw.split(' ').filter(|piece| !piece.is_empty()) {
            let token = ScopeToken::parse(piece)?;
            if seen.insert(piece) {
                if tokens.len() == max_tokens {
                    return Err(Problem::TooMany { max: max_tokens });
                }
                tokens.push(token);
            }
        }
        Ok(Self(tokens))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn tokens(&self) -> &[ScopeToken] {
        &self.0
    }

    pub fn contains(&self, token: &ScopeToken) -> bool {
        self.0.contains(token)
    }

    /// The tokens of `self` that `allowed` also holds.
    pub fn intersect(&self, allowed: &Self) -> Self {
        Self(
            self.0
                .iter()
                .filter(|token| allowed.contains(token))
                .cloned()
                .collect(),
        )
    }

    /// Whether every token of `self` is in `allowed`.
    pub fn is_within(&self, allowed: &Self) -> bool {
        self.0.iter().all(|token| allowed.contains(token))
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, token) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str(" ")?;
            }
            f.write_str(token.as_str())?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn scope(raw: &str) -> Scope {
        Scope::parse(raw).unwrap()
    }

    /// RFC 6749 section 3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
    #[test]
    fn scope_tokens_follow_rfc6749() {
        let accepted = [
            "read",
            "mcp:tools",
            "a!#[]^~",
            "https://api.example/read",
            "!",
            "~",
        ];
        for raw in accepted {
            assert_eq!(
                ScopeToken::parse(raw).map(|t| t.as_str().to_owned()),
                Ok(raw.to_owned())
            );
        }
        let refused = [
            "", "a b", "\"read\"", "a\\b", "é", "a\tb", "\u{7f}", "\u{0}", "read\n",
        ];
        for raw in refused {
            assert_eq!(
                ScopeToken::parse(raw),
                Err(Problem::InvalidScopeToken),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn parses_space_separated_tokens() {
        let cases = [
            ("read write", Ok("read write")),
            ("  read   write ", Ok("read write")),
            ("read write read", Ok("read write")),
            ("", Ok("")),
            ("   ", Ok("")),
            ("read\twrite", Err(Problem::InvalidScopeToken)),
            ("read \"write\"", Err(Problem::InvalidScopeToken)),
            ("read wr\\ite", Err(Problem::InvalidScopeToken)),
            ("read écrire", Err(Problem::InvalidScopeToken)),
        ];
        for (raw, expected) in cases {
            assert_eq!(
                Scope::parse(raw).map(|s| s.to_string()),
                expected.map(str::to_owned),
                "{raw:?}"
            );
        }
        assert!(scope("").is_empty());
        assert_eq!(scope("b a b").tokens().len(), 2);
    }

    #[test]
    fn intersects_and_compares_sets() {
        let allowed = scope("read write");
        assert_eq!(scope("admin read").intersect(&allowed), scope("read"));
        assert_eq!(scope("admin").intersect(&allowed), Scope::default());
        assert!(scope("write read").is_within(&allowed));
        assert!(scope("").is_within(&allowed));
        assert!(!scope("read admin").is_within(&allowed));
        assert!(allowed.contains(&ScopeToken::parse("write").unwrap()));
        assert!(!allowed.contains(&ScopeToken::parse("admin").unwrap()));
    }

    fn scope_token() -> impl Strategy<Value = String> {
        "[!#-\\[\\]-~]{1,12}"
    }

    proptest! {
        #[test]
        fn display_round_trips(
            tokens in prop::collection::vec(scope_token(), 0..8),
            gaps in prop::collection::vec(1usize..4, 9),
        ) {
            let mut raw = " ".repeat(gaps[8] - 1);
            for (token, gap) in tokens.iter().zip(&gaps) {
                raw.push_str(token);
                raw.push_str(&" ".repeat(*gap));
            }
            let parsed = Scope::parse(&raw).unwrap();
            let shown = parsed.to_string();
            prop_assert_eq!(Scope::parse(&shown).unwrap(), parsed.clone());
            prop_assert!(!shown.starts_with(' ') && !shown.ends_with(' ') && !shown.contains("  "));
            let mut unique = tokens.clone();
            unique.sort();
            unique.dedup();
            prop_assert_eq!(parsed.tokens().len(), unique.len());
        }

        #[test]
        fn parse_never_panics(raw in any::<String>()) {
            if let Ok(parsed) = Scope::parse(&raw) {
                for token in parsed.tokens() {
                    prop_assert!(ScopeToken::parse(token.as_str()).is_ok());
                }
                prop_assert_eq!(Scope::parse(&parsed.to_string()).unwrap(), parsed);
            }
        }
    }
}
