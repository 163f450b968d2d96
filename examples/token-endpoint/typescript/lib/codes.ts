// Authorization codes between /authorize and /token. In memory, for the
// example; a real server keeps them where every instance can redeem them.

export interface Grant {
  clientId: string;
  redirectUri: string;
  scope: string;
  codeChallenge: string;
  expiresAt: number;
}

const codes = new Map<string, Grant>();

export function issueCode(grant: Grant): string {
  const code = base64url(crypto.getRandomValues(new Uint8Array(32)));
  codes.set(code, grant);
  return code;
}

// Single use: a code is gone once presented, whatever the outcome.
export function redeemCode(code: string): Grant | undefined {
  const grant = codes.get(code);
  codes.delete(code);
  return grant && grant.expiresAt > Date.now() ? grant : undefined;
}

// Requested scope within the registered one. A client that registered no
// scope did not limit itself: your server's own policy decides (here: any).
export function scopeAllowed(requested: string, registered: string | undefined): boolean {
  if (registered === undefined) return true;
  const allowed = new Set(registered.split(" "));
  return requested.split(" ").every((token) => token === "" || allowed.has(token));
}

// Form or query parameters; a repeated one is refused (RFC 6749 section 3.1).
export function singleParams(params: URLSearchParams): Map<string, string> | null {
  const single = new Map<string, string>();
  for (const [key, value] of params) {
    if (single.has(key)) return null;
    single.set(key, value);
  }
  return single;
}

export function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
