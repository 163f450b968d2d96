"""An authorization server's /authorize and /token in front of dcr (stdlib WSGI).

    DCR_ADMIN_URL=http://127.0.0.1:9090 DCR_ADMIN_TOKEN=... python3 token_endpoint.py 3000

An example: codes live in memory, every user is approved, no user logs in.
"""

import base64
import hashlib
import html
import json
import os
import secrets
import sys
import time
import urllib.parse
from wsgiref.simple_server import WSGIRequestHandler, make_server

from dcr_admin import DcrAdmin, DcrUnavailable
from redirect_match import redirect_uri_matches

DCR = DcrAdmin(os.environ.get("DCR_ADMIN_URL", "http://127.0.0.1:9090"), os.environ["DCR_ADMIN_TOKEN"])
CODES = {}  # code -> what /authorize granted; single use, 60 seconds


class OAuthError(Exception):
    def __init__(self, status, error, description, basic=False):
        super().__init__(description)
        self.status, self.error, self.description, self.basic = status, error, description, basic


def application(environ, start_response):
    route = (environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""))
    if route in (("GET", "/authorize"), ("POST", "/authorize")):
        status, headers, body = authorize(environ)
    elif route == ("POST", "/token"):
        status, headers, body = token(environ)
    else:
        status, headers, body = 404, [("Content-Type", "text/plain")], b"not found"
    start_response(f"{status} {'OK' if status < 400 else 'Error'}", headers)
    return [body]


# --- /authorize -------------------------------------------------------------


def authorize(environ):
    try:
        params = read_params(environ)
    except OAuthError as failure:
        return page(400, failure.description)
    if not params.get("client_id"):
        return page(400, "The request names no client_id.")
    try:
        answer = DCR.lookup(params["client_id"])
    except DcrUnavailable as busy:
        return page(busy.status, "Sign-in is busy; try again shortly.", [("Retry-After", busy.retry_after)])
    # Until the redirect URI is known to be the client's, errors are shown
    # here, never sent to it (RFC 6749 section 4.1.2.1).
    if not answer["usable"]:
        # A URL client id's document could not be fetched: worth a retry.
        status = 503 if answer["reason"] == "document_unavailable" else 400
        return page(status, f"This application cannot sign in ({answer['reason']}).")
    client = answer["client"]
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri_matches(client.get("redirect_uris", []), redirect_uri):
        return page(400, "The redirect_uri is not registered for this application.")

    def back(**result):
        result["state"] = params.get("state")
        query = urllib.parse.urlencode({k: v for k, v in result.items() if v is not None})
        location = redirect_uri + ("&" if "?" in redirect_uri else "?") + query
        return 302, [("Location", location), ("Cache-Control", "no-store")], b""

    if params.get("response_type") != "code":
        return back(error="unsupported_response_type")
    if "authorization_code" not in client.get("grant_types", []):
        return back(error="unauthorized_client")
    if not scope_allowed(params.get("scope", ""), client):
        return back(error="invalid_scope")
    if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
        return back(error="invalid_request", error_description="PKCE with S256 is required")
    if environ["REQUEST_METHOD"] == "GET":
        return consent_page(client, answer["consent"], params)
    # POST: the user approved. (A real server checks its login session and
    # a CSRF token here.)
    code = secrets.token_urlsafe(32)
    CODES[code] = {
        "client_id": client["client_id"],
        "redirect_uri": redirect_uri,
        "scope": params.get("scope", ""),
        "code_challenge": params["code_challenge"],
        "expires_at": time.time() + 60,
    }
    return back(code=code)


def consent_page(client, consent, params):
    name = html.escape(client.get("client_name") or client["client_id"])
    warnings = [f"The name looks like another application's ({flag})." for flag in consent["name_flags"]]
    if consent["loopback_only"]:
        warnings.append("It sends you back only to a program on this computer.")
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in params.items()
    )
    items = "".join(f"<li>{html.escape(w)}</li>" for w in warnings)
    body = (
        f"<h1>{name} wants to use your account</h1>"
        f"<p>It will be sent to: {html.escape(', '.join(consent['redirect_hosts']))}</p>"
        f"<ul>{items}</ul><form method=post action=/authorize>{hidden}<button>Allow</button></form>"
    )
    return 200, [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")], body.encode()


def page(status, message, headers=()):
    body = f"<h1>Cannot sign in</h1><p>{html.escape(message)}</p>".encode()
    return status, [("Content-Type", "text/html; charset=utf-8"), *headers], body


# --- /token -----------------------------------------------------------------


def token(environ):
    try:
        form = read_params(environ)
        client_id, secret, method = client_credentials(environ.get("HTTP_AUTHORIZATION"), form)
        basic = method == "client_secret_basic"
        # Every request asks dcr again: a secret rotated or a client disabled
        # a second ago must stop working now.
        answer = DCR.verify(client_id, secret, environ.get("REMOTE_ADDR"))
        if not answer["valid"]:
            raise OAuthError(401, "invalid_client", "client authentication failed", basic)
        client = answer["client"]
        if client["token_endpoint_auth_method"] != method:
            raise OAuthError(401, "invalid_client", "not the registered authentication method", basic)
        grant_type = form.get("grant_type")
        if not grant_type:
            raise OAuthError(400, "invalid_request", "grant_type is missing")
        if grant_type not in client.get("grant_types", []):
            raise OAuthError(400, "unauthorized_client", "grant type not registered for this client")
        if grant_type == "authorization_code":
            scope = redeem_code(client, form)
        elif grant_type == "client_credentials":
            scope = form.get("scope", client.get("scope", ""))
            if not scope_allowed(scope, client):
                raise OAuthError(400, "invalid_scope", "scope beyond the registered scope")
        else:
            raise OAuthError(400, "unsupported_grant_type", "this example issues no other grant")
    except DcrUnavailable as busy:
        # Not invalid_client: the client's credentials may be fine, and a
        # client told they are wrong may throw them away.
        headers = [("Retry-After", busy.retry_after)]
        return json_answer(busy.status, {"error": "temporarily_unavailable"}, headers)
    except OAuthError as failure:
        headers = [("WWW-Authenticate", 'Basic realm="token"')] if failure.basic else []
        body = {"error": failure.error, "error_description": failure.description}
        return json_answer(failure.status, body, headers)
    issued = {"access_token": secrets.token_urlsafe(32), "token_type": "Bearer", "expires_in": 3600}
    if scope:
        issued["scope"] = scope
    return json_answer(200, issued)


def client_credentials(authorization, form):
    """(client_id, client_secret, method used) from the request."""
    if authorization and authorization[:6].lower() == "basic ":
        if "client_secret" in form:
            raise OAuthError(400, "invalid_request", "more than one authentication method")
        try:
            user, colon, password = base64.b64decode(authorization[6:].strip(), validate=True).decode().partition(":")
        except ValueError:
            raise OAuthError(401, "invalid_client", "malformed Basic credentials", True) from None
        if not colon:
            raise OAuthError(401, "invalid_client", "malformed Basic credentials", True)
        # RFC 6749 section 2.3.1: id and secret are form-urlencoded before they
        # are joined, so "+" is a space and "%3A" a colon.
        client_id = urllib.parse.unquote_plus(user)
        if form.get("client_id", client_id) != client_id:
            raise OAuthError(400, "invalid_request", "client_id differs from the Basic credentials")
        return client_id, urllib.parse.unquote_plus(password), "client_secret_basic"
    if not form.get("client_id"):
        raise OAuthError(401, "invalid_client", "no client authentication")
    if "client_secret" in form:
        return form["client_id"], form["client_secret"], "client_secret_post"
    return form["client_id"], None, "none"


def redeem_code(client, form):
    grant = CODES.pop(form.get("code", ""), None)
    if not grant or grant["expires_at"] < time.time() or grant["client_id"] != client["client_id"]:
        raise OAuthError(400, "invalid_grant", "unknown, expired or used code")
    # RFC 6749 section 4.1.3: the same redirect_uri as at /authorize, as text.
    if form.get("redirect_uri") != grant["redirect_uri"]:
        raise OAuthError(400, "invalid_grant", "redirect_uri differs from the authorization request")
    digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
    if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant["code_challenge"]:
        raise OAuthError(400, "invalid_grant", "code_verifier does not match")
    return grant["scope"]


def scope_allowed(requested, client):
    """Requested scope within the registered one. A client that registered no
    scope did not limit itself: your server's own policy decides (here: any)."""
    if "scope" not in client:
        return True
    return set(requested.split()) <= set(client["scope"].split())


# --- plumbing ---------------------------------------------------------------


def read_params(environ):
    if environ["REQUEST_METHOD"] == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length).decode("utf-8", "replace")
    else:
        raw = environ.get("QUERY_STRING", "")
    pairs = urllib.parse.parse_qsl(raw, keep_blank_values=True)
    params = dict(pairs)
    if len(params) != len(pairs):  # RFC 6749 section 3.1: no parameter twice
        raise OAuthError(400, "invalid_request", "a parameter is repeated")
    return params


def json_answer(status, body, headers=()):
    headers = [("Content-Type", "application/json"), ("Cache-Control", "no-store"), *headers]
    return status, headers, json.dumps(body).encode()


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args):
        pass


if __name__ == "__main__":
    with make_server("127.0.0.1", int(sys.argv[1]), application, handler_class=QuietHandler) as server:
        server.serve_forever()
