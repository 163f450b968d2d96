// app/token/route.ts: the token endpoint, a Next.js App Router route handler
// that authenticates clients with dcr. Web APIs only (Request, Response, fetch).
import { redeemCode, scopeAllowed, singleParams, base64url } from "../../lib/codes.js";
import { DcrUnavailable, verify, type Client } from "../../lib/dcr-admin.js";

class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    readonly basic = false,
  ) {
    super(description);
  }
}

export async function POST(request: Request): Promise<Response> {
  try {
    const form = singleParams(new URLSearchParams(await request.text()));
    if (form === null) throw new OAuthError(400, "invalid_request", "a parameter is repeated");
    const [clientId, secret, method] = clientCredentials(request.headers.get("Authorization"), form);
    const basic = method === "client_secret_basic";
    // Every request asks dcr again: a secret rotated or a client disabled a
    // second ago must stop working now. The address is the one your platform
    // or proxy wrote, never one the client sent.
    const answer = await verify(clientId, secret, request.headers.get("x-real-ip"));
    if (!answer.valid) throw new OAuthError(401, "invalid_client", "client authentication failed", basic);
    const client = answer.client;
    if (client.token_endpoint_auth_method !== method) {
      throw new OAuthError(401, "invalid_client", "not the registered authentication method", basic);
    }
    const grantType = form.get("grant_type");
    if (!grantType) throw new OAuthError(400, "invalid_request", "grant_type is missing");
    if (!client.grant_types?.includes(grantType)) {
      throw new OAuthError(400, "unauthorized_client", "grant type not registered for this client");
    }
    let scope: string;
    if (grantType === "authorization_code") {
      scope = await redeem(client, form);
    } else if (grantType === "client_credentials") {
      scope = form.get("scope") ?? client.scope ?? "";
      if (!scopeAllowed(scope, client.scope)) {
        throw new OAuthError(400, "invalid_scope", "scope beyond the registered scope");
      }
    } else {
      throw new OAuthError(400, "unsupported_grant_type", "this example issues no other grant");
    }
    const accessToken = base64url(crypto.getRandomValues(new Uint8Array(32)));
    return json(200, { access_token: accessToken, token_type: "Bearer", expires_in: 3600, ...(scope && { scope }) });
  } catch (failure) {
    if (failure instanceof DcrUnavailable) {
      // Not invalid_client: the client's credentials may be fine, and a
      // client told they are wrong may throw them away.
      return json(failure.status, { error: "temporarily_unavailable" }, { "Retry-After": failure.retryAfter });
    }
    if (failure instanceof OAuthError) {
      const headers: Record<string, string> = failure.basic ? { "WWW-Authenticate": 'Basic realm="token"' } : {};
      return json(failure.status, { error: failure.error, error_description: failure.description }, headers);
    }
    throw failure;
  }
}

// [client_id, client_secret, method used] from the request.
function clientCredentials(authorization: string | null, form: Map<string, string>): [string, string | null, string] {
  if (authorization?.slice(0, 6).toLowerCase() === "basic ") {
    if (form.has("client_secret")) throw new OAuthError(400, "invalid_request", "more than one authentication method");
    const malformed = new OAuthError(401, "invalid_client", "malformed Basic credentials", true);
    let user: string, password: string;
    try {
      const bytes = Uint8Array.from(atob(authorization.slice(6).trim()), (c) => c.charCodeAt(0));
      const decoded = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
      const colon = decoded.indexOf(":");
      if (colon < 0) throw malformed;
      // RFC 6749 section 2.3.1: id and secret are form-urlencoded before they
      // are joined, so "+" is a space and "%3A" a colon.
      user = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, " "));
      password = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, " "));
    } catch {
      throw malformed;
    }
    if ((form.get("client_id") ?? user) !== user) {
      throw new OAuthError(400, "invalid_request", "client_id differs from the Basic credentials");
    }
    return [user, password, "client_secret_basic"];
  }
  const clientId = form.get("client_id");
  if (!clientId) throw new OAuthError(401, "invalid_client", "no client authentication");
  const secret = form.get("client_secret");
  return secret === undefined ? [clientId, null, "none"] : [clientId, secret, "client_secret_post"];
}

async function redeem(client: Client, form: Map<string, string>): Promise<string> {
  const grant = redeemCode(form.get("code") ?? "");
  if (!grant || grant.clientId !== client.client_id) {
    throw new OAuthError(400, "invalid_grant", "unknown, expired or used code");
  }
  // RFC 6749 section 4.1.3: the same redirect_uri as at /authorize, as text.
  if (form.get("redirect_uri") !== grant.redirectUri) {
    throw new OAuthError(400, "invalid_grant", "redirect_uri differs from the authorization request");
  }
  const verifier = new TextEncoder().encode(form.get("code_verifier") ?? "");
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", verifier));
  if (base64url(digest) !== grant.codeChallenge) {
    throw new OAuthError(400, "invalid_grant", "code_verifier does not match");
  }
  return grant.scope;
}

function json(status: number, body: object, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers: { "Cache-Control": "no-store", ...headers } });
}
