//! The JSON views of a registered client that are not RFC 7591/7592 bodies:
//! what an operator sees (admin API and CLI alike) and what the token
//! endpoint must enforce (the verify answer).

use dcr_core::cimd::DocumentUrl;
use dcr_core::consent::{ConsentSignals, KnownClients, Source, Subject};
use dcr_core::{ClientId, Event, RegisteredClient, Rotation, TokenId};
use dcr_store::StoredToken;
use serde_json::{Map, Value};

use crate::cimd::{CheckReport, Outcome, UrlClient};

/// What the token endpoint must enforce for a client.
pub fn enforcement_view(client: &RegisteredClient) -> Value {
    let mut view = client.metadata.to_json();
    view.insert("client_id".into(), client.client_id.to_string().into());
    Value::Object(view)
}

/// What the token endpoint must enforce for a URL client: its document's
/// metadata, as validated, under its URL.
pub fn url_enforcement_view(client: &UrlClient) -> Value {
    let mut view = client.metadata.to_json();
    view.insert("client_id".into(), client.url.as_str().into());
    Value::Object(view)
}

/// A URL client as an operator sees it.
pub fn url_admin_view(client: &UrlClient, active: bool, consent: Value) -> Value {
    let mut view = client.metadata.to_json();
    view.insert("client_id".into(), client.url.as_str().into());
    view.insert("active".into(), active.into());
    view.insert("source".into(), "metadata_document".into());
    view.insert("fetched_at".into(), client.fetched_at.into());
    view.insert("consent".into(), consent);
    Value::Object(view)
}

/// A URL client id's recorded state, as disabling or enabling it answers
/// (the document is not fetched for it).
pub fn url_state_view(url: &DocumentUrl, active: bool) -> Map<String, Value> {
    let mut view = Map::new();
    view.insert("client_id".into(), url.as_str().into());
    view.insert("active".into(), active.into());
    view.insert("source".into(), "metadata_document".into());
    view
}

/// The registration, as an operator sees it: no secret, no token, plus the
/// state of the client and where it came from.
pub fn admin_view(client: &RegisteredClient) -> Map<String, Value> {
    let mut view = client.response_body(None);
    // Shown while a rotation's overlap lasts (and until the next rotation
    // or secret change rewrites the row): when the replaced secret stops.
    if let Some(expires_at) = client.credentials.previous_secret_expires_at() {
        view.insert("previous_secret_expires_at".into(), expires_at.into());
    }
    view.insert("active".into(), client.active.into());
    view.insert("last_used_at".into(), client.last_used_at.into());
    let provenance = &client.provenance;
    view.insert(
        "registered_from".into(),
        serde_json::json!({
            "address": provenance.address,
            "user_agent": provenance.user_agent,
            "via": provenance.via.as_str(),
            "initial_access_token": provenance.token_id.as_ref().map(TokenId::as_str),
            "software_statement_issuer": provenance.software_statement_issuer,
        }),
    );
    view
}

/// A rotation's answer, from the admin API and the CLI's `--json` alike:
/// the new secret (shown this once), its expiry, and, while the replaced
/// secret still works, when it stops.
pub fn rotation_view(client_id: &ClientId, rotation: &Rotation) -> Map<String, Value> {
    let mut view = Map::new();
    view.insert("client_id".into(), client_id.to_string().into());
    view.insert("client_secret".into(), rotation.secret.expose().into());
    view.insert(
        "client_secret_expires_at".into(),
        rotation.credentials.secret_expires_at().unwrap_or(0).into(),
    );
    if let Some(expires_at) = rotation.previous_secret_expires_at() {
        view.insert("previous_secret_expires_at".into(), expires_at.into());
    }
    view
}

/// One client as the admin API and the CLI show it: the admin view with its
/// consent signals. (Lists leave the signals out.)
pub fn client_view(
    client: &RegisteredClient,
    known: &KnownClients,
    now: i64,
) -> Map<String, Value> {
    let mut view = admin_view(client);
    view.insert("consent".into(), consent_view(client, known, now));
    view
}

/// An initial access token as the admin API and the CLI show it: never the
/// token itself, which exists only in the answer that created it.
pub fn token_view(token: &StoredToken, now: i64) -> Map<String, Value> {
    let mut view = Map::new();
    view.insert("id".into(), token.id.as_str().into());
    view.insert("description".into(), token.description.clone().into());
    view.insert("state".into(), token.state(now).as_str().into());
    view.insert("created_at".into(), token.created_at.into());
    view.insert("expires_at".into(), token.expires_at.into());
    view.insert("max_uses".into(), token.max_uses.into());
    view.insert("uses".into(), token.uses.into());
    view.insert("revoked_at".into(), token.revoked_at.into());
    view.insert("policy".into(), token.policy.to_json());
    view
}

/// One audit event.
pub fn event_view(event: &Event) -> Value {
    serde_json::json!({
        "id": event.id,
        "event": event.kind.as_str(),
        "at": event.at,
        "actor": event.actor.to_stored(),
        "client_id": event.client_id,
        "initial_access_token": event.token_id,
    })
}

/// The consent signals of a registered client (see `dcr_core::consent`).
pub fn consent_view(client: &RegisteredClient, known: &KnownClients, now: i64) -> Value {
    ConsentSignals::of(&crate::consent_memo::consent_subject(client), known, now).to_json()
}

/// The consent signals of a URL client: its host is proven by the fetch.
pub fn url_consent_view(client: &UrlClient, known: &KnownClients, now: i64) -> Value {
    ConsentSignals::of(
        &Subject {
            metadata: &client.metadata,
            source: Source::MetadataDocument,
            registered_at: None,
            verified_host: Some(client.url.host()),
        },
        known,
        now,
    )
    .to_json()
}

/// A client metadata document's check (`cimd::check`): `accepted`, each
/// rule with `pass`, `fail` (and why) or `not_checked`, and for an accepted
/// document the TTL the cache would keep it, its metadata and its consent
/// signals.
pub fn cimd_check_view(report: &CheckReport, known: &KnownClients, now: i64) -> Value {
    let rules: Vec<Value> = report
        .rules
        .iter()
        .map(|(rule, outcome)| {
            let mut entry = Map::new();
            entry.insert("rule".into(), rule.name().into());
            entry.insert("says".into(), rule.says().into());
            let result = match outcome {
                Outcome::Pass => "pass",
                Outcome::Fail(why) => {
                    entry.insert("detail".into(), why.clone().into());
                    "fail"
                }
                Outcome::NotChecked => "not_checked",
            };
            entry.insert("result".into(), result.into());
            Value::Object(entry)
        })
        .collect();
    let mut view = Map::new();
    view.insert("client_id".into(), report.client_id.clone().into());
    view.insert("accepted".into(), report.accepted().into());
    view.insert("rules".into(), rules.into());
    view.insert(
        "ttl_secs".into(),
        report.ttl.map(|ttl| ttl.as_secs()).into(),
    );
    if let Some(client) = &report.client {
        view.insert("client".into(), client.metadata.to_json().into());
        view.insert("consent".into(), url_consent_view(client, known, now));
    }
    Value::Object(view)
}
