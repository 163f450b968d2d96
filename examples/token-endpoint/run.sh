#!/usr/bin/env bash
# Runs the token-endpoint examples (Python and TypeScript) through the
# integration checklist against a real dcr-server, and checks that the code
# in docs/integration.md is these files. CI runs it after the tests:
#   bash examples/token-endpoint/run.sh target/debug/dcr-server
set -euo pipefail
binary=$(realpath "${1:?usage: run.sh path/to/dcr-server}")
cd "$(dirname "$0")"

if ! command -v python3 >/dev/null; then
    echo "SKIP: the token-endpoint examples need python3 (3.9 or later), which is not installed; nothing was checked"
    exit 0
fi
python3 check_docs.py ../../docs/integration.md
python3 python/check_redirect_cases.py

examples=(python)
if command -v node >/dev/null && command -v npm >/dev/null \
    && [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ]; then
    (
        cd typescript
        # node_modules is kept between runs (it is not committed); npm ci
        # installs exactly package-lock.json when it is missing.
        [ -x node_modules/.bin/tsc ] || npm ci --no-audit --no-fund --loglevel=error
        node_modules/.bin/tsc -p .
    )
    node typescript/dist/check-redirect-cases.js
    examples+=(typescript)
else
    echo "SKIP: the TypeScript example needs Node.js 20 or later and npm, which are not installed; only the Python example is checked"
fi
python3 driver.py "$binary" "${examples[@]}"
