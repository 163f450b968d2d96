//! The HTTP suite of dcr-server: each test builds the real `Application` on a
//! random port over a fresh database (a temp SQLite file or its own Postgres
//! database) and talks to it with an HTTP client, as an MCP client would.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod helpers;

mod admin;
mod admin_guard;
mod audit;
mod busy;
mod cimd;
mod consent;
mod cors;
mod dedup;
mod discovery;
mod errors;
mod failed_credentials;
mod framing;
mod health;
mod hostile;
mod initial_access;
mod management;
mod metrics;
mod outage;
mod protocol;
mod purge;
mod rate_limits;
mod redirect_uris;
mod register;
mod replicas;
mod secret_hash;
mod software_statements;
mod validate;
