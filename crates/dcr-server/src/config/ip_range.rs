//! Address ranges of configuration (`DCR_TRUSTED_PROXIES`,
//! `DCR_RATE_LIMIT_EXEMPT`), shared by the configuration that reads them
//! and the request handling that matches peers against them.

use std::str::FromStr;

/// One address or CIDR range (`10.0.0.0/8`, `192.168.1.7`, `fd00::/8`),
/// parsed and matched by `ipnet`; an IPv4 client seen as an IPv4-mapped IPv6
/// peer (`::ffff:10.0.0.7`, as a dual-stack listener reports it) matches an
/// IPv4 range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange(ipnet::IpNet);

impl IpRange {
    pub fn contains(&self, address: std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        let address = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
            v4 => v4,
        };
        self.0.contains(&address)
    }
}

impl FromStr for IpRange {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        raw.parse::<ipnet::IpNet>()
            .or_else(|_| raw.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
            .map(Self)
            .map_err(|_| format!("{raw:?} is not an IP address or CIDR range"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ip_ranges_parse_and_match() {
        let range = |raw: &str| raw.parse::<IpRange>().unwrap();
        let ip = |raw: &str| raw.parse::<std::net::IpAddr>().unwrap();
        let cases = [
            ("10.0.0.0/8", "10.200.3.4", true),
            ("10.0.0.0/8", "11.0.0.1", false),
            ("10.0.0.0/8", "::ffff:10.1.2.3", true),
            ("10.1.2.3/8", "10.9.9.9", true),
            ("192.168.1.7", "192.168.1.7", true),
            ("192.168.1.7", "192.168.1.8", false),
            ("0.0.0.0/0", "203.0.113.9", true),
            ("fd00::/8", "fd12::1", true),
            ("fd00::/8", "fe80::1", false),
            ("::1", "::1", true),
            ("fd00::/8", "10.0.0.1", false),
        ];
        for (raw_range, address, inside) in cases {
            assert_eq!(
                range(raw_range).contains(ip(address)),
                inside,
                "{raw_range} {address}"
            );
        }
        for bad in [
            "",
            "10.0.0.0/33",
            "fd00::/129",
            "10.0.0",
            "example.com",
            "10.0.0.0/-1",
        ] {
            assert!(bad.parse::<IpRange>().is_err(), "{bad}");
        }
    }
}
