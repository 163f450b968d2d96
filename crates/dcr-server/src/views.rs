//! The JSON views of a registered client that are not RFC 7591/7592 bodies:
//! what an operator sees (admin API and CLI alike) and what the token
//! endpoint must enforce (the verify answer).

use dcr_core::{Event, RegisteredClient, TokenId};
use dcr_store::StoredToken;
use serde_json::{Map, Value};

/// What the token endpoint must enforce for a client.
pub fn enforcement_view(client: &RegisteredClient) -> Value {
    let mut view = client.metadata.to_json();
    view.insert("client_id".into(), client.client_id.to_string().into());
    Value::Object(view)
}

/// The registration, as an operator sees it: no secret, no token, plus the
/// state of the client and where it came from.
pub fn admin_view(client: &RegisteredClient) -> Map<String, Value> {
    let mut view = client.response_body(None);
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
        }),
    );
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
