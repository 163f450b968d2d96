//! What an operator sees: the log set-up, the request log, and the metrics.

pub mod log_sink;
pub mod logging;
pub mod metrics;
pub mod request_log;
