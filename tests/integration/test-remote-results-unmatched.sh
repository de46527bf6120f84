#!/bin/bash
# The ledger moves only through the answer to a command the platform sent to that very terminal,
# and only through the first answer: against a real Mosquitto and `fieldflash-platform serve` on
# 127.0.0.1, mosquitto_pub playing the terminals with their certificates, ff-remote-tool signing
# their results with their own keys. A signed result for a command ID the platform never sent
# (made up, or another terminal's) and a second, different result for a command answered already
# are refused: not stored, the ledger and the campaign entry as they were, counted in /metrics,
# logged, and acknowledged (the refusal is final; unacknowledged, the terminal would send it again
# every minute, forever). A flood of results from one terminal is dropped beyond its share of a
# batch, counted and logged.
set -euo pipefail
source "${FIELDFLASH_SOURCEDIR:?}/tests/support/remote-stack.sh"
tool=("${remote_stack_wrapper[@]}" "$FIELDFLASH_BUILDDIR/tests/support/ff-remote-tool")
work=$(mktemp -d /tmp/ff-unmatched-XXXXXX)
trap 'remote_stack_finish "$work"' EXIT
fail () { echo "FAIL: $*" >&2; tail -n 20 "$work/platform.log" >&2 || true; exit 1; }

remote_stack_start "$work"
for id in DTU-0001 DTU-0002; do remote_stack_add_terminal "$id"; done
creds=$work/credentials

# Terminal $1's subscriber to its command topic taking $2 messages from now on (-R: not the
# retained one) into $work/$1.out; waits until the broker has it. Beside the terminal's own
# connection (the publishers here): on the platform's listener.
subscribe () {
  local who=$1 count=$2 lines
  lines=$(wc -l < "$work/mosquitto.log")
  remote_stack_as_terminal_aside "$who" mosquitto_sub -i "$who-watch-$RANDOM" -q 1 -R -C "$count" \
    -t "ff/v1/t/$who/cmd" > "$work/$who.out" &
  remote_stack_pids+=($!)
  remote_stack_wait_line "$work/mosquitto.log" "as $who-watch-" "$((lines + 1))"
}
result_id_of () {
  python3 -c 'import base64, json, sys; d = json.load(open(sys.argv[1])); print(json.loads(base64.b64decode(d["document"]))["result_id"])' "$1"
}
metric () {
  curl -sS --cacert "$REMOTE_PLATFORM_DIR/tls.crt" "$REMOTE_PLATFORM_URL/metrics" \
    | sed -n "s/^fieldflash_$1 //p"
}
ledger () { remote_platform terminals list | awk -F'\t' -v id="$1" '$1 == id { print $0 }'; }
# Terminal $1 signs a result for command $2 ($3 outcome, $4 the main program it says it runs) and
# publishes it; prints the result's ID. $work/last.json keeps the envelope.
publish_result () {
  "${tool[@]}" sign-result "$creds/$1/terminal.key" "$1" "$2" "$3" "$4" > "$work/last.json"
  result_id_of "$work/last.json"
  remote_stack_as_terminal "$1" mosquitto_pub -q 1 -t "ff/v1/t/$1/result" -f "$work/last.json"
}
# Expects the ack of result $2 of terminal $1: the one message its subscriber waited for. Each
# result's ack is taken so, or a later subscriber could take an earlier result's ack for its own.
expect_acked () {
  local who=$1 id=$2 checked
  ff_test_wait_pid "${remote_stack_pids[-1]}"
  checked=$("${tool[@]}" verify-command "$creds/$who/platform.pub.pem" "$who" < "$work/$who.out")
  [[ $checked == "ack "*" $id" ]] || fail "$id: not acknowledged: $checked"
}
# Expects the refusal of result $2 of terminal $1 (log line matching $3 after line $4), its ack
# and nothing stored of it.
expect_refused () {
  local who=$1 id=$2 pattern=$3 lines=$4
  remote_stack_wait_line "$work/platform.log" "refused result $id of $who: .*$pattern" \
    "$((lines + 1))"
  expect_acked "$who" "$id"
  remote_platform remote results "$who" | grep -q "$id" && fail "$id was stored"
  return 0
}

printf '#!/bin/sh\necho V2.00\n' > "$work/main-program"
remote_platform packages build --vendor Acme --model DTU-3000 --hardware HV1.0 --version V2.00 \
  --main-program "$work/main-program" --main-program-version V2.00 -o "$work/v2.ffpkg" > /dev/null
remote_platform firmware add "$work/v2.ffpkg" > /dev/null
remote_platform remote upgrade DTU-0001 --firmware V2.00 > "$work/upgrade.out"
command_id=$(sed -n 's/^DTU-0001: command \([0-9a-f]*\) .*/\1/p' "$work/upgrade.out")
[ -n "$command_id" ] || fail "no command: $(cat "$work/upgrade.out")"
remote_platform campaigns create --firmware V2.00 --terminals DTU-0002 --waves 100% \
  --max-failures 1 > /dev/null
lines=$(wc -l < "$work/platform.log")
remote_platform campaigns start C1 > /dev/null
remote_stack_wait_line "$work/platform.log" 'Campaign C1: wave 1 started, 1 commands' "$((lines + 1))"
campaign_command=$(remote_platform campaigns show C1 --json \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["wave_list"][0]["terminal_list"][0]["command_id"])')
remote_stack_wait_line "$work/platform.log" "command $campaign_command sent" "$((lines + 1))"
campaign_state () {
  remote_platform campaigns show C1 --json \
    | python3 -c 'import json, sys; c = json.load(sys.stdin); print(c["state"], c["wave_list"][0]["terminal_list"][0]["state"])'
}
[[ $(ledger DTU-0001) == *$'\tV1.00\t'* ]] || fail "ledger: $(ledger DTU-0001)"

echo "== a result for a command ID the platform never sent: refused, acknowledged, counted"
subscribe DTU-0001 1
lines=$(wc -l < "$work/platform.log")
made_up=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
id=$(publish_result DTU-0001 "$made_up" succeeded V9.99)
expect_refused DTU-0001 "$id" "did not send" "$lines"
[[ $(ledger DTU-0001) == *$'\tV1.00\t'* ]] || fail "the ledger moved: $(ledger DTU-0001)"
remote_platform history DTU-0001 | grep -q V9.99 && fail "history: $(remote_platform history DTU-0001)"
[ "$(metric remote_results_unmatched_total)" = 1 ] || fail "/metrics: $(metric remote_results_unmatched_total)"
[ "$(metric remote_results_ingested_total)" = 0 ] || fail "counted as ingested"

echo "== a result naming another terminal's command moves neither its campaign nor the ledger"
subscribe DTU-0001 1
lines=$(wc -l < "$work/platform.log")
id=$(publish_result DTU-0001 "$campaign_command" failed V2.00)
expect_refused DTU-0001 "$id" "did not send" "$lines"
[ "$(campaign_state)" = "running sent" ] || fail "DTU-0001 moved DTU-0002's campaign: $(campaign_state)"
[[ $(ledger DTU-0001) == *$'\tV1.00\t'* ]] || fail "the ledger moved: $(ledger DTU-0001)"

echo "== the answer to the terminal's own command is stored and moves the ledger"
subscribe DTU-0001 1
lines=$(wc -l < "$work/platform.log")
first=$(publish_result DTU-0001 "$command_id" succeeded V2.00)
remote_stack_wait_line "$work/platform.log" "result $first of DTU-0001: succeeded\$" "$((lines + 1))"
expect_acked DTU-0001 "$first"
[[ $(ledger DTU-0001) == *$'\tV2.00\t'* ]] || fail "ledger: $(ledger DTU-0001)"

echo "== a second, different result for the same command: the first one stands"
subscribe DTU-0001 1
lines=$(wc -l < "$work/platform.log")
id=$(publish_result DTU-0001 "$command_id" rolled-back V1.00)
expect_refused DTU-0001 "$id" "first one stands" "$lines"
[[ $(ledger DTU-0001) == *$'\tV2.00\t'* ]] || fail "the second result moved the ledger: $(ledger DTU-0001)"
[ "$(remote_platform remote results DTU-0001 | wc -l)" = 1 ] || fail "$(remote_platform remote results DTU-0001)"
[ "$(metric remote_results_unmatched_total)" = 3 ] || fail "/metrics: $(metric remote_results_unmatched_total)"

echo "== a campaign entry is the first answer's too"
subscribe DTU-0002 1
lines=$(wc -l < "$work/platform.log")
id=$(publish_result DTU-0002 "$campaign_command" succeeded V2.00)
remote_stack_wait_line "$work/platform.log" "result $id of DTU-0002: succeeded\$" "$((lines + 1))"
expect_acked DTU-0002 "$id"
state=$(campaign_state)
[[ $state == *" succeeded" ]] || fail "campaign: $state"
subscribe DTU-0002 1
lines=$(wc -l < "$work/platform.log")
id=$(publish_result DTU-0002 "$campaign_command" failed V1.00)
expect_refused DTU-0002 "$id" "first one stands" "$lines"
[ "$(campaign_state)" = "$state" ] || fail "the second result moved the campaign: $(campaign_state)"
[[ $(ledger DTU-0002) == *$'\tV2.00\t'* ]] || fail "ledger: $(ledger DTU-0002)"

echo "== a flood of results from one terminal: beyond its share of a batch, dropped unread"
# 2,000 copies of one signed, unmatched result from DTU-0001 (checking each held up every other
# terminal's results: 20,000 made the next one wait 12 s), then DTU-0003's answer to its command.
remote_stack_add_terminal DTU-0003
remote_platform remote upgrade DTU-0003 --firmware V2.00 > "$work/upgrade-3.out"
command_3=$(sed -n 's/^DTU-0003: command \([0-9a-f]*\) .*/\1/p' "$work/upgrade-3.out")
[ -n "$command_3" ] || fail "no command: $(cat "$work/upgrade-3.out")"
unmatched_before=$(metric remote_results_unmatched_total)
"${tool[@]}" sign-result "$creds/DTU-0001/terminal.key" DTU-0001 "$made_up" failed V1.00 \
  > "$work/flood-one.json"
for _ in $(seq 2000); do cat "$work/flood-one.json"; echo; done > "$work/flood.json"
lines=$(wc -l < "$work/platform.log")
remote_stack_as_terminal DTU-0001 mosquitto_pub -q 1 -l -t ff/v1/t/DTU-0001/result \
  < "$work/flood.json"
id=$(publish_result DTU-0003 "$command_3" succeeded V2.00)
remote_stack_wait_line "$work/platform.log" "result $id of DTU-0003: succeeded\$" "$((lines + 1))"
[[ $(ledger DTU-0003) == *$'\tV2.00\t'* ]] || fail "ledger: $(ledger DTU-0003)"
# Every copy arrived before DTU-0003's result, in order: each was checked (unmatched) or dropped.
dropped=$(metric remote_results_dropped_total)
checked=$(( $(metric remote_results_unmatched_total) - unmatched_before ))
[ "${dropped:-0}" -gt 0 ] || fail "none of the flood was dropped ($checked checked)"
[ $((checked + dropped)) = 2000 ] || fail "of 2000: $checked checked, $dropped dropped"
# Not `tail | grep -q`: grep ends at the first match, and tail, still writing the thousands of
# lines after it, dies of SIGPIPE, which pipefail makes the test's failure.
grep -q 'DTU-0001 sent [0-9]* results at once: [0-9]* beyond the first 8 were dropped' \
  <(tail -n +"$((lines + 1))" "$work/platform.log") || fail "the drop was not logged"
echo "PASS"
