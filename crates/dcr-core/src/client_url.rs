//! URL-valued metadata: `client_uri`, `logo_uri`, `tos_uri`, `policy_uri` and
//! `jwks_uri` (RFC 7591 section 2). A consent page shows them and links to
//! them; an authorization server may fetch `logo_uri` and `jwks_uri`. So they
//! are `https` URLs of public hosts: no address or name that would point a
//! fetch at the server's own network (SSRF) or a user at their own machine.
//! A name is checked here as written; whatever later fetches the URL must
//! check the address it resolves to as well (DNS can point a public name
//! anywhere).

use crate::error::UrlError;
use crate::uri::StrictUri;

/// A checked URL member, kept verbatim as the client sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientUrl(String);

impl ClientUrl {
    pub fn parse(raw: &str, max_length: usize) -> Result<Self, UrlError> {
        if raw.len() > max_length {
            return Err(UrlError::TooLong { max: max_length });
        }
        let uri = StrictUri::parse(raw)?;
        if uri.scheme != "https" {
            return Err(UrlError::InsecureScheme);
        }
        match uri.host {
            Some(host) if host.is_public() => Ok(Self(raw.to_owned())),
            _ => Err(UrlError::NonPublicHost),
        }
    }

    /// A URL read back from the store, registered under the rules of its
    /// day: kept as it is, not judged again.
    pub fn from_stored(raw: &str) -> Self {
        Self(raw.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::error::UriSyntaxError as Syntax;

    const MAX: usize = 2000;

    #[test]
    fn accepts_https_urls_of_public_hosts() {
        for raw in [
            "https://a.example",
            "https://a.example/logo.png?v=2#top",
            "https://github.com/modelcontextprotocol/inspector",
            "https://A.Example:8443/tos",
            "https://xn--caf-dma.example/",
            "https://8.8.8.8/jwks.json",
            "https://[2606:4700:4700::1111]/jwks.json",
            "https://a.example./",
            "https://under_score.a.example/",
        ] {
            let url = ClientUrl::parse(raw, MAX).unwrap_or_else(|err| panic!("{raw}: {err}"));
            assert_eq!(url.as_str(), raw, "kept verbatim");
        }
    }

    /// One case per rule: scheme, public host, and the syntax every parser
    /// reads alike.
    #[test]
    fn refuses_what_is_not_an_https_url_of_a_public_host() {
        let too_long = format!("https://a.example/{}", "a".repeat(MAX));
        let cases: Vec<(&str, UrlError)> = vec![
            ("http://a.example/about", UrlError::InsecureScheme),
            ("http://localhost:3000/about", UrlError::InsecureScheme),
            ("http://127.0.0.1/about", UrlError::InsecureScheme),
            ("ftp://a.example/logo.png", UrlError::InsecureScheme),
            ("javascript:alert(1)", UrlError::InsecureScheme),
            ("data:image/png;base64,AAAA", UrlError::InsecureScheme),
            ("com.example.app:/about", UrlError::InsecureScheme),
            // Loopback, private, link-local, CGNAT, unique-local,
            // unspecified, multicast: never a public host.
            ("https://localhost/", UrlError::NonPublicHost),
            ("https://app.localhost/", UrlError::NonPublicHost),
            ("https://127.0.0.1/", UrlError::NonPublicHost),
            ("https://10.1.2.3/", UrlError::NonPublicHost),
            ("https://172.16.0.1/", UrlError::NonPublicHost),
            ("https://172.31.255.255/", UrlError::NonPublicHost),
            ("https://192.168.1.1/", UrlError::NonPublicHost),
            (
                "https://169.254.169.254/latest/meta-data/",
                UrlError::NonPublicHost,
            ),
            ("https://100.64.0.1/", UrlError::NonPublicHost),
            ("https://100.127.255.254/", UrlError::NonPublicHost),
            ("https://0.0.0.0/", UrlError::NonPublicHost),
            ("https://224.0.0.1/", UrlError::NonPublicHost),
            ("https://255.255.255.255/", UrlError::NonPublicHost),
            ("https://[::1]/", UrlError::NonPublicHost),
            ("https://[::]/", UrlError::NonPublicHost),
            ("https://[fc00::1]/", UrlError::NonPublicHost),
            ("https://[fd12:3456::1]/", UrlError::NonPublicHost),
            ("https://[fe80::1]/", UrlError::NonPublicHost),
            ("https://[ff02::1]/", UrlError::NonPublicHost),
            ("https://[::ffff:127.0.0.1]/", UrlError::NonPublicHost),
            ("https://[::ffff:169.254.169.254]/", UrlError::NonPublicHost),
            ("https://[64:ff9b::10.0.0.1]/", UrlError::NonPublicHost),
            ("https://[2002:c0a8:101::1]/", UrlError::NonPublicHost),
            // Single-label and special-use names resolve only inside.
            ("https://intranet/", UrlError::NonPublicHost),
            ("https://intranet./", UrlError::NonPublicHost),
            ("https://printer.local/", UrlError::NonPublicHost),
            ("https://db.internal/", UrlError::NonPublicHost),
            ("https://nas.home.arpa/", UrlError::NonPublicHost),
            // Syntax that parsers read differently.
            ("https://user@a.example/", Syntax::UserInfo.into()),
            ("https://u:p@a.example/", Syntax::UserInfo.into()),
            ("https://@a.example/", Syntax::UserInfo.into()),
            ("https:a.example/tos", Syntax::MissingAuthority.into()),
            ("https:/a.example/tos", Syntax::MissingAuthority.into()),
            ("https:\\\\a.example\\tos", Syntax::Backslash.into()),
            (
                "https://a.example\\@evil.example/",
                Syntax::Backslash.into(),
            ),
            ("https://claud\u{435}.ai/", Syntax::NonAscii.into()),
            ("https://a.example/caf\u{e9}", Syntax::NonAscii.into()),
            ("https://2130706433/", Syntax::AmbiguousHost.into()),
            ("https://0x7f000001/", Syntax::AmbiguousHost.into()),
            ("https://8.8.8.010/", Syntax::AmbiguousHost.into()),
            ("https://a%2eexample/", Syntax::InvalidHost.into()),
            ("https://[fe80::1%25eth0]/", Syntax::ZoneId.into()),
            ("https://a.example:99999/", Syntax::InvalidPort.into()),
            ("https://a.example:/", Syntax::InvalidPort.into()),
            ("https:///tos", Syntax::MissingHost.into()),
            ("/logo.png", Syntax::NotAbsolute.into()),
            ("", Syntax::NotAbsolute.into()),
            ("https://a.example/a b", Syntax::ForbiddenCharacter.into()),
            ("https://a.example/\u{0}", Syntax::ForbiddenCharacter.into()),
            ("https://a.example/\n", Syntax::ForbiddenCharacter.into()),
            (&too_long, UrlError::TooLong { max: MAX }),
        ];
        for (raw, expected) in cases {
            assert_eq!(ClientUrl::parse(raw, MAX), Err(expected), "{raw:?}");
        }
    }

    #[test]
    fn stored_urls_are_kept_as_they_are() {
        let old = ClientUrl::from_stored("http://localhost:3000/about");
        assert_eq!(old.as_str(), "http://localhost:3000/about");
    }
}
