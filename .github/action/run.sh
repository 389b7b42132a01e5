#!/usr/bin/env bash
# Run one scimctl command for the composite action (action.yml).
#
# Writes the Markdown and JSON reports to $RUNNER_TEMP/scim-reconciler/<command>[-<target>].*,
# appends the Markdown to the step summary, sets the outputs (exit-code, has-changes,
# markdown-path, json-path) and exits with scimctl's code, except that 2 (changes found, or
# drift) is no failure for plan and drift: it is has-changes=true.
#
# The tool's output goes to the job log between ::stop-commands:: and its random token:
# a file or resource name cannot become a workflow command (an annotation, a mask).
#
#   ACTION_COMMAND       validate, plan, apply, apply-reviewed, heal, drift or access-review
#   ACTION_DIRECTORY     the desired-state directory (default desired-state)
#   ACTION_TARGET        the target of targets.yaml (may be empty)
#   ACTION_ARGS          extra scimctl arguments, split on whitespace (no quoting, no globbing)
#   ACTION_PULL_REQUEST  validate/plan: the pull request whose desired state pull.sh fetched
#                        into $RUNNER_TEMP/scim-pull; the plan is judged by this checkout's
#                        targets.yaml (the base branch's): scimctl plan --base; the plan
#                        comment's whole body goes to comment-<target>.md (output
#                        comment-path), with the saved plan's sha256
#   ACTION_HEAD_SHA      plan: the head pull.sh fetched; its reviews are read at it
#                        (--pull-request-head), and it must still be the current head
#   ACTION_PUSHER        plan: who pushed that head (--pushed-by)
#   ACTION_PLAN_WORKFLOW apply-reviewed: the workflow that makes the reviewed plans
#   ACTION_APPLY_WORKFLOW heal: the workflow whose applies are reviewed (its last
#                        successful apply-reviewed is the baseline: scimctl apply --heal)
#   ACTION_TOKEN         the SCIM token (becomes SCIM_TOKEN when given)
#   ACTION_GITHUB_TOKEN  GitHub's token (becomes GITHUB_TOKEN when given)
set -euo pipefail

command=${ACTION_COMMAND:-}
directory=${ACTION_DIRECTORY:-desired-state}
target=${ACTION_TARGET:-}
pull_request=${ACTION_PULL_REQUEST:-}
read -r -a extra <<< "${ACTION_ARGS:-}"
if [[ -n "${ACTION_TOKEN:-}" ]]; then export SCIM_TOKEN=$ACTION_TOKEN; fi
if [[ -n "${ACTION_GITHUB_TOKEN:-}" ]]; then export GITHUB_TOKEN=$ACTION_GITHUB_TOKEN; fi
unset ACTION_TOKEN ACTION_GITHUB_TOKEN

# The same marker as reconciler.render.markdown.marker(): percent-encoded, no "--" inside.
marker() {
  local LC_ALL=C text=$1 out="" char i
  for ((i = 0; i < ${#text}; i++)); do
    char=${text:i:1}
    if [[ "$char" =~ [A-Za-z0-9._~-] ]]; then out+=$char; else out+=$(printf '%%%02X' "'$char"); fi
  done
  while [[ "$out" == *--* ]]; do out=${out//--/-%2D}; done
  printf '<!-- scim-reconciler:%s target=%s -->' "$2" "$out"
}

# Python runs isolated (-I): the workspace (a merged tree) is never on its sys.path.
scimctl_bin=$(command -v scimctl)
python=$(dirname "$scimctl_bin")/python
if [[ ! -x "$python" ]]; then python=python3; fi

out_dir="${RUNNER_TEMP:?}/scim-reconciler"
mkdir -p "$out_dir"
kind=${command%-reviewed}
if [[ "$command" == heal ]]; then kind=apply; fi # its report is an apply's
safe_target=${target//[^A-Za-z0-9._-]/_}
name="$kind${target:+-$safe_target}"
markdown="$out_dir/$name.md"
json="$out_dir/$name.json"
log="$out_dir/$name.log"
comment="$out_dir/comment${target:+-$safe_target}.md"
rm -f "$markdown" "$json" "$log" "$out_dir/$name.exit" "$comment"

args=(--dir "$directory")
if [[ -n "$target" ]]; then args+=(--target "$target"); fi
case "$command" in
  validate) ;;
  plan) args+=(--detailed-exitcode --out "$json" --markdown "$markdown") ;;
  apply) args+=(--auto-approve --report "$json" --markdown "$markdown") ;;
  apply-reviewed)
    workflow=${ACTION_PLAN_WORKFLOW:-.github/workflows/scim-plan.yml}
    args+=(--workflow "$workflow" --report "$json" --markdown "$markdown")
    ;;
  heal)
    workflow=${ACTION_APPLY_WORKFLOW:-.github/workflows/scim-apply.yml}
    args+=(--workflow "$workflow" --report "$json" --markdown "$markdown")
    ;;
  drift) args+=(--report "$json" --markdown "$markdown") ;;
  access-review) args+=(--out "$markdown" --out "$json" --out "$out_dir/$name.csv") ;;
  *)
    echo "::error::unknown command '$command': use validate, plan, apply, apply-reviewed, heal, drift or access-review"
    exit 1
    ;;
esac

# A pull request's desired state is data fetched by pull.sh: scimctl reads it from there
# (so its file names are the repository's), judged by this checkout's targets.yaml.
if [[ -n "$pull_request" ]]; then
  if [[ "$command" != plan && "$command" != validate ]]; then
    echo "::error::pull-request is for validate and plan, not $command"
    exit 1
  fi
  base=$directory
  if [[ "$base" != /* ]]; then base="${GITHUB_WORKSPACE:-$PWD}/$base"; fi
  if [[ "$command" == plan ]]; then
    # The pull request's reviews, at the head fetched, approve privileged changes.
    args+=(--base "$base" --pull-request "$pull_request")
    if [[ -n "${ACTION_HEAD_SHA:-}" ]]; then args+=(--pull-request-head "$ACTION_HEAD_SHA"); fi
    if [[ -n "${ACTION_PUSHER:-}" ]]; then args+=(--pushed-by "$ACTION_PUSHER"); fi
  fi
  cd "${RUNNER_TEMP:?}/scim-pull"
fi

tool=(scimctl "$command")
if [[ "$command" == apply-reviewed ]]; then
  tool=("$python" -I -m reconciler.github.merge_apply)
elif [[ "$command" == heal ]]; then
  tool=("$python" -I -m reconciler.github.heal)
fi

echo "::group::scimctl $command"
# From here to the token, the runner takes no line of the tool's output as a command.
stop=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
echo "::stop-commands::$stop"
set +e
"${tool[@]}" "${args[@]}" "${extra[@]}" 2>&1 | tee "$log"
code=${PIPESTATUS[0]}
set -e
echo "::$stop::"
echo "::endgroup::"
echo "$code" > "$out_dir/$name.exit" # with the saved plan: whether this plan succeeded

# Problems reported as file:line:column become annotations on the pull request's diff.
annotate() {
  local re='^(Error: )?([^:[:space:]]+\.ya?ml):([0-9]+):([0-9]+): (.*)$' line file message
  while IFS= read -r line; do
    if [[ "$line" =~ $re ]]; then
      file=${BASH_REMATCH[2]//%/%25}
      file=${file//,/%2C}
      message=${BASH_REMATCH[5]//%/%25}
      message=${message//$'\r'/%0D}
      echo "::error file=${file//:/%3A},line=${BASH_REMATCH[3]},col=${BASH_REMATCH[4]}::$message"
    fi
  done < "$log"
}
if [[ $code == 1 ]]; then annotate; fi

# What the command left when it wrote no Markdown (validate, errors, refusals): its output.
fallback() {
  local title
  case "$code" in
    0) title="passed" ;;
    3) title="refused by a safety rule (exit 3)" ;;
    *) title="failed (exit $code)" ;;
  esac
  if [[ "$kind" == plan || "$kind" == apply ]]; then
    if [[ -n "$target" ]]; then marker "$target" "$kind"; else printf '<!-- scim-reconciler:%s -->' "$kind"; fi
    echo
  fi
  echo "### scimctl $command: $title"
  echo
  echo '~~~~~~~~text'
  tail -c 50000 "$log" | tr -d '\r'
  echo '~~~~~~~~'
}
if [[ ! -s "$markdown" ]]; then fallback > "$markdown"; fi

# A pull request's plan: the comment's whole body, as the comment step posts it and as the
# apply after the merge finds it again (reconciler.github.comment), in the artifact.
summary=$markdown
if [[ "$command" == plan && -n "$pull_request" && -s "$out_dir/pull-request.json" ]]; then
  if "$python" -I -m reconciler.github.comment --target "$target" \
    --markdown "$markdown" --plan "$json" --meta "$out_dir/pull-request.json" \
    --out "$comment" --exit-code "$code"; then
    summary=$comment
  else
    echo "::error::the plan comment could not be written"
    if [[ $code == 0 || $code == 2 ]]; then code=1; fi
  fi
fi

has_changes=false
case "$command" in
  plan | drift) if [[ $code == 2 ]]; then has_changes=true; fi ;;
  apply | apply-reviewed | heal)
    if [[ -s "$json" ]] && grep -q '"result": *"ok"' "$json"; then has_changes=true; fi
    ;;
esac
if [[ ! -s "$json" ]]; then json=""; fi
if [[ ! -s "$comment" ]]; then comment=""; fi

cat "$summary" >> "${GITHUB_STEP_SUMMARY:-/dev/null}"
echo >> "${GITHUB_STEP_SUMMARY:-/dev/null}"
{
  echo "exit-code=$code"
  echo "has-changes=$has_changes"
  echo "markdown-path=$markdown"
  echo "json-path=$json"
  echo "comment-path=$comment"
} >> "${GITHUB_OUTPUT:-/dev/null}"

case "$code" in
  0) exit 0 ;;
  2) if [[ "$command" == plan || "$command" == drift ]]; then exit 0; fi ;;
  3) echo "::error::scimctl $command: refused by a safety rule (exit 3); see the summary" ;;
  *) echo "::error::scimctl $command failed (exit $code); see the summary" ;;
esac
exit "$code"
