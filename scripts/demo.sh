#!/usr/bin/env bash
# The end-to-end demo: a local SCIM sandbox, then validate → plan → apply → plan.
set -euo pipefail
cd "$(dirname "$0")/.."

port=${DEMO_PORT:-$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
token=$(python -c 'import secrets; print(secrets.token_urlsafe(24))')
# The demo's sandbox is in memory and gone when the demo ends: keep its last-seen record
# (see "The last-seen guard" in README) in a directory of its own, removed with it.
SCIMCTL_CACHE_DIR=$(mktemp -d)
export SCIMCTL_CACHE_DIR
# The AWS IAM Identity Center sandbox: the tool is AWS-first, so the demo rehearses AWS's
# documented behaviour (cursor paging, members read per group, 100 per PATCH …).
scimctl sandbox --profile aws-identity-center --port "$port" --token "$token" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$SCIMCTL_CACHE_DIR"' EXIT

export SCIM_URL="http://127.0.0.1:$port/v2" SCIM_TOKEN="$token" SCIM_PROFILE=aws-identity-center
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

# Bold only on a terminal, and never under NO_COLOR (https://no-color.org).
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s$ %s%s\n' "$bold" "$*" "$plain"; "$@"; }
step scimctl validate
step scimctl plan
step scimctl apply --auto-approve
step scimctl plan --detailed-exitcode
printf '\nDemo done: the example org is applied and the plan is empty.\n'
