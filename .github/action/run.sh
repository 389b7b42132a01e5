#!/usr/bin/env bash
# Run one scimctl command for the composite action (action.yml).
#
# Writes the Markdown and JSON reports to $RUNNER_TEMP/scim-reconciler/<command>[-<target>].*,
# appends the Markdown to the step summary, sets the outputs (exit-code, has-changes,
# markdown-path, json-path) and exits with scimctl's code, except that 2 (changes found, or
# drift) is no failure for plan and drift: it is has-changes=true.
#
#   ACTION_COMMAND    validate, plan, apply or drift
#   ACTION_DIRECTORY  the desired-state directory (default desired-state)
#   ACTION_TARGET     the target of targets.yaml (may be empty)
#   ACTION_ARGS       extra scimctl arguments, split on whitespace (no quoting, no globbing)
set -euo pipefail

command=${ACTION_COMMAND:-}
directory=${ACTION_DIRECTORY:-desired-state}
target=${ACTION_TARGET:-}
read -r -a extra <<< "${ACTION_ARGS:-}"

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

out_dir="${RUNNER_TEMP:?}/scim-reconciler"
mkdir -p "$out_dir"
name="$command${target:+-${target//[^A-Za-z0-9._-]/_}}"
markdown="$out_dir/$name.md"
json="$out_dir/$name.json"
log="$out_dir/$name.log"
rm -f "$markdown" "$json" "$log"

args=(--dir "$directory")
if [[ -n "$target" ]]; then args+=(--target "$target"); fi
case "$command" in
  validate) ;;
  plan) args+=(--detailed-exitcode --out "$json" --markdown "$markdown") ;;
  apply) args+=(--auto-approve --report "$json" --markdown "$markdown") ;;
  drift) args+=(--report "$json" --markdown "$markdown") ;;
  *)
    echo "::error::unknown command '$command': use validate, plan, apply or drift"
    exit 1
    ;;
esac

echo "::group::scimctl $command"
set +e
scimctl "$command" "${args[@]}" "${extra[@]}" 2>&1 | tee "$log"
code=${PIPESTATUS[0]}
set -e
echo "::endgroup::"

# Problems reported as file:line:column become annotations on the pull request's diff.
annotate() {
  local re='^(Error: )?([^:[:space:]]+\.ya?ml):([0-9]+):([0-9]+): (.*)$' line file message
  while IFS= read -r line; do
    if [[ "$line" =~ $re ]]; then
      file=${BASH_REMATCH[2]//%/%25}
      file=${file//,/%2C}
      message=${BASH_REMATCH[5]//%/%25}
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
  if [[ "$command" == plan || "$command" == apply ]]; then
    if [[ -n "$target" ]]; then marker "$target" "$command"; else printf '<!-- scim-reconciler:%s -->' "$command"; fi
    echo
  fi
  echo "### scimctl $command: $title"
  echo
  echo '~~~~~~~~text'
  tail -c 50000 "$log" | tr -d '\r'
  echo '~~~~~~~~'
}
if [[ ! -s "$markdown" ]]; then fallback > "$markdown"; fi

has_changes=false
case "$command" in
  plan | drift) if [[ $code == 2 ]]; then has_changes=true; fi ;;
  apply)
    if [[ -s "$json" ]] && grep -q '"result": *"ok"' "$json"; then has_changes=true; fi
    ;;
esac
if [[ ! -s "$json" ]]; then json=""; fi

cat "$markdown" >> "${GITHUB_STEP_SUMMARY:-/dev/null}"
echo >> "${GITHUB_STEP_SUMMARY:-/dev/null}"
{
  echo "exit-code=$code"
  echo "has-changes=$has_changes"
  echo "markdown-path=$markdown"
  echo "json-path=$json"
} >> "${GITHUB_OUTPUT:-/dev/null}"

case "$code" in
  0) exit 0 ;;
  2) if [[ "$command" == plan || "$command" == drift ]]; then exit 0; fi ;;
  3) echo "::error::scimctl $command: refused by a safety rule (exit 3); see the summary" ;;
  *) echo "::error::scimctl $command failed (exit $code); see the summary" ;;
esac
exit "$code"
