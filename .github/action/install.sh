#!/usr/bin/env bash
# Install scimctl for the composite action (action.yml) into its own virtualenv under
# $RUNNER_TEMP and put it on PATH for the steps after this one.
#
#   ACTION_INSTALL  empty: this action's own checkout ($GITHUB_ACTION_PATH), so the tool
#                   matches the action's ref; a pip requirement or path; or "none" to use
#                   the scimctl already on PATH.
set -euo pipefail

spec=${ACTION_INSTALL:-}
if [[ "$spec" == none ]]; then
  if ! command -v scimctl >/dev/null; then
    echo "::error::install is 'none' but there is no scimctl on PATH"
    exit 1
  fi
  scimctl --version
  exit 0
fi

venv="${RUNNER_TEMP:?}/scim-reconciler-venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  "${spec:-${GITHUB_ACTION_PATH:?}}"
echo "$venv/bin" >> "${GITHUB_PATH:?}"
"$venv/bin/scimctl" --version
