#!/usr/bin/env bash
# The API contract: schemathesis against both listeners of the real binary,
# generated from docs/openapi.yaml. Fails on any 5xx and on any answer the
# document does not describe (status, content type, headers, body schema).
#   bash tests/contract/run.sh [path/to/dcr-server]
set -euo pipefail
cd "$(dirname "$0")/../.."

BIN=${1:-target/debug/dcr-server}
SCHEMATHESIS_VERSION=4.32.5
# Examples per operation: about 1,000 requests per listener, a few seconds.
EXAMPLES=${CONTRACT_EXAMPLES:-20}
VENV=${CONTRACT_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/dcr/schemathesis-$SCHEMATHESIS_VERSION}
ADMIN_TOKEN=contract-admin-token-0123456789abcdefghij

if [ ! -x "$VENV/bin/st" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
fi
[ -x "$BIN" ] || cargo build -q -p dcr-server

WORK=$(mktemp -d)
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
ADMIN_PORT=$(free_port)
# Rate limits off (every request comes from 127.0.0.1); URL client ids off
# (no fetch leaves this machine); discovery configured, so it is tested.
DCR_DATABASE_URL="$WORK/dcr.sqlite3" DCR_BIND="127.0.0.1:$PORT" DCR_ADMIN_BIND="127.0.0.1:$ADMIN_PORT" \
DCR_ADMIN_TOKEN="$ADMIN_TOKEN" DCR_BCRYPT_COST=4 DCR_RATE_LIMIT=off DCR_RATE_LIMIT_GLOBAL=off \
DCR_FAILED_AUTH_LIMIT=off DCR_CIMD=off DCR_LOG=warn \
DCR_AUTHORIZATION_ENDPOINT=https://auth.example.com/authorize DCR_TOKEN_ENDPOINT=https://auth.example.com/token \
    "$BIN" 2>"$WORK/server.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
# What went wrong, with the server's own account of it.
fail() {
    echo "contract: $*; the server's log:" >&2
    kill -0 "$SERVER" 2>/dev/null || echo "contract: (the server is no longer running)" >&2
    cat "$WORK/server.log" >&2
    exit 1
}
ready=
for _ in $(seq 1 100); do
    if curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; then
        ready=1
        break
    fi
    kill -0 "$SERVER" 2>/dev/null || fail "the server exited before it was ready"
    sleep 0.1
done
[ -n "$ready" ] || fail "the server was not ready on http://127.0.0.1:$PORT/readyz within 10 s"

CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance
run() {
    "$VENV/bin/st" ${CONFIG:+--config-file "$CONFIG"} run docs/openapi.yaml --checks "$CHECKS" --phases examples,coverage,fuzzing \
        --max-examples "$EXAMPLES" --seed 7591 --request-timeout 10 "$@"
}
echo "== public listener"
run --url "http://127.0.0.1:$PORT" --include-tag public || fail "the public listener broke the contract"
echo "== admin listener"
run --url "http://127.0.0.1:$ADMIN_PORT" --include-tag admin -H "Authorization: Bearer $ADMIN_TOKEN" \
    || fail "the admin listener broke the contract"
# Clients for the second admin pass (registered-clients.toml): without them
# every operation on one client answers 404 and its 200 is never checked.
# Registered only now: the first pass deletes the clients it finds listed.
register() {
    curl -sf -H 'Content-Type: application/json' --data "$1" "http://127.0.0.1:$PORT/register" \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["client_id"])' \
        || fail "registering a client for the contract failed"
}
CONFIDENTIAL_BODY='{"client_name": "Contract", "redirect_uris": ["https://app.example/callback"], "token_endpoint_auth_method": "client_secret_post"}'
PUBLIC_BODY='{"client_name": "Contract CLI", "redirect_uris": ["http://127.0.0.1:8765/callback"], "token_endpoint_auth_method": "none"}'
CONTRACT_CONFIDENTIAL=$(register "$CONFIDENTIAL_BODY")
CONTRACT_DELETED=$(register "$CONFIDENTIAL_BODY")
CONTRACT_TOGGLED=$(register "$CONFIDENTIAL_BODY")
CONTRACT_ROTATED=$(register "$CONFIDENTIAL_BODY")
CONTRACT_PUBLIC=$(register "$PUBLIC_BODY")
export CONTRACT_CONFIDENTIAL CONTRACT_DELETED CONTRACT_TOGGLED CONTRACT_ROTATED CONTRACT_PUBLIC

echo "== admin listener, on registered clients"
CONFIG=tests/contract/registered-clients.toml run --url "http://127.0.0.1:$ADMIN_PORT" \
    --include-path-regex '^/admin/(clients/\{client_id\}|verify$|used$|lookup$)' \
    -H "Authorization: Bearer $ADMIN_TOKEN" || fail "the admin listener broke the contract on registered clients"
# A server that died mid-run answers nothing more, and schemathesis may not
# notice if it died after its last request.
kill -0 "$SERVER" 2>/dev/null || fail "the server is no longer running"
# No panic and no 500, by the server's own account too (actix's own lines
# about requests that do not parse are the clients' errors, not the server's).
if grep -q "panicked at" "$WORK/server.log"; then
    fail "the server panicked"
fi
if grep -q "answering 500" "$WORK/server.log"; then
    fail "the server answered 500"
fi
