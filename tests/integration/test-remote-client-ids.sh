#!/bin/bash
# A terminal cannot take another client's ID at the broker: against a real Mosquitto with the
# configuration `fieldflash-platform mqtt config` writes and `fieldflash-platform serve` on
# 127.0.0.1, DTU-0001's certificate connects to the terminals' listener with client ID
# fieldflash-platform (serve's), then with DTU-0002's, each with a clean session. The broker gives
# both connections the ID DTU-0001: serve stays connected (no takeover at the broker, no lost
# connection in serve's log, a state sent afterwards is taken) and DTU-0002's session and
# subscriber stay its own (a command published afterwards reaches it).
set -euo pipefail
source "${FIELDFLASH_SOURCEDIR:?}/tests/support/remote-stack.sh"
work=$(mktemp -d /tmp/ff-client-ids-XXXXXX)
trap 'remote_stack_finish "$work"' EXIT
fail () { echo "FAIL: $*" >&2; tail -n 20 "$work/mosquitto.log" >&2 || true; exit 1; }

echo "== mqtt config: the platform's listener needs a port of its own"
if "${remote_stack_platform[@]}" --data-dir "$work/refused" mqtt config -o "$work/refused-mqtt" \
     --port 9000 --platform-port 9000 2> "$work/refused.err"; then
  fail "mqtt config took the terminals' port for the platform's listener"
fi
grep -q "not the terminals' (--port)" "$work/refused.err" || fail "$(cat "$work/refused.err")"
[ ! -e "$work/refused-mqtt" ] || fail "mqtt config wrote a refused configuration"

remote_stack_start "$work"
remote_stack_add_terminal DTU-0001
remote_stack_add_terminal DTU-0002

# DTU-0002 as the terminal itself: its own ID and persistent session, on its command topic.
lines=$(wc -l < "$work/mosquitto.log")
remote_stack_as_terminal DTU-0002 mosquitto_sub -i DTU-0002 -c -q 1 -v -C 1 \
  -t ff/v1/t/DTU-0002/cmd > "$work/DTU-0002.out" &
remote_stack_pids+=($!)
subscriber=$!
remote_stack_wait_line "$work/mosquitto.log" "as DTU-0002 " "$((lines + 1))"

echo "== DTU-0001's certificate asks for another client's ID, with a clean session"
for id in fieldflash-platform DTU-0002; do
  lines=$(wc -l < "$work/mosquitto.log")
  remote_stack_as_terminal DTU-0001 mosquitto_pub -i "$id" -q 1 -t ff/v1/t/DTU-0001/progress \
    -m x || fail "DTU-0001's connection as $id was refused"
  remote_stack_wait_line "$work/mosquitto.log" "New client connected .* u'DTU-0001'" \
    "$((lines + 1))"
  connected=$(tail -n +"$((lines + 1))" "$work/mosquitto.log" | grep "u'DTU-0001'")
  [[ $connected == *" as DTU-0001 "* ]] || fail "DTU-0001 asking for $id: $connected"
done
if grep "already connected, closing old connection" "$work/mosquitto.log"; then
  fail "a terminal took over another client's connection"
fi
if grep "MQTT: the connection .* was lost" "$work/platform.log"; then
  fail "serve lost its connection to the broker"
fi

echo "== serve and DTU-0002 are still connected, with their sessions"
lines=$(wc -l < "$work/platform.log")
remote_stack_as_terminal DTU-0001 mosquitto_pub -q 1 -r -t ff/v1/t/DTU-0001/state \
  -m '{"format_version":1,"device_id":"DTU-0001","online":true,"agent_state":"idle","command_id":null,"layout":"ab","slot":"a","versions":{"kernel":"V1.00","rootfs":null,"main-program":null,"updater":null},"time":"2026-12-06T10:00:00Z"}'
remote_stack_wait_line "$work/platform.log" 'MQTT: the state of DTU-0001 is kept' "$((lines + 1))"
mosquitto_pub -h 127.0.0.1 -p "$REMOTE_MQTT_PLATFORM_PORT" --cafile "$REMOTE_MQTT_DIR/ca.crt" \
  --cert "$REMOTE_MQTT_DIR/platform-client.crt" --key "$REMOTE_MQTT_DIR/platform-client.key" \
  -i test-command -q 1 -t ff/v1/t/DTU-0002/cmd -m probe
ff_test_wait_pid "$subscriber" || fail "DTU-0002's subscriber got no command"
[ "$(cat "$work/DTU-0002.out")" = "ff/v1/t/DTU-0002/cmd probe" ] \
  || fail "DTU-0002 got: $(cat "$work/DTU-0002.out")"
echo "OK"
