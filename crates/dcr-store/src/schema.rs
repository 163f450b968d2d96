// One schema for both backends: only types that Postgres and SQLite share.

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    oauth_clients (client_id) {
        client_id -> Text,
        client_secret_hash -> Nullable<Text>,
        client_secret_expires_at -> BigInt,
        client_name -> Nullable<Text>,
        redirect_uris -> Text,
        scope -> Nullable<Text>,
        token_endpoint_auth_method -> Text,
        software_id -> Nullable<Text>,
        metadata -> Text,
        created_at -> BigInt,
        created_by -> Text,
        is_active -> Bool,
        registration_token_digest -> Nullable<Text>,
        last_used_at -> Nullable<BigInt>,
        provenance -> Nullable<Text>,
        lifetime_from -> Nullable<BigInt>,
        client_secret_tag -> Nullable<Text>,
        previous_secret_hash -> Nullable<Text>,
        previous_secret_tag -> Nullable<Text>,
        previous_secret_expires_at -> Nullable<BigInt>,
    }
}

diesel::joinable!(oauth_clients -> users (created_by));
diesel::allow_tables_to_appear_in_same_query!(users, oauth_clients, public_client_keys);

diesel::table! {
    initial_access_tokens (id) {
        id -> Text,
        token_digest -> Text,
        description -> Nullable<Text>,
        policy -> Text,
        max_uses -> Nullable<BigInt>,
        uses -> BigInt,
        created_at -> BigInt,
        expires_at -> Nullable<BigInt>,
        revoked_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        at -> BigInt,
        event -> Text,
        client_id -> Nullable<Text>,
        token_id -> Nullable<Text>,
        actor -> Text,
    }
}

diesel::table! {
    url_client_states (client_id) {
        client_id -> Text,
        is_active -> Bool,
        changed_at -> BigInt,
    }
}

diesel::table! {
    public_client_keys (fingerprint) {
        fingerprint -> Text,
        client_id -> Text,
    }
}

diesel::table! {
    deployment_state (name) {
        name -> Text,
        value -> BigInt,
    }
}
