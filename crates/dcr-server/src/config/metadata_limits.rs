//! Settings of what one registration's metadata may hold: the forms of its
//! redirect URIs, and how many and how long its members may be. Part of the
//! registration policy (`policy`).

use clap::Args;
use dcr_core::{Limits, RedirectPolicy};

use super::ConfigError;
use super::values::{BoolArg, ListArg, NativeSchemeArg, parse_in_range, parse_list, parse_with};

#[derive(Debug, Clone, Args)]
pub struct MetadataLimitSettings {
    /// Accept private-use redirect schemes such as cursor:// (RFC 8252 section 7.1).
    #[arg(long, env = "DCR_ALLOW_CUSTOM_SCHEMES", default_value = "true", value_parser = parse_with::<BoolArg>("DCR_ALLOW_CUSTOM_SCHEMES", "true or false"))]
    pub allow_custom_schemes: BoolArg,

    /// Private-use redirect schemes without a dot to accept, comma-separated;
    /// schemes with a dot (com.example.app) are reverse domain names and need
    /// no listing (RFC 8252 section 7.1).
    #[arg(long, env = "DCR_NATIVE_SCHEMES", default_value = "cursor,vscode,vscode-insiders,windsurf", value_parser = parse_list::<NativeSchemeArg>("DCR_NATIVE_SCHEMES"))]
    pub native_schemes: ListArg<NativeSchemeArg>,

    /// Accept http://localhost redirects besides loopback IP literals.
    #[arg(long, env = "DCR_ALLOW_LOCALHOST", default_value = "true", value_parser = parse_with::<BoolArg>("DCR_ALLOW_LOCALHOST", "true or false"))]
    pub allow_localhost: BoolArg,

    /// Most redirect URIs in one registration.
    #[arg(long, env = "DCR_MAX_REDIRECT_URIS", default_value_t = 20, value_parser = parse_in_range::<usize>("DCR_MAX_REDIRECT_URIS", 1, 1000))]
    pub max_redirect_uris: usize,

    /// Most contacts in one registration.
    #[arg(long, env = "DCR_MAX_CONTACTS", default_value_t = 10, value_parser = parse_in_range::<usize>("DCR_MAX_CONTACTS", 0, 1000))]
    pub max_contacts: usize,

    /// Most items in grant_types, response_types, the scope, the jwks keys,
    /// and most language-tagged members (client_name#fr, ...) in one request.
    #[arg(long, env = "DCR_MAX_LIST_ITEMS", default_value_t = 32, value_parser = parse_in_range::<usize>("DCR_MAX_LIST_ITEMS", 1, 1000))]
    pub max_list_items: usize,

    /// Longest string member (name, URL, contact, scope) in bytes.
    #[arg(long, env = "DCR_MAX_STRING_LENGTH", default_value_t = 2000, value_parser = parse_in_range::<usize>("DCR_MAX_STRING_LENGTH", 16, 65_536))]
    pub max_string_length: usize,
}

impl MetadataLimitSettings {
    pub fn into_config(self) -> Result<(RedirectPolicy, Limits), ConfigError> {
        let redirect = RedirectPolicy {
            allow_custom_schemes: self.allow_custom_schemes.0,
            allow_localhost: self.allow_localhost.0,
            max_length: self.max_string_length,
            native_schemes: self.native_schemes.0.into_iter().map(|arg| arg.0).collect(),
        };
        let limits = Limits {
            max_redirect_uris: self.max_redirect_uris,
            max_contacts: self.max_contacts,
            max_string_length: self.max_string_length,
            max_list_items: self.max_list_items,
        };
        Ok((redirect, limits))
    }
}
