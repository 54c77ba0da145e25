#!/usr/bin/env bash
# The shell part of provcheck's GitHub Action (action.yml): runs one provcheck command with the action's inputs,
# writes SARIF, the job summary and the step outputs. It runs the same way on a laptop (the tests run it against a
# loopback registry):
#
#   PROVCHECK=.build/debug/provcheck INPUT_COMMAND=verify INPUT_ARGS='ms@2.1.3 --strict' \
#     INPUT_POLICY=org.policy.toml INPUT_SARIF_FILE=provcheck.sarif Scripts/action-entry.sh
#
# Environment (the action sets these from its inputs; GitHub sets the GITHUB_* files):
#   PROVCHECK          the provcheck binary (default: provcheck on PATH)
#   INPUT_COMMAND      verify | audit | watch (default: verify)
#   INPUT_ARGS         the command's arguments, split as a shell would ('single' and "double" quotes group words;
#                      nothing is expanded or executed)
#   INPUT_POLICY       a policy file (verify, audit); for watch, policies are named in the watch config
#   INPUT_SARIF_FILE   write SARIF 2.1.0 here (empty: no SARIF)
#   GITHUB_OUTPUT      receives exit-code=<0|1|2> and sarif-file=<path> (when written)
#   GITHUB_STEP_SUMMARY receives the report (Markdown for watch, the text output otherwise)
#
# Exit status: provcheck's (0 verified/clean, 1 a check failed or an error finding, 2 nothing was verified); 2 for
# bad inputs.
set -uo pipefail

provcheck="${PROVCHECK:-provcheck}"
command="${INPUT_COMMAND:-verify}"
policy="${INPUT_POLICY:-}"
sarif="${INPUT_SARIF_FILE:-}"

fail() { echo "::error title=provcheck action::$1" >&2; [ -n "${GITHUB_OUTPUT:-}" ] && echo "exit-code=2" >> "$GITHUB_OUTPUT"; exit 2; }

case "$command" in
  verify|audit|watch) ;;
  *) fail "input 'command' must be verify, audit or watch (got '$command')" ;;
esac
command -v "$provcheck" >/dev/null 2>&1 || [ -x "$provcheck" ] || fail "provcheck binary '$provcheck' not found"

# Split INPUT_ARGS into words without evaluating it (xargs honours quotes and backslashes, runs nothing).
args=()
if [ -n "${INPUT_ARGS:-}" ]; then
  printf '%s' "$INPUT_ARGS" | xargs printf '' 2>/dev/null || fail "input 'args' has an unbalanced quote"
  while IFS= read -r -d '' word; do args+=("$word"); done \
    < <(printf '%s' "$INPUT_ARGS" | xargs printf '%s\0')
fi

extra=()
if [ -n "$policy" ]; then
  [ -f "$policy" ] || fail "policy file '$policy' does not exist"
  case "$command" in
    verify|audit) extra+=(--policy "$policy") ;;
    watch) echo "::warning title=provcheck action::input 'policy' is ignored by watch: name policies in the watch config" >&2 ;;
  esac
fi
if [ -n "$sarif" ]; then
  mkdir -p "$(dirname "$sarif")"
  extra+=(--sarif "$sarif")
fi
markdown=""
if [ "$command" = watch ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  markdown="$(mktemp)"
  extra+=(--markdown "$markdown")
fi

output="$(mktemp)"
trap 'rm -f "$output" ${markdown:+"$markdown"}' EXIT
echo "provcheck $command ${args[*]-} ${extra[*]-}" >&2
"$provcheck" "$command" ${args[@]+"${args[@]}"} ${extra[@]+"${extra[@]}"} | tee "$output"
status=${PIPESTATUS[0]}

if [ -n "${GITHUB_OUTPUT:-}" ]; then
  echo "exit-code=$status" >> "$GITHUB_OUTPUT"
  if [ -n "$sarif" ] && [ -f "$sarif" ]; then echo "sarif-file=$sarif" >> "$GITHUB_OUTPUT"; fi
fi
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  {
    echo "### provcheck $command"
    echo
    case "$status" in
      0) echo "Result: **passed** (exit 0)" ;;
      1) echo "Result: **failed** (exit 1): a check failed or an error finding was reported" ;;
      *) echo "Result: **error** (exit $status): nothing was verified; see the log" ;;
    esac
    echo
    if [ -n "$markdown" ] && [ -s "$markdown" ]; then
      cat "$markdown"
    elif [ -s "$output" ]; then
      echo '```'
      cat "$output"
      echo '```'
    fi
  } >> "$GITHUB_STEP_SUMMARY"
fi
case "$status" in
  0) ;;
  1) echo "::error title=provcheck $command::a check failed or an error finding was reported (exit 1)" >&2 ;;
  *) echo "::error title=provcheck $command::nothing was verified (exit $status)" >&2 ;;
esac
exit "$status"
