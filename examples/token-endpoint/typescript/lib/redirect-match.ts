// dcr's redirect URI rule: exact match, plus RFC 8252 section 7.3's loopback
// port rule. A registered redirect URI matches the presented one when the two
// strings are equal. One exception: when the registered URI is http on a
// loopback host (127.0.0.0/8, [::1], localhost), a native app picks its port
// at run time, so any port (or none) matches. Everything else is still
// compared as text: the scheme, the host as written, the path and the query
// (an empty path counts as /), and the presented URI may carry no fragment
// and no user information. https and private-use URIs (cursor://...,
// com.example.app:/cb) are compared as text, nothing else. No URL parser:
// new URL() would resolve dot segments and percent-encode, and dcr does not.

export function redirectUriMatches(registered: readonly string[], presented: string): boolean {
  return registered.some((uri) => uri === presented || matchesOnAnyPort(uri, presented));
}

function matchesOnAnyPort(registered: string, presented: string): boolean {
  const ours = split(registered);
  const theirs = split(presented);
  if (ours === null || theirs === null || !isLoopback(ours.host)) return false;
  const port = theirs.port;
  return (
    (port === null || (/^[1-9][0-9]{0,4}$/.test(port) && Number(port) <= 65535)) &&
    theirs.host === ours.host &&
    withoutRoot(theirs.rest) === withoutRoot(ours.rest) &&
    !theirs.rest.includes("#")
  );
}

// http://HOST[:PORT]REST in its three parts, by the text alone.
function split(uri: string): { host: string; port: string | null; rest: string } | null {
  if (!uri.startsWith("http://")) return null;
  const after = uri.slice("http://".length);
  const ends = ["/", "?", "#"].map((c) => after.indexOf(c)).filter((i) => i >= 0);
  const end = ends.length > 0 ? Math.min(...ends) : after.length;
  const authority = after.slice(0, end);
  const rest = after.slice(end);
  if (authority.includes("@")) return null; // user information
  const hostEnd = authority.lastIndexOf("]") + 1; // the port follows an IPv6 literal
  const colon = authority.indexOf(":", hostEnd);
  if (colon < 0) return { host: authority, port: null, rest };
  return { host: authority.slice(0, colon), port: authority.slice(colon + 1), rest };
}

function withoutRoot(pathAndQuery: string): string {
  return pathAndQuery.startsWith("/") ? pathAndQuery.slice(1) : pathAndQuery;
}

// A registered URI's host is loopback (dcr validated it at registration).
function isLoopback(host: string): boolean {
  return host === "localhost" || host === "[::1]" || /^127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$/.test(host);
}
