"""Drives the token-endpoint examples through the integration checklist
against a real dcr-server: python3 driver.py path/to/dcr-server [python] [typescript]

Starts dcr on a temporary SQLite file, random ports and a generated admin
token; registers clients over HTTP; starts each example; checks what each
answers. Exits 1 on the first example that answers wrongly.
"""

import base64
import hashlib
import http.client
import json
import os
import pathlib
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = pathlib.Path(__file__).resolve().parent
EXAMPLES = {
    "python": lambda port: [sys.executable, str(HERE / "python" / "token_endpoint.py"), str(port)],
    "typescript": lambda port: ["node", str(HERE / "typescript" / "dist" / "server.js"), str(port)],
}
# Each example's requests come from an address of its own, so that dcr's
# failed-credential limit (per end-client address) counts each apart.
SOURCE = {"python": "127.0.0.2", "typescript": "127.0.0.3"}


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def call(port, method, path, body=None, headers=None, source="127.0.0.1"):
    """(status, headers, body) of one request; redirects are not followed."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def wait_for(port, process, name):
    for _ in range(100):
        if process.poll() is not None:
            sys.exit(f"{name} exited with {process.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"{name} did not listen on port {port}")


class Dcr:
    def __init__(self, binary, workdir):
        self.port, self.admin_port = free_port(), free_port()
        self.admin_token = secrets.token_urlsafe(32)
        env = dict(
            os.environ,
            DCR_BIND=f"127.0.0.1:{self.port}",
            DCR_ADMIN_BIND=f"127.0.0.1:{self.admin_port}",
            DCR_ADMIN_TOKEN=self.admin_token,
            DCR_DATABASE_URL=str(pathlib.Path(workdir) / "dcr.sqlite3"),
            DCR_BCRYPT_COST="4",
            DCR_FAILED_AUTH_LIMIT="5/hour",
            DCR_LOG="error",
        )
        self.process = subprocess.Popen([binary], env=env, cwd=workdir)
        wait_for(self.admin_port, self.process, "dcr-server")
        wait_for(self.port, self.process, "dcr-server")

    def register(self, **metadata):
        status, _, body = call(self.port, "POST", "/register", json.dumps(metadata), {"Content-Type": "application/json"})
        assert status == 201, (status, body)
        return json.loads(body)

    def admin(self, path):
        status, _, body = call(self.admin_port, "POST", path, b"", {"Authorization": f"Bearer {self.admin_token}"})
        assert status < 300, (path, status, body)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


class Example:
    def __init__(self, name, port):
        self.name, self.port, self.source = name, port, SOURCE[name]
        self.failures = 0

    def get(self, path, **query):
        return call(self.port, "GET", f"{path}?{urllib.parse.urlencode(query)}", source=self.source)

    def post(self, path, form, headers=None):
        headers = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        return call(self.port, "POST", path, urllib.parse.urlencode(form), headers, self.source)

    def check(self, what, condition, answer=None):
        mark = "ok  " if condition else "FAIL"
        print(f"  {mark} {self.name}: {what}" + ("" if condition else f"\n       got {answer}"))
        self.failures += not condition


def pkce():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_params(client, redirect_uri, scope=None):
    verifier, challenge = pkce()
    params = {
        "response_type": "code",
        "client_id": client["client_id"],
        "redirect_uri": redirect_uri,
        "state": "st-" + secrets.token_hex(4),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    if scope is not None:
        params["scope"] = scope
    return params, verifier


def get_code(example, client, redirect_uri, scope=None):
    """The consent page, then the user's approval: (code, verifier) or None."""
    params, verifier = authorize_params(client, redirect_uri, scope)
    status, _, page = example.get("/authorize", **params)
    if status != 200 or (client.get("client_name") or "").encode() not in page:
        return None, (status, page[:200])
    status, headers, _ = example.post("/authorize", params)
    location = urllib.parse.urlsplit(headers.get("location", ""))
    query = dict(urllib.parse.parse_qsl(location.query))
    if status != 302 or "code" not in query or query.get("state") != params["state"]:
        return None, (status, headers.get("location"))
    return (query["code"], verifier), None


def basic(client_id, secret, encode=urllib.parse.quote_plus):
    pair = f"{encode(client_id)}:{encode(secret)}".encode()
    return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


def error_of(answer):
    status, headers, body = answer
    try:
        return status, json.loads(body).get("error")
    except ValueError:
        return status, body[:100]


def run_checklist(example, dcr, clients):
    web, service, native, gone = clients["web"], clients["service"], clients["native"], clients["gone"]
    web_basic = basic(web["client_id"], web["client_secret"])

    # Good secret, client_secret_basic, authorization_code with PKCE.
    grant, trouble = get_code(example, web, "https://app.example/cb", "mcp:read")
    example.check("consent page, then a code at the registered redirect", grant, trouble)
    if grant:
        code, verifier = grant
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": "https://app.example/cb", "code_verifier": verifier}
        status, _, body = answer = example.post("/token", form, web_basic)
        example.check("good secret (Basic): 200 with a token", status == 200 and b"access_token" in body, answer)
        example.check("a code is single use", error_of(example.post("/token", form, web_basic)) == (400, "invalid_grant"))

    # Basic credentials are form-urlencoded (RFC 6749 2.3.1): every byte encoded still works.
    grant, _ = get_code(example, web, "https://app.example/cb")
    if grant:
        every_byte = lambda text: "".join(f"%{b:02X}" for b in text.encode())
        form = {"grant_type": "authorization_code", "code": grant[0], "redirect_uri": "https://app.example/cb", "code_verifier": grant[1]}
        answer = example.post("/token", form, basic(web["client_id"], web["client_secret"], every_byte))
        example.check("Basic credentials form-decoded", answer[0] == 200, answer)
        grant, _ = get_code(example, web, "https://app.example/cb")
        form["code"], form["code_verifier"] = grant
        answer = example.post("/token", {**form, "redirect_uri": "https://app.example/other"}, web_basic)
        example.check("token redirect_uri differs from /authorize: invalid_grant", error_of(answer) == (400, "invalid_grant"), answer)

    # Wrong secret, wrong method, unregistered grant.
    answer = example.post("/token", {"grant_type": "client_credentials"}, basic(web["client_id"], "wrong-" + web["client_secret"]))
    example.check("wrong secret: 401 invalid_client", error_of(answer) == (401, "invalid_client") and "www-authenticate" in answer[1], answer)
    answer = example.post("/token", {"grant_type": "client_credentials", "client_id": web["client_id"], "client_secret": web["client_secret"]})
    example.check("right secret, wrong method (post for a basic client): 401 invalid_client", error_of(answer) == (401, "invalid_client"), answer)
    answer = example.post("/token", {"grant_type": "client_credentials"}, web_basic)
    example.check("grant type not registered: 400 unauthorized_client", error_of(answer) == (400, "unauthorized_client"), answer)

    # Scope, client_credentials, client_secret_post.
    service_form = {"grant_type": "client_credentials", "client_id": service["client_id"], "client_secret": service["client_secret"]}
    answer = example.post("/token", {**service_form, "scope": "mcp:read"})
    example.check("client_credentials within the registered scope: 200", answer[0] == 200, answer)
    answer = example.post("/token", {**service_form, "scope": "mcp:read mcp:admin"})
    example.check("client_credentials beyond the registered scope: invalid_scope", error_of(answer) == (400, "invalid_scope"), answer)
    params, _ = authorize_params(web, "https://app.example/cb", "mcp:admin")
    status, headers, _ = example.get("/authorize", **params)
    example.check("/authorize beyond the registered scope: redirect with invalid_scope",
                  status == 302 and "error=invalid_scope" in headers.get("location", ""), (status, headers))

    # Redirect URIs: mismatch is an error page, loopback takes any port.
    params, _ = authorize_params(web, "https://app.example/cb2")
    status, headers, _ = example.get("/authorize", **params)
    example.check("redirect mismatch: 400 page, no redirect", status == 400 and "location" not in headers, status)
    grant, trouble = get_code(example, native, "http://127.0.0.1:50123/callback")
    example.check("loopback redirect on another port: a code", grant, trouble)
    if grant:
        form = {"grant_type": "authorization_code", "client_id": native["client_id"], "code": grant[0],
                "redirect_uri": "http://127.0.0.1:50123/callback", "code_verifier": grant[1]}
        example.check("public client (none): 200", example.post("/token", form)[0] == 200)
    params, _ = authorize_params(native, "http://127.0.0.1:50123/other")
    example.check("loopback with another path: 400 page", example.get("/authorize", **params)[0] == 400)

    # Disabled, unknown and injected clients.
    params, _ = authorize_params(gone, "http://127.0.0.1/cb")
    status, headers, page = example.get("/authorize", **params)
    example.check("disabled client at /authorize: 400 page naming it", status == 400 and b"disabled" in page and "location" not in headers, (status, page))
    answer = example.post("/token", {"grant_type": "authorization_code", "client_id": gone["client_id"], "code": "x"})
    example.check("disabled client at /token: invalid_client", error_of(answer) == (401, "invalid_client"), answer)
    params, _ = authorize_params({"client_id": "00000000-0000-4000-8000-000000000000"}, "http://127.0.0.1/cb")
    status, _, page = example.get("/authorize", **params)
    example.check("unknown client at /authorize: 400 page", status == 400 and b"unknown_client" in page, (status, page))
    injected = web["client_id"] + "/disable?"
    answer = example.post("/token", {"grant_type": "client_credentials", "client_id": injected})
    example.check("a client_id with a path in it is only a client id: invalid_client", error_of(answer) == (401, "invalid_client"), answer)
    example.check("... and disabled nothing", get_code(example, web, "https://app.example/cb")[0] is not None)

    # dcr's failed-credential limit: 429 passed on with Retry-After, never invalid_client.
    wrong = basic(web["client_id"], "wrong")
    for _ in range(10):
        answer = example.post("/token", {"grant_type": "client_credentials"}, wrong)
        if answer[0] != 401:
            break
    example.check("dcr 429: 429 temporarily_unavailable with Retry-After",
                  error_of(answer) == (429, "temporarily_unavailable") and answer[1].get("retry-after"), answer)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    binary, names = os.path.abspath(sys.argv[1]), sys.argv[2:] or list(EXAMPLES)
    with tempfile.TemporaryDirectory() as workdir:
        dcr = Dcr(binary, workdir)
        started = []
        try:
            clients = {
                "web": dcr.register(client_name="Web App", redirect_uris=["https://app.example/cb"],
                                    grant_types=["authorization_code", "refresh_token"],
                                    token_endpoint_auth_method="client_secret_basic", scope="mcp:read mcp:write"),
                "service": dcr.register(client_name="Service", grant_types=["client_credentials"], response_types=[],
                                        token_endpoint_auth_method="client_secret_post", scope="mcp:read"),
                "native": dcr.register(client_name="Native App", redirect_uris=["http://127.0.0.1:33418/callback"],
                                       token_endpoint_auth_method="none"),
                "gone": dcr.register(client_name="Gone", redirect_uris=["http://127.0.0.1/cb"], token_endpoint_auth_method="none"),
            }
            dcr.admin(f"/admin/clients/{clients['gone']['client_id']}/disable")
            env = dict(os.environ, DCR_ADMIN_URL=f"http://127.0.0.1:{dcr.admin_port}", DCR_ADMIN_TOKEN=dcr.admin_token)
            examples = []
            for name in names:
                port = free_port()
                process = subprocess.Popen(EXAMPLES[name](port), env=env)
                started.append(process)
                wait_for(port, process, name)
                examples.append(Example(name, port))
            for example in examples:
                print(f"{example.name} example against dcr")
                run_checklist(example, dcr, clients)
            dcr.stop()
            for example in examples:
                answer = example.post("/token", {"grant_type": "client_credentials", "client_id": "x"})
                example.check("dcr down: 503 temporarily_unavailable with Retry-After",
                              error_of(answer) == (503, "temporarily_unavailable") and answer[1].get("retry-after"), answer)
        finally:
            for process in [*started, dcr.process]:
                if process.poll() is None:
                    process.terminate()
                    process.wait(timeout=30)
    failures = sum(example.failures for example in examples)
    print(f"token-endpoint examples: {'all checks passed' if not failures else f'{failures} check(s) failed'}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
