#![doc = include_str!("../README.md")]
pub mod admin_guard;
pub mod bearer;
pub mod cimd;
pub mod cli;
pub mod clock;
pub mod config;
pub mod drain;
pub mod error;
pub mod hashing;
pub mod healthcheck;
pub mod import;
pub mod initial_access;
pub mod ip_range;
pub mod listing;
pub mod metrics;
pub mod proxy;
pub mod purge;
pub mod rate_limit;
pub mod routes;
pub mod startup;
pub mod state;
pub mod verified_secrets;
pub mod verifier;
pub mod views;

pub use cli::{Cli, Command};
pub use config::{Config, Settings};
pub use startup::Application;
