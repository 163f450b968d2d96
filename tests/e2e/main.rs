//! End-to-end: the real `dcr-server` binary, started as a process the way an
//! operator or docker-compose starts it, driven over HTTP.
//!
//! Compiled as a test target of the dcr-server package (see ARCHITECTURE.md),
//! so Cargo builds the binary first and hands its path in `CARGO_BIN_EXE_dcr-server`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod process;

mod cli;
mod cli_clients;
mod cli_database;
mod cluster;
mod compose;
mod durability;
mod exit_codes;
mod failover;
mod fault_logs;
mod import;
mod import_schema;
mod lifecycle;
mod primary_failover;
mod two_processes;
