"""Registers every fixture body and reads the discovery document through the
MCP Python SDK's own models (OAuthMetadata, OAuthClientMetadata,
OAuthClientInformationFull), as its OAuth client does, against a running dcr:
python mcp-python-sdk.py BASE_URL FIXTURES_JSON"""
import json
import sys
import urllib.error
import urllib.request

from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthMetadata

base, fixtures_path = sys.argv[1], sys.argv[2]


def call(method, url, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


status, document = call("GET", f"{base}/.well-known/oauth-authorization-server")
metadata = OAuthMetadata.model_validate(document)
print("discovered", metadata.registration_endpoint)
failed = False
with open(fixtures_path) as fixtures:
    bodies = json.load(fixtures)["bodies"]
for name, body in bodies.items():
    request = OAuthClientMetadata.model_validate(body).model_dump(mode="json", exclude_none=True)
    status, answer = call("POST", str(metadata.registration_endpoint), request)
    info = OAuthClientInformationFull.model_validate(answer)
    wants_secret = body["token_endpoint_auth_method"] != "none"
    ok = status == 201 and info.token_endpoint_auth_method == body["token_endpoint_auth_method"] \
        and bool(info.client_secret) == wants_secret
    # RFC 7592: read the registration back with its token.
    status, read = call("GET", answer["registration_client_uri"], token=answer["registration_access_token"])
    ok = ok and status == 200 and read["client_id"] == info.client_id
    print(name, "ok" if ok else "MISMATCH", info.client_id)
    failed |= not ok
sys.exit(1 if failed else 0)
