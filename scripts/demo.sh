#!/usr/bin/env bash
# The end-to-end demo: a local SCIM sandbox, then validate → plan → apply → plan.
set -euo pipefail
cd "$(dirname "$0")/.."

port=${DEMO_PORT:-$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
token=$(python -c 'import secrets; print(secrets.token_urlsafe(24))')
scimctl sandbox --port "$port" --token "$token" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT

export SCIM_URL="http://127.0.0.1:$port/v2" SCIM_TOKEN="$token"
for _ in $(seq 50); do
  python - "$SCIM_URL" <<'PY' && break
import sys, urllib.request
try:
    urllib.request.urlopen(sys.argv[1] + "/ServiceProviderConfig", timeout=1)
except urllib.error.HTTPError:
    sys.exit(0)  # it answers (401 without a token): it is up
except OSError:
    sys.exit(1)
PY
  sleep 0.2
done

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
step scimctl validate
step scimctl plan
step scimctl apply --auto-approve
step scimctl plan --detailed-exitcode
printf '\nDemo done: the example org is applied and the plan is empty.\n'
