//! The JSON views of a registered client that are not RFC 7591/7592 bodies:
//! what an operator sees (admin API and CLI alike) and what the token
//! endpoint must enforce (the verify answer).

use dcr_core::RegisteredClient;
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
        }),
    );
    view
}
