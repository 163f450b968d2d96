// The authorization server's two calls to dcr's admin listener.

const ADMIN_URL = (process.env.DCR_ADMIN_URL ?? "http://127.0.0.1:9090").replace(/\/$/, "");
const ADMIN_TOKEN = process.env.DCR_ADMIN_TOKEN ?? "";

export interface Client {
  client_id: string;
  client_name?: string;
  redirect_uris?: string[];
  grant_types?: string[];
  token_endpoint_auth_method: string;
  scope?: string;
}

export interface Consent {
  redirect_hosts: string[];
  loopback_only: boolean;
  name_flags: string[];
  known_client: string | null;
}

export type Verified = { valid: false } | { valid: true; client: Client; consent: Consent };

export type Lookup =
  | { usable: true; client: Client; consent: Consent; redirect_uri_rule: string }
  | { usable: false; reason: string };

// dcr cannot answer now (429, 503, or not reachable): the caller is told to
// come back, never that its credentials are wrong.
export class DcrUnavailable extends Error {
  constructor(
    readonly status: 429 | 503,
    readonly retryAfter: string,
  ) {
    super(`dcr answered ${status}`);
  }
}

// POST /admin/verify. Call it on every token request; never keep a valid
// answer for the next.
export function verify(clientId: string, clientSecret: string | null, clientAddress: string | null) {
  const body: Record<string, string | null> = { client_id: clientId, client_address: clientAddress };
  if (clientSecret !== null) body.client_secret = clientSecret;
  return post<Verified>("/admin/verify", body);
}

// POST /admin/lookup, for /authorize, which has no secret.
export function lookup(clientId: string) {
  return post<Lookup>("/admin/lookup", { client_id: clientId });
}

async function post<T>(path: string, body: object): Promise<T> {
  let response: Response;
  try {
    // The client id travels in the body, never in the URL: an id the client
    // chose, such as "victim/disable?", in a path would be another admin call.
    response = await fetch(ADMIN_URL + path, {
      method: "POST",
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, "Content-Type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
  } catch {
    throw new DcrUnavailable(503, "5");
  }
  if (response.status === 429 || response.status === 503) {
    throw new DcrUnavailable(response.status, response.headers.get("Retry-After") ?? "1");
  }
  if (!response.ok) {
    // 400, 401, 403: this server's mistake (a malformed call, a wrong admin
    // token), never the client's; it becomes a 500.
    throw new Error(`dcr answered ${response.status} to ${path}`);
  }
  return (await response.json()) as T;
}
