#![doc = include_str!("../README.md")]
pub mod admin_guard;
pub mod bearer;
pub mod cli;
pub mod config;
pub mod drain;
pub mod error;
pub mod hashing;
pub mod proxy;
pub mod routes;
pub mod startup;
pub mod verified_secrets;

pub use config::{Cli, Command, Config, Settings};
pub use startup::Application;
