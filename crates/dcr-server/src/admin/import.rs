//! `dcr-server import --from PATH`: the clients of the Next.js + libSQL
//! registration endpoint that dcr replaces, copied into dcr's store so that
//! no connector has to reconnect. Each client keeps its `client_id` and its
//! secret hash as it was (bcrypt or a SHA-256 digest: both verify), is held
//! to today's registration rules, and starts its lifetime clocks at the
//! import. One transaction; clients already present are left alone, so a
//! second run changes nothing.

use dcr_core::{
    ClientCredentials, ClientId, ClientMetadata, Provenance, RegisteredClient, RegisteredVia,
    RegistrationPolicy, SecretHash,
};
use dcr_store::LegacyClient;
use serde_json::{Map, Value, json};

/// What becomes of one row.
#[derive(Debug)]
pub enum Conversion {
    /// A client to store, with what the operator should know about it.
    Client {
        client: Box<RegisteredClient>,
        notes: Vec<&'static str>,
    },
    /// Not imported, and why (never a secret, never the row's values).
    Skipped(String),
}

/// The report of an import, for people (text) and scripts (`--json`).
#[derive(Debug, Default)]
pub struct Report {
    pub imported: Vec<ClientId>,
    pub already_present: Vec<ClientId>,
    /// Row label (the `client_id` as stored, or its position) and reason.
    pub skipped: Vec<(String, String)>,
    pub notes: Vec<(ClientId, &'static str)>,
    pub dry_run: bool,
}

impl Report {
    pub fn to_json(&self) -> Value {
        let ids =
            |ids: &[ClientId]| -> Vec<String> { ids.iter().map(ToString::to_string).collect() };
        json!({
            "dry_run": self.dry_run,
            "imported": ids(&self.imported),
            "already_present": ids(&self.already_present),
            "skipped": self.skipped.iter().map(|(client_id, reason)| json!({"client_id": client_id, "reason": reason})).collect::<Vec<_>>(),
            "notes": self.notes.iter().map(|(client_id, note)| json!({"client_id": client_id.to_string(), "note": note})).collect::<Vec<_>>(),
        })
    }
}

pub const NOTE_PUBLIC_WITH_SECRET: &str =
    "had a secret but authenticates with none: imported as a public client, without the secret";
pub const NOTE_NO_CREATED_AT: &str =
    "created_at is not an ISO-8601 time: its registration time is the import's";

/// Converts one row by today's rules (`policy`, the server's).
pub fn convert(row: &LegacyClient, policy: &RegistrationPolicy, imported_at: i64) -> Conversion {
    match try_convert(row, policy, imported_at) {
        Ok((client, notes)) => Conversion::Client {
            client: Box::new(client),
            notes,
        },
        Err(reason) => Conversion::Skipped(reason),
    }
}

fn try_convert(
    row: &LegacyClient,
    policy: &RegistrationPolicy,
    imported_at: i64,
) -> Result<(RegisteredClient, Vec<&'static str>), String> {
    let client_id = ClientId::parse(&row.client_id)
        .map_err(|_| "client_id is not a UUID, the only form dcr issues and keeps".to_owned())?;
    let stored_metadata = match row.metadata.as_deref().map(str::trim) {
        None | Some("") => Map::new(),
        Some(text) => match serde_json::from_str(text) {
            Ok(Value::Object(members)) => members,
            _ => return Err("metadata is not a JSON object".into()),
        },
    };
    let strings = |column: &Option<String>, what: &str| -> Result<Vec<String>, String> {
        match column.as_deref().map(str::trim) {
            None | Some("") => Ok(Vec::new()),
            Some(text) => serde_json::from_str::<Vec<String>>(text)
                .map_err(|_| format!("{what} is not a JSON array of strings")),
        }
    };
    let redirect_uris = strings(&row.redirect_uris, "redirect_uris")?;
    let scopes = strings(&row.allowed_scopes, "allowed_scopes")?;

    // The registration this client would send today.
    let mut body = Map::new();
    if let Some(name) = &row.name {
        body.insert("client_name".into(), name.clone().into());
    }
    body.insert("redirect_uris".into(), json!(redirect_uris));
    if !scopes.is_empty() {
        body.insert("scope".into(), scopes.join(" ").into());
    }
    for member in [
        "grant_types",
        "response_types",
        "token_endpoint_auth_method",
    ] {
        if let Some(value) = stored_metadata.get(member) {
            body.insert(member.into(), value.clone());
        }
    }
    let metadata = ClientMetadata::from_request(&Value::Object(body), policy)
        .map_err(|err| format!("refused by today's rules: {}", err.description()))?;

    let mut notes = Vec::new();
    let hash = row
        .client_secret_hash
        .as_deref()
        .map(str::trim)
        .filter(|hash| !hash.is_empty())
        .map(|hash| SecretHash::from_stored(hash.to_owned()));
    let credentials = match (metadata.token_endpoint_auth_method.needs_secret(), hash) {
        (true, Some(hash)) if hash.is_recognised() => ClientCredentials::Confidential {
            secret_hash: hash,
            // A secret dcr did not issue may be weak: it never gets a tag
            // (see dcr-core's `secret_tag`), so its wrong guesses are
            // bounded by the verify call's failure limit instead.
            secret_tag: None,
            secret_expires_at: 0,
            previous_secret: None,
        },
        (true, Some(_)) => {
            return Err(
                "the secret hash is neither bcrypt nor a SHA-256 digest: its secret could never be checked"
                    .into(),
            );
        }
        (true, None) => return Err("authenticates with a secret but has no secret hash".into()),
        (false, Some(_)) => {
            notes.push(NOTE_PUBLIC_WITH_SECRET);
            ClientCredentials::Public
        }
        (false, None) => ClientCredentials::Public,
    };
    let active = match row.is_active.as_deref().map(str::trim) {
        Some("1") | Some("true") | None => true,
        Some("0") | Some("false") => false,
        Some(_) => return Err("is_active is neither 0 nor 1".into()),
    };
    let issued_at = match row.created_at.as_deref().and_then(parse_time) {
        Some(at) => at,
        None => {
            notes.push(NOTE_NO_CREATED_AT);
            imported_at
        }
    };
    let user_agent = stored_metadata
        .get("user_agent")
        .and_then(Value::as_str)
        .and_then(|agent| Provenance::user_agent(agent.as_bytes()));
    Ok((
        RegisteredClient {
            client_id,
            issued_at,
            metadata,
            credentials,
            active,
            // The old endpoint had no RFC 7592 management: nothing to keep.
            registration_token: None,
            last_used_at: None,
            provenance: Provenance {
                address: None,
                user_agent,
                via: RegisteredVia::Imported,
                token_id: None,
                software_statement_issuer: None,
            },
        },
        notes,
    ))
}

/// An ISO-8601 time as JavaScript (`2025-06-01T12:34:56.789Z`) or SQLite
/// (`2025-06-01 12:34:56`, UTC) writes it, in Unix seconds.
fn parse_time(raw: &str) -> Option<i64> {
    use time::format_description::well_known::Rfc3339;
    let raw = raw.trim();
    if let Ok(at) = time::OffsetDateTime::parse(raw, &Rfc3339) {
        return Some(at.unix_timestamp());
    }
    let with_zone = format!("{}Z", raw.replacen(' ', "T", 1));
    time::OffsetDateTime::parse(&with_zone, &Rfc3339)
        .ok()
        .map(|at| at.unix_timestamp())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn times_as_javascript_and_sqlite_write_them() {
        let cases = [
            ("2025-06-01T12:34:56.789Z", Some(1_748_781_296)),
            ("2025-06-01T12:34:56Z", Some(1_748_781_296)),
            ("2025-06-01T14:34:56+02:00", Some(1_748_781_296)),
            ("2025-06-01 12:34:56", Some(1_748_781_296)),
            ("yesterday", None),
            ("", None),
        ];
        for (raw, expected) in cases {
            assert_eq!(parse_time(raw), expected, "{raw}");
        }
    }
}
