//! Scope values (RFC 6749 section 3.3, RFC 7591 section 2).

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
        let mut tokens: Vec<ScopeToken> = Vec::new();
        for piece in raw.split(' ').filter(|piece| !piece.is_empty()) {
            let token = ScopeToken::parse(piece)?;
            if !tokens.contains(&token) {
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
