"""dcr's redirect URI rule: exact match, plus RFC 8252 section 7.3's loopback port rule.

A registered redirect URI matches the presented one when the two strings are
equal. One exception: when the registered URI is `http` on a loopback host
(127.0.0.0/8, [::1], localhost), a native app picks its port at run time, so
any port (or none) matches. Everything else is still compared as text: the
scheme, the host as written, the path and the query (an empty path counts as
`/`), and the presented URI may carry no fragment and no user information.
`https` and private-use URIs (`cursor://...`, `com.example.app:/cb`) are
compared as text, nothing else.
"""

import ipaddress
import re

_PORT = re.compile(r"[1-9][0-9]{0,4}")


def redirect_uri_matches(registered_uris, presented):
    """Whether `presented` (from /authorize or /token) matches a registered URI."""
    return any(_matches(registered, presented) for registered in registered_uris)


def _matches(registered, presented):
    if registered == presented:
        return True
    ours, theirs = _split(registered), _split(presented)
    if ours is None or theirs is None or not _is_loopback(ours[0]):
        return False
    host, port, rest = theirs
    return (
        (port is None or (_PORT.fullmatch(port) is not None and int(port) <= 65535))
        and host == ours[0]
        and rest.removeprefix("/") == ours[2].removeprefix("/")
        and "#" not in rest
    )


def _split(uri):
    """`http://HOST[:PORT]REST` as (HOST, PORT or None, REST), by the text alone."""
    if not uri.startswith("http://"):
        return None
    after = uri[len("http://"):]
    end = min((i for i in map(after.find, "/?#") if i >= 0), default=len(after))
    authority, rest = after[:end], after[end:]
    if "@" in authority:  # user information
        return None
    host_end = authority.rfind("]") + 1  # the port follows an IPv6 literal
    colon = authority.find(":", host_end)
    if colon < 0:
        return authority, None, rest
    return authority[:colon], authority[colon + 1:], rest


def _is_loopback(host):
    """Whether a registered URI's host is loopback (dcr validated it at registration)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.removeprefix("[").removesuffix("]")).is_loopback
    except ValueError:
        return False
