//! The process: start-up and the listeners, graceful drain, exit codes, and
//! the `healthcheck` probe.

pub mod drain;
pub mod exit;
pub mod healthcheck;
pub mod startup;
