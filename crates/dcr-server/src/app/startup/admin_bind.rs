//! Where the admin listener binds: without `DCR_ADMIN_TOKEN` the admin API is
//! open to anyone who reaches it, so it must not face the network.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::config::ListenerConfig;

/// The admin listener's address for this configuration; says so in the log
/// when `DCR_ADMIN_BIND` was narrowed.
pub(super) fn admin_address(listeners: &ListenerConfig) -> SocketAddr {
    let wanted = listeners.admin_bind;
    let bound = admin_bind_address(wanted, listeners.admin_token.is_some());
    if bound != wanted {
        log::warn!(
            "DCR_ADMIN_TOKEN is unset: binding the admin API to {} instead of {}",
            bound.ip(),
            wanted.ip()
        );
    }
    bound
}

/// With a token the address is used as given. Without one, a non-loopback
/// address is narrowed to loopback of the same family on the same port.
///
/// Only `127.0.0.0/8` and `::1` count as loopback. An IPv4-mapped address
/// (`::ffff:127.0.0.1`) is narrowed to `::1` too: it would reach only this
/// machine, but keeping the rule to what `IpAddr::is_loopback` says leaves no
/// spelling of an address to argue about, and narrowing can only shrink who
/// reaches the listener.
fn admin_bind_address(wanted: SocketAddr, token_required: bool) -> SocketAddr {
    if token_required || wanted.ip().is_loopback() {
        return wanted;
    }
    let loopback = match wanted.ip() {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
    };
    SocketAddr::new(loopback, wanted.port())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn admin_bind_address_without_a_token_stays_on_loopback() {
        let cases = [
            ("127.0.0.1:9090", "127.0.0.1:9090"),
            // All of 127.0.0.0/8 is loopback: kept as given.
            ("127.0.0.2:9090", "127.0.0.2:9090"),
            ("[::1]:9090", "[::1]:9090"),
            ("0.0.0.0:9090", "127.0.0.1:9090"),
            ("[::]:9090", "[::1]:9090"),
            ("10.1.2.3:9090", "127.0.0.1:9090"),
            ("192.0.2.7:0", "127.0.0.1:0"),
            ("[2001:db8::7]:9090", "[::1]:9090"),
            ("[fe80::1]:9090", "[::1]:9090"),
            // Not loopback to `Ipv6Addr::is_loopback`: narrowed, which is safe.
            ("[::ffff:127.0.0.1]:9090", "[::1]:9090"),
            ("[::ffff:0.0.0.0]:9090", "[::1]:9090"),
            ("[::ffff:10.1.2.3]:9090", "[::1]:9090"),
        ];
        for (wanted, expected) in cases {
            let wanted: SocketAddr = wanted.parse().unwrap();
            let expected: SocketAddr = expected.parse().unwrap();
            assert_eq!(admin_bind_address(wanted, false), expected, "{wanted}");
        }
    }

    #[test]
    fn admin_bind_address_with_a_token_is_used_as_given() {
        for wanted in [
            "127.0.0.1:9090",
            "[::1]:9090",
            "0.0.0.0:9090",
            "[::]:9090",
            "10.1.2.3:9090",
            "[2001:db8::7]:9090",
            "[::ffff:127.0.0.1]:9090",
        ] {
            let wanted: SocketAddr = wanted.parse().unwrap();
            assert_eq!(admin_bind_address(wanted, true), wanted, "{wanted}");
        }
    }
}
