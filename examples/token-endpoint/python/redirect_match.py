"""dcr's redirect URI rule: exact match, plus RFC 8252 section 7.3's loopback port rule.

A registered redirect URI matches the presented one when the two strings are
equal. One exception: when the registered URI is `http` on a loopback host
(127.0.0.0/8, [::1], localhost), a native app picks its port at run time, so
any port (or none) matches; scheme, host, path and query must still be the
same, as a URL parser reads them, and the presented URI may carry no
fragment and no user information. `https` and private-use URIs
(`cursor://...`, `com.example.app:/cb`) are compared as text, nothing else.
"""

import ipaddress
import re

_HOST_NAME = re.compile(r"[A-Za-z0-9._-]+")
_PORT = re.compile(r"[0-9]{1,5}")
# What a WHATWG URL parser (dcr's, a browser's) percent-encodes in the path
# and in the query of an http URL.
_PATH_ENCODED = {'"': "%22", "<": "%3C", ">": "%3E", "`": "%60", "{": "%7B", "}": "%7D"}
_QUERY_ENCODED = {'"': "%22", "<": "%3C", ">": "%3E", "'": "%27"}


def redirect_uri_matches(registered_uris, presented):
    """Whether `presented` (from /authorize or /token) matches a registered URI."""
    return any(_matches(registered, presented) for registered in registered_uris)


def _matches(registered, presented):
    if registered == presented:
        return True
    ours = _loopback_parts(registered)
    return ours is not None and _loopback_parts(presented) == ours


def _loopback_parts(uri):
    """(host, path, query) of an http URI on a loopback host, port left out;
    None for anything else, and for anything parsers could read two ways."""
    if any(not 0x21 <= ord(c) <= 0x7E for c in uri) or "\\" in uri or "#" in uri:
        return None
    scheme, sep, rest = uri.partition(":")
    if not sep or scheme.lower() != "http" or not rest.startswith("//"):
        return None
    rest = rest[2:]
    end = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    authority, rest = rest[:end], rest[end:]
    host = _loopback_host(authority)
    if host is None:
        return None
    path, sep, query = rest.partition("?")
    return host, _resolve_path(path), _encode(query, _QUERY_ENCODED) if sep else None


def _loopback_host(authority):
    if "@" in authority:  # user information
        return None
    if authority.startswith("["):
        literal, _, port = authority[1:].partition("]")
        if "%" in literal:  # zone id
            return None
        try:
            host = ipaddress.IPv6Address(literal)
        except ValueError:
            return None
        if port and not port.startswith(":"):
            return None
        port = port[1:] if port else None
    else:
        name, sep, port = authority.partition(":")
        port = port if sep else None
        if not _HOST_NAME.fullmatch(name):
            return None
        try:
            host = ipaddress.IPv4Address(name)  # refuses 127.1, 0x7f.0.0.1, 0127.0.0.1
        except ValueError:
            host = name.lower()
    if port is not None and not (_PORT.fullmatch(port) and int(port) <= 65535):
        return None
    if host == "localhost" or (not isinstance(host, str) and host.is_loopback):
        return host
    return None


def _resolve_path(path):
    """The path as a URL parser keeps it: `/` when empty, dot segments
    (also `%2e`) resolved, a few characters percent-encoded."""
    segments, resolved = path[1:].split("/"), []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        dots = segment.lower().replace("%2e", ".")
        if dots == "..":
            if resolved:
                resolved.pop()
            if last:
                resolved.append("")
        elif dots == ".":
            if last:
                resolved.append("")
        else:
            resolved.append(_encode(segment, _PATH_ENCODED))
    return "/" + "/".join(resolved)


def _encode(text, characters):
    return "".join(characters.get(c, c) for c in text)
