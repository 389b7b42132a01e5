#!/usr/bin/env bash
# Install scimctl for the composite action (action.yml) into its own virtualenv under
# $RUNNER_TEMP and put it on PATH for the steps after this one.
#
# This step runs before any token is in the environment (action.yml gives the tokens only
# to the steps that need them), and installs nothing unpinned: the dependencies come from
# requirements/action.txt, each pinned by version and hash (pip --require-hashes, wheels
# only), then this action's own checkout is built offline (--no-index, --no-deps), so the
# tool is the one of the ref you pinned the action to.
#
#   ACTION_INSTALL  empty: as above; "none": use the scimctl already on PATH.
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
if [[ -n "$spec" ]]; then
  echo "::error::install takes '' (this action's own checkout, dependencies pinned by hash) or 'none'"
  exit 1
fi

root=${GITHUB_ACTION_PATH:?}
venv="${RUNNER_TEMP:?}/scim-reconciler-venv"
# Isolated (-I): no module of the workspace (the checked-out tree) is imported by python.
python3 -I -m venv "$venv"
pip=("$venv/bin/python" -I -m pip install --quiet --disable-pip-version-check --no-input)
"${pip[@]}" --require-hashes --only-binary :all: --no-deps -r "$root/requirements/action.txt"
"${pip[@]}" --no-index --no-deps --no-build-isolation "$root"
echo "$venv/bin" >> "${GITHUB_PATH:?}"
"$venv/bin/scimctl" --version
