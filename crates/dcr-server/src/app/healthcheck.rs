//! `dcr-server healthcheck`: exit 0 when `/readyz` at `DCR_BIND` answers
//! 200, non-zero otherwise. The image has no curl; its `HEALTHCHECK` (and
//! docker-compose's) runs this. A plain HTTP/1.1 request over a socket, with
//! a short timeout: nothing else is needed to ask one question of loopback.

use std::io::{Read as _, Write as _};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::Duration;

/// How long the whole check may take.
const TIMEOUT: Duration = Duration::from_secs(3);

/// Why the service is not ready.
#[derive(Debug, thiserror::Error)]
pub enum Unhealthy {
    #[error("no answer from {address}: {source}")]
    Unreachable {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error("/readyz at {address} answered {status}")]
    NotReady { address: SocketAddr, status: String },
}

/// Where to ask: the bound address, with "any address" replaced by the
/// loopback address of its family (a listener on 0.0.0.0 answers there).
pub fn probe_address(bind: SocketAddr) -> SocketAddr {
    let ip = match bind.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, bind.port())
}

pub fn check(bind: SocketAddr) -> Result<(), Unhealthy> {
    let address = probe_address(bind);
    let unreachable = |source| Unhealthy::Unreachable { address, source };
    let mut stream = TcpStream::connect_timeout(&address, TIMEOUT).map_err(unreachable)?;
    stream
        .set_read_timeout(Some(TIMEOUT))
        .map_err(unreachable)?;
    stream
        .set_write_timeout(Some(TIMEOUT))
        .map_err(unreachable)?;
    let request = format!("GET /readyz HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).map_err(unreachable)?;
    // The status line is all that is read: at most a few hundred bytes.
    let mut head = [0u8; 512];
    let read = stream.read(&mut head).map_err(unreachable)?;
    let status_line = String::from_utf8_lossy(&head[..read])
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    let status = status_line.split(' ').nth(1).unwrap_or_default();
    if status == "200" {
        Ok(())
    } else {
        Err(Unhealthy::NotReady {
            address,
            status: if status.is_empty() {
                "nothing".to_owned()
            } else {
                status.to_owned()
            },
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn any_address_is_probed_on_loopback() {
        let cases = [
            ("0.0.0.0:8080", "127.0.0.1:8080"),
            ("[::]:8080", "[::1]:8080"),
            ("10.1.2.3:8080", "10.1.2.3:8080"),
            ("127.0.0.1:9", "127.0.0.1:9"),
        ];
        for (bind, probed) in cases {
            assert_eq!(
                probe_address(bind.parse().unwrap()),
                probed.parse::<SocketAddr>().unwrap()
            );
        }
    }

    #[test]
    fn nothing_listening_is_unhealthy() {
        // Port 9 (discard) on loopback: nothing listens there in a test run.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        drop(listener);
        assert!(matches!(check(address), Err(Unhealthy::Unreachable { .. })));
    }
}
