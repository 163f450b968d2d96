//! The dcr HTTP service: a thin actix-web layer over `dcr-core` (rules) and
//! `dcr-store` (storage). Handlers parse, call, and map errors; no business
//! rule lives here.

pub mod config;
pub mod error;
pub mod hashing;
pub mod routes;
pub mod startup;

pub use config::{Cli, Command, Config, Settings};
pub use startup::Application;
