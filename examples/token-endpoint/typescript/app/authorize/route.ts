// app/authorize/route.ts: the authorization endpoint, a Next.js App Router
// route handler. GET shows the consent page; POST is the user's approval.
// An example: every user is approved, no user logs in.
import { issueCode, scopeAllowed, singleParams } from "../../lib/codes.js";
import { DcrUnavailable, lookup, type Consent, type Client } from "../../lib/dcr-admin.js";
import { redirectUriMatches } from "../../lib/redirect-match.js";

export async function GET(request: Request): Promise<Response> {
  return authorize(new URL(request.url).searchParams, false);
}

export async function POST(request: Request): Promise<Response> {
  return authorize(new URLSearchParams(await request.text()), true);
}

async function authorize(raw: URLSearchParams, approved: boolean): Promise<Response> {
  const params = singleParams(raw);
  if (params === null) return page(400, "A parameter is repeated.");
  const clientId = params.get("client_id");
  if (!clientId) return page(400, "The request names no client_id.");
  let answer;
  try {
    answer = await lookup(clientId);
  } catch (failure) {
    if (!(failure instanceof DcrUnavailable)) throw failure;
    return page(failure.status, "Sign-in is busy; try again shortly.", { "Retry-After": failure.retryAfter });
  }
  // Until the redirect URI is known to be the client's, errors are shown
  // here, never sent to it (RFC 6749 section 4.1.2.1).
  if (!answer.usable) {
    // A URL client id's document could not be fetched: worth a retry.
    const status = answer.reason === "document_unavailable" ? 503 : 400;
    return page(status, `This application cannot sign in (${answer.reason}).`);
  }
  const client = answer.client;
  const redirectUri = params.get("redirect_uri") ?? "";
  if (!redirectUriMatches(client.redirect_uris ?? [], redirectUri)) {
    return page(400, "The redirect_uri is not registered for this application.");
  }

  const back = (result: Record<string, string>): Response => {
    const state = params.get("state");
    const query = new URLSearchParams(state === undefined ? result : { ...result, state });
    const location = redirectUri + (redirectUri.includes("?") ? "&" : "?") + query.toString();
    return new Response(null, { status: 302, headers: { Location: location, "Cache-Control": "no-store" } });
  };

  if (params.get("response_type") !== "code") return back({ error: "unsupported_response_type" });
  if (!client.grant_types?.includes("authorization_code")) return back({ error: "unauthorized_client" });
  const scope = params.get("scope") ?? "";
  if (!scopeAllowed(scope, client.scope)) return back({ error: "invalid_scope" });
  const codeChallenge = params.get("code_challenge");
  if (params.get("code_challenge_method") !== "S256" || !codeChallenge) {
    return back({ error: "invalid_request", error_description: "PKCE with S256 is required" });
  }
  if (!approved) return consentPage(client, answer.consent, params);
  // The user approved. (A real server checks its login session and a CSRF
  // token here.)
  const code = issueCode({ clientId: client.client_id, redirectUri, scope, codeChallenge, expiresAt: Date.now() + 60_000 });
  return back({ code });
}

function consentPage(client: Client, consent: Consent, params: Map<string, string>): Response {
  const warnings = consent.name_flags.map((flag) => `The name looks like another application's (${flag}).`);
  if (consent.loopback_only) warnings.push("It sends you back only to a program on this computer.");
  const hidden = [...params]
    .map(([key, value]) => `<input type="hidden" name="${escape(key)}" value="${escape(value)}">`)
    .join("");
  const body =
    `<h1>${escape(client.client_name ?? client.client_id)} wants to use your account</h1>` +
    `<p>It will be sent to: ${escape(consent.redirect_hosts.join(", "))}</p>` +
    `<ul>${warnings.map((w) => `<li>${escape(w)}</li>`).join("")}</ul>` +
    `<form method=post action=/authorize>${hidden}<button>Allow</button></form>`;
  return html(200, body);
}

function page(status: number, message: string, headers: Record<string, string> = {}): Response {
  return html(status, `<h1>Cannot sign in</h1><p>${escape(message)}</p>`, headers);
}

function html(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, {
    status,
    headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", ...headers },
  });
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
