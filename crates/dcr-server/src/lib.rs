#![doc = include_str!("../README.md")]
pub mod admin;
pub mod admission;
pub mod app;
pub mod cimd;
pub mod cli;
pub mod clock;
pub mod config;
pub mod consent_memo;
pub mod database;
pub mod http;
pub mod observability;
pub mod public;
pub mod purge;
pub mod state;
pub mod verify;

pub use app::startup::Application;
pub use cli::{Cli, Command};
pub use config::{Config, Settings};
