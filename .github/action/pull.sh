#!/usr/bin/env bash
# Fetch a pull request's desired state as data, for the composite action (action.yml).
#
# The files of ACTION_DIRECTORY at the pull request's head (ACTION_HEAD_SHA) are taken from
# GitHub's API into $RUNNER_TEMP/scim-pull/ (regular files only), never into the workspace
# and never run: the tool and targets.yaml stay the base branch's. The number and head go
# to $RUNNER_TEMP/scim-reconciler/pull-request.json, which travels with the saved plan.
#
#   ACTION_PULL_REQUEST  the pull request's number
#   ACTION_HEAD_SHA      the head commit this run plans (the event's); it must be the pull
#                        request's current head, else nothing is fetched (exit 3)
#   ACTION_BASE_REF      the pull request's base branch (the event's), recorded
#   ACTION_PUSHER        who pushed the head (the event's sender), recorded
#   ACTION_DIRECTORY     the desired-state directory (default desired-state)
#   GITHUB_TOKEN         contents: read
#
# Python runs isolated (-I): the working directory (the workspace) is not on sys.path, so
# no module of the checked-out tree (an `argparse.py` at its root) runs beside the token.
set -euo pipefail

scimctl_bin=$(command -v scimctl)
python=$(dirname "$scimctl_bin")/python
if [[ ! -x "$python" ]]; then python=python3; fi

out_dir="${RUNNER_TEMP:?}/scim-reconciler"
mkdir -p "$out_dir"
rm -rf "$RUNNER_TEMP/scim-pull"

# The pull request's file names are printed: no workflow command may hide in them.
stop=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
echo "::stop-commands::$stop"
set +e
"$python" -I -m reconciler.github.pull_files \
  --pull-request "${ACTION_PULL_REQUEST:?}" \
  --head "${ACTION_HEAD_SHA:-}" \
  --directory "${ACTION_DIRECTORY:-desired-state}" \
  --into "$RUNNER_TEMP/scim-pull" \
  --meta "$out_dir/pull-request.json" \
  --base-ref "${ACTION_BASE_REF:-}" \
  --pusher "${ACTION_PUSHER:-}"
code=$?
set -e
echo "::$stop::"
if [[ $code != 0 ]]; then
  echo "::error::could not fetch the pull request's desired state (exit $code)"
fi
exit "$code"
