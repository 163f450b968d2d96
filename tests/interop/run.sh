#!/usr/bin/env bash
# Interop check with real MCP client libraries against the release binary on
# embedded SQLite: the MCP TypeScript SDK's discoverAuthorizationServerMetadata
# and registerClient, and the MCP Python SDK's OAuth models. Needs node, npm
# and python3 with venv; the SDKs come from the npm registry and PyPI, so it
# is not part of CI.
#   bash tests/interop/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
fixtures=${DCR_FIXTURES:-$root/tests/fixtures/mcp-registration-bodies.json}
work=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

cargo build --release -q -p dcr-server
(cd "$work" && npm init -y >/dev/null && npm install --silent @modelcontextprotocol/sdk@latest >/dev/null)
python3 -m venv "$work/venv" && "$work/venv/bin/pip" install -q mcp
cp tests/interop/mcp-typescript-sdk.mjs tests/interop/mcp-python-sdk.py "$work/"

port=${INTEROP_PORT:-18095}
# exec, so that $! is the server itself and the trap stops it.
(cd "$work" && DCR_BIND=127.0.0.1:$port DCR_ADMIN_BIND=127.0.0.1:0 DCR_BCRYPT_COST=4 \
    DCR_AUTHORIZATION_ENDPOINT=http://127.0.0.1:$port/authorize DCR_TOKEN_ENDPOINT=http://127.0.0.1:$port/token \
    exec "$root/target/release/dcr-server" 2>server.log) &
server=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
echo "MCP TypeScript SDK $(node -p "require('$work/node_modules/@modelcontextprotocol/sdk/package.json').version")"
(cd "$work" && node mcp-typescript-sdk.mjs "http://127.0.0.1:$port" "$fixtures")
echo "MCP Python SDK $("$work/venv/bin/python" -c 'import importlib.metadata as m; print(m.version("mcp"))')"
"$work/venv/bin/python" "$work/mcp-python-sdk.py" "http://127.0.0.1:$port" "$fixtures"
