#!/bin/bash
# The swarm's terminals against a real Mosquitto (fieldflash-sim networked --swarm): a command whose
# document was changed after the platform signed it is refused and not executed; the swarm killed
# (kill -9) after a terminal executed a command, while that command is still the retained message
# of its topic (no platform to acknowledge the result), and started again does not execute it
# again, and sends the result it had not seen acknowledged; a line cut short in its journal (a
# crash mid-write) is cut off at the next start; a journal of a long history is compacted at the
# start, and a restart after that still ignores the executed retained command.
set -euo pipefail
source "${FIELDFLASH_SOURCEDIR:?}/tests/support/remote-stack.sh"
sim=("${remote_stack_wrapper[@]}" "$FIELDFLASH_BUILDDIR/src/sim/fieldflash-sim")
work=$(mktemp -d /tmp/ff-sim-swarm-XXXXXX)
pids=()
finish () {
  ff_test_stop "${pids[@]}"
  remote_stack_stop
  rm -rf "$work"
}
fail () { echo "FAIL: $*" >&2; tail -n 20 "$work"/swarm-*.log >&2 || true; exit 1; }

remote_stack_start "$work"
trap finish EXIT    # after remote_stack_start, whose own trap finish calls
remote_stack_add_terminal NET-0001
remote_stack_add_terminal NET-0002
printf '#!/bin/sh\necho V2.00\n' > "$work/main-program"
remote_platform packages build --vendor Acme --model DTU-3000 --hardware HV1.0 --version V2.00 \
  --main-program "$work/main-program" --main-program-version V2.00 -o "$work/v2.ffpkg" > /dev/null
remote_platform firmware add "$work/v2.ffpkg" > /dev/null
# Without serve nothing acknowledges a result: the command stays its topic's retained message.
remote_stack_kill_platform TERM
credentials=$work/credentials
platform=(--cafile "$REMOTE_MQTT_DIR/ca.crt" --cert "$REMOTE_MQTT_DIR/platform-client.crt"
          --key "$REMOTE_MQTT_DIR/platform-client.key" -h 127.0.0.1 -p "$REMOTE_MQTT_PLATFORM_PORT")

# Starts the swarm over both terminals, its output in swarm-$1.log.
start_swarm () {
  "${sim[@]}" networked --swarm 2 --credentials "$credentials" --port "$REMOTE_MQTT_PORT" \
    --verbose > "$work/swarm-$1.log" 2>&1 &
  swarm=$!
  pids+=($swarm)
  remote_stack_wait_line "$work/swarm-$1.log" 'swarm: 2 terminals connected'
}

start_swarm 1
remote_platform remote upgrade NET-0001 --firmware V2.00 > /dev/null
command=$(python3 - "$REMOTE_PLATFORM_DIR/platform.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
print(db.execute("SELECT command_id FROM remote_commands WHERE kind = 'upgrade'").fetchone()[0])
PY
)
remote_stack_wait_line "$work/swarm-1.log" "^NET-0001: command $command succeeded"

echo "== a command changed after it was signed is refused"
# The signed command with another command ID and the same signature: a swarm that did not check
# the platform's signature would execute it as a new command.
python3 - "$REMOTE_PLATFORM_DIR/platform.db" > "$work/tampered" <<'PY'
import base64, json, sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
(envelope,) = db.execute("SELECT envelope FROM remote_commands WHERE kind = 'upgrade'").fetchone()
envelope = json.loads(bytes(envelope))
document = base64.b64decode(envelope["document"]).decode()
command = json.loads(document)["command_id"]
envelope["document"] = base64.b64encode(document.replace(command, "f" * 32).encode()).decode()
print(json.dumps(envelope, separators=(",", ":")))
PY
mosquitto_pub "${platform[@]}" -i test-tamper -q 1 -t ff/v1/t/NET-0001/cmd -f "$work/tampered"
remote_stack_wait_line "$work/swarm-1.log" "^NET-0001: (refused a|command f{32})"
grep -q "^NET-0001: refused a command: .*signature of the document does not verify" \
  "$work/swarm-1.log" || fail "the tampered command was not refused"

echo "== killed after executing, started again: the retained command is not executed twice"
kill -KILL "$swarm"
wait "$swarm" 2>/dev/null || true
# A long history before it: NET-0002 executed 3,000 commands, their results acknowledged.
python3 - >> "$credentials/swarm.journal" <<'PY'
import secrets
for _ in range(3000):
    command, result = secrets.token_hex(16), secrets.token_hex(16)
    print("executed NET-0002 %s %s {}\nacked NET-0002 %s" % (command, result, result))
PY
# A crash in the middle of a line: nothing was published for it.
printf 'executed NET-0002 %s' "$command" >> "$credentials/swarm.journal"
# The result comes again from the restarted swarm, read here as the platform would.
lines=$(wc -l < "$work/mosquitto.log")
mosquitto_sub "${platform[@]}" -i test-results -q 1 -C 1 -W "$(ff_test_seconds 60)" -t ff/v1/t/NET-0001/result \
  > "$work/result.out" &
sub=$!
pids+=($sub)
remote_stack_wait_line "$work/mosquitto.log" 'as test-results ' "$((lines + 1))"
start_swarm 2
remote_stack_wait_line "$work/swarm-2.log" "^NET-0001: (ignored )?command $command"
grep -q "^NET-0001: ignored command $command (executed already)" "$work/swarm-2.log" \
  || fail "the retained command was executed again: $(grep NET-0001 "$work/swarm-2.log")"
wait "$sub" || fail "the restarted swarm did not send its unacknowledged result"
python3 - "$work/result.out" "$command" <<'PY' \
  || fail "the result sent again: $(cat "$work/result.out")"
import base64, json, sys
result = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["document"]))
assert result["command_id"] == sys.argv[2] and result["outcome"] == "succeeded", result
PY
[ "$(tail -c 1 "$credentials/swarm.journal" | od -An -c | tr -d ' ')" = '\n' ] \
  || fail "the journal's cut line was kept"
grep -q "^executed NET-0002 $command" "$credentials/swarm.journal" && fail "the cut line was replayed"

echo "== compacted at the start; killed and started again after that, it still ignores the command"
# What is left: NET-0001's execution, its result not acknowledged, and NET-0002's last command.
[ "$(wc -l < "$credentials/swarm.journal")" -eq 2 ] \
  || fail "the journal was not compacted: $(wc -l < "$credentials/swarm.journal") lines"
kill -KILL "$swarm"
wait "$swarm" 2>/dev/null || true
start_swarm 3
remote_stack_wait_line "$work/swarm-3.log" "^NET-0001: (ignored )?command $command"
grep -q "^NET-0001: ignored command $command (executed already)" "$work/swarm-3.log" \
  || fail "the retained command was executed again after the compaction"

echo "ok"
