#!/bin/bash
# A campaign whose commands name a delta package not made yet (issue 14 with issue 15): serve makes
# it in a worker thread, and its main loop goes on meanwhile. The FIELDFLASH_PLATFORM_FAULT test
# hook delta-gate holds the making of the package at a FIFO until the test writes to it, so the
# order is certain without timing: while the package is being made /healthz answers and the wave
# waits; once it is made the wave starts.
source "$(dirname "$0")/remote-e2e-lib.sh"

mkfifo "$work/gate"
export FIELDFLASH_PLATFORM_FAULT=delta-gate=$work/gate
e2e_start
# A gate a failure left closed would hold serve (and, before this issue, its main loop): opened at
# exit.
trap 'timeout "$(ff_test_seconds 5)" sh -c ": > \"\$0\"" "$work/gate" 2> /dev/null & e2e_finish' EXIT
remote_stack_add_terminal NET-0001
# V1.00 and V2.00 packages of one 2 MB kernel each, V2.00's near V1.00's: a terminal that runs
# V1.00's kernel is sent a package derived from V2.00, a patch from V1.00's kernel.
export E2E_IMAGE_SIZE=2000000
e2e_package V1.00 kernel=V1.00
e2e_package V2.00 kernel=V2.00:near
# The terminal's retained state: it runs V1.00's kernel.
lines=$(wc -l < "$work/platform.log")
mosquitto_pub -h 127.0.0.1 -p "$REMOTE_MQTT_PORT" --cafile "$REMOTE_MQTT_DIR/ca.crt" \
  --cert "$REMOTE_STACK_DIR/credentials/NET-0001/terminal.crt" \
  --key "$REMOTE_STACK_DIR/credentials/NET-0001/terminal.key" \
  -i NET-0001 -q 1 -r -t ff/v1/t/NET-0001/state \
  -m '{"format_version":1,"device_id":"NET-0001","online":true,"agent_state":"idle","command_id":null,"layout":"ab","slot":"a","versions":{"kernel":"V1.00","rootfs":null,"main-program":null,"updater":null},"time":"2026-12-06T10:00:00Z"}'
remote_stack_wait_line "$work/platform.log" 'MQTT: the state of NET-0001 is kept' "$((lines + 1))"

echo "== the delta package is made in a worker: the main loop answers meanwhile"
remote_platform campaigns create --firmware V2.00 --terminals NET-0001 --waves 100% \
  --max-failures 1 > /dev/null
remote_platform campaigns start C1 > /dev/null
remote_stack_wait_line "$work/platform.log" 'FIELDFLASH_PLATFORM_FAULT: a delta package waits at' \
  "$((lines + 1))"
# The gate is closed: the package cannot be made before these answers (the bound only keeps a
# failing run short; a main loop held by the making would never answer).
health=$(curl -sS --max-time "$(ff_test_seconds 30)" --cacert "$REMOTE_PLATFORM_DIR/tls.crt" \
  -o /dev/null -w '%{http_code}' "$REMOTE_PLATFORM_URL/healthz") || fail "no /healthz answer"
[ "$health" = 200 ] || fail "/healthz answered $health"
[ "$(remote_platform campaigns show C1 --json \
  | python3 -c "import json, sys; c = json.load(sys.stdin); print(c['current_wave'], c['terminals']['pending'])")" \
  = "0 1" ] || fail "the wave started before its delta package was made"
grep -q 'Campaign C1: wave 1 started' "$work/platform.log" && fail "the wave started early"
grep -q 'Campaign C1: wave 1 waits for 1 delta packages' "$work/platform.log" \
  || fail "the wave did not say it waits"

echo "== made: the wave starts, its command names the delta package"
: > "$work/gate"
remote_stack_wait_line "$work/platform.log" 'Delta package [0-9a-f]+ of Acme DTU-3000 V2.00 made' \
  "$((lines + 1))"
remote_stack_wait_line "$work/platform.log" 'Campaign C1: wave 1 started, 1 commands' \
  "$((lines + 1))"
delta=$(sed -n 's/.*Delta package \([0-9a-f]*\) of Acme DTU-3000 V2.00 made.*/\1/p' \
  "$work/platform.log")
full=$(sha256sum < "$work/payloads/V2.00.ffpkg" | cut -d' ' -f1)
python3 -c "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT package_sha256 FROM remote_commands WHERE device_id = 'NET-0001'\").fetchone()[0])" \
  "$REMOTE_PLATFORM_DIR/platform.db" > "$work/named"
[ "$(cat "$work/named")" = "$delta" ] && [ "$delta" != "$full" ] \
  || fail "the command names $(cat "$work/named"), the delta package is $delta"
echo "PASS"
