//! What a request must pass before work is done for it: the rate limits and
//! the bounded hashing lines. Plain machinery: it knows nothing of HTTP
//! answers, and says "no" with its own error types.

pub mod hashing;
pub mod rate_limit;
