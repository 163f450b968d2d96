// dcr's redirect URI rule: exact match, plus RFC 8252 section 7.3's loopback
// port rule. A registered redirect URI matches the presented one when the two
// strings are equal. One exception: when the registered URI is http on a
// loopback host (127.0.0.0/8, [::1], localhost), a native app picks its port
// at run time, so any port (or none) matches; scheme, host, path and query
// must still be the same, as a URL parser reads them, and the presented URI
// may carry no fragment and no user information. https and private-use URIs
// (cursor://..., com.example.app:/cb) are compared as text, nothing else.

export function redirectUriMatches(registered: readonly string[], presented: string): boolean {
  return registered.some((uri) => uri === presented || sameLoopbackTarget(uri, presented));
}

function sameLoopbackTarget(registered: string, presented: string): boolean {
  const ours = loopbackTarget(registered);
  return ours !== null && loopbackTarget(presented) === ours;
}

// Host, path and query of an http URI on a loopback host, the port left
// out; null for anything else, and for anything parsers could read two ways
// (WHATWG URL reads http://127.1/ as 127.0.0.1, other parsers do not).
function loopbackTarget(uri: string): string | null {
  if (!/^[\x21-\x7e]*$/.test(uri) || uri.includes("\\") || uri.includes("#")) return null;
  const match = /^http:\/\/([^/?]*)([^?]*)(\?.*)?$/i.exec(uri);
  if (!match) return null;
  const [, authority, , query] = match;
  const host = loopbackHost(authority);
  if (host === null) return null;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return null;
  }
  // An empty query ("?") is kept apart from none: URL.search says "" for both.
  return `${host} ${url.pathname} ${query === undefined ? "" : "?" + url.search.slice(1)}`;
}

function loopbackHost(authority: string): string | null {
  if (authority.includes("@")) return null; // user information
  const parts = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::([0-9]{1,5}))?$/.exec(authority);
  if (!parts || (parts[2] !== undefined && Number(parts[2]) > 65535)) return null;
  const written = parts[1].toLowerCase();
  const ipv4 = /^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$/.exec(written);
  if (ipv4) {
    return ipv4.slice(1).every((octet) => Number(octet) <= 255) && ipv4[1] === "127" ? written : null;
  }
  if (written.startsWith("[")) {
    let hostname: string;
    try {
      hostname = new URL(`http://${written}/`).hostname; // the address, written one way
    } catch {
      return null;
    }
    return hostname === "[::1]" ? hostname : null;
  }
  return written === "localhost" ? written : null;
}
