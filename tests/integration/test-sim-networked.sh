#!/bin/bash
# fieldflash-sim networked without the real agent: device roots from the command line, and the
# bootloader loop driven by a stand-in agent that follows a plan (exit 10 = reboot, 0 = stop, kill
# = dies of SIGKILL, wait = runs until stopped, clear-flag = a recovery system that is done).
set -euo pipefail
source "$(dirname "$0")/e2e-lib.sh"

creds="$work/credentials"
mkdir -p "$creds"
echo key > "$creds/terminal.key"
chmod 600 "$creds/terminal.key"

agent="$work/agent"
cat > "$agent" <<'AGENT'
#!/bin/sh
echo "$* fault=${FIELDFLASH_AGENT_FAULT:-none}" >> "$FAKE_LOG"
step=$(head -n 1 "$FAKE_PLAN")
sed -i 1d "$FAKE_PLAN"
case "$step" in
  kill) kill -9 $$ ;;
  wait) exec sleep 600 ;;
  clear-flag) fw_setenv -c "${2%/agent.conf}/fw_env.config" ff_mode normal; exit 10 ;;
  probe-broker)
    port=$(sed -n 's/^broker-port=//p' "$2")
    python3 -c 'import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    print("broker reachable")
except ConnectionRefusedError:
    print("broker refused")' "$port" >> "$FAKE_LOG"
    exit 0 ;;
  *) exit "$step" ;;
esac
AGENT
chmod +x "$agent"
export FAKE_LOG="$work/agent.log" FAKE_PLAN="$work/plan"
# The loop itself runs under the cross build's emulator, but the stand-in agent is a host script:
# the loop must not put the emulator before it.
loop=(env -u FIELDFLASH_EXE_WRAPPER "${sim[@]}")

init () {
  "${sim[@]}" networked init "$1" --device-id DTU-0001 --layout "$2" --credentials "$creds" \
    --broker-port 8883 --platform-url https://127.0.0.1:8443 "${@:3}"
}
# Runs the loop on root $1 with the plan $2 (one step a line) and more options; its exit status
# goes to $status.
run () {
  local root=$1
  printf '%b' "$2" > "$FAKE_PLAN"
  : > "$FAKE_LOG"
  shift 2
  status=0
  "${loop[@]}" networked run "$root" --agent "$agent" "$@" > "$work/run.out" 2>&1 || status=$?
}
expect_log () {
  grep -qxF -- "$2" "$1/sim.log" || fail "sim.log of $1 lacks '$2': $(cat "$1/sim.log")"
}
env_of () {
  fw_printenv -c "$1/fw_env.config" -n "$2"
}

# -- device roots
ab="$work/ab"
init "$ab" ab --kernel-version K1 --rootfs-version R1 --main-program-version M1
[ "$("$ab/programs/main-program" --version)" = M1 ] || fail "main program version"
[ "$("$ab/programs/updater" --version)" = V1.00 ] || fail "updater version"
grep -qx "kernel-b=$ab/slots/kernel-b" "$ab/agent.conf" || fail "agent.conf: $(cat "$ab/agent.conf")"
grep -qx "device-id=DTU-0001" "$ab/agent.conf" || fail "agent.conf lacks the device ID"
[ "$(env_of "$ab" boot_slot)" = a ] && [ "$(env_of "$ab" bootlimit)" = 3 ] || fail "A/B environment"
[ "$(stat -c %a "$ab/credentials/terminal.key")" = 600 ] || fail "key mode"

rc=0; init "$ab" ab 2> "$work/err" || rc=$?
[ "$rc" = 1 ] && grep -q "not an empty directory" "$work/err" || fail "init over a root: $rc"
rc=0; init "$work/bad" ab --kernel-version "V 1" 2> "$work/err" || rc=$?
[ "$rc" = 1 ] && [ ! -e "$work/bad/agent.conf" ] || fail "bad version accepted: $rc"
rc=0; "${sim[@]}" networked init "$work/bad2" --layout ab 2> /dev/null || rc=$?
[ "$rc" = 2 ] && [ ! -e "$work/bad2" ] || fail "init without its options: $rc"

# -- reboots on request, stops when the agent stops
run "$ab" '10\n10\n0\n'
[ "$status" = 0 ] || fail "run: $status $(cat "$work/run.out")"
[ "$(grep -c "^--config $ab/agent.conf --mode normal fault=none$" "$FAKE_LOG")" = 3 ] \
  || fail "agent runs: $(cat "$FAKE_LOG")"
expect_log "$ab" "boot 3 mode=normal slot=a kernel=K1 rootfs=R1"
expect_log "$ab" "the agent stopped: the terminal is shut down"
grep -qx "slot=a" "$ab/run/versions" && grep -qx "kernel=K1" "$ab/run/versions" \
  || fail "run/versions: $(cat "$ab/run/versions")"

# -- A/B: an unconfirmed slot b boots bootlimit times, then slot a for good
"${sim[@]}" networked make-image --kind kernel --version K2 --size 5000 -o "$ab/slots/kernel-b"
"${sim[@]}" networked make-image --kind rootfs --version R2 --size 5000 -o "$ab/slots/rootfs-b"
fw_setenv -c "$ab/fw_env.config" boot_slot b
fw_setenv -c "$ab/fw_env.config" upgrade_available 1
run "$ab" '10\n10\n10\n10\n0\n'
[ "$status" = 0 ] || fail "A/B run: $status"
expect_log "$ab" "boot 4 mode=normal slot=b kernel=K2 rootfs=R2"
expect_log "$ab" "boot 6 mode=normal slot=b kernel=K2 rootfs=R2"
expect_log "$ab" "bootcount 4 > bootlimit 3: falling back from slot b to slot a"
expect_log "$ab" "boot 7 mode=normal slot=a kernel=K1 rootfs=R1"
expect_log "$ab" "boot 8 mode=normal slot=a kernel=K1 rootfs=R1"
[ "$(env_of "$ab" boot_slot)" = a ] && [ "$(env_of "$ab" upgrade_available)" = 0 ] \
  || fail "fallback not stored"

# -- a torn slot is never booted; the agent's slot digest file plays no part in it
truncate -s -1 "$ab/slots/rootfs-a"
run "$ab" '0\n'
expect_log "$ab" "Slot $ab/slots/rootfs-a: torn: its body is not as long as its header says"
expect_log "$ab" "boot 9 mode=normal slot=b kernel=K2 rootfs=R2"
truncate -s -1 "$ab/slots/kernel-b"
run "$ab" ''
[ "$status" = 4 ] || fail "bricked terminal: $status"
expect_log "$ab" "BRICKED: neither slot can be booted"
[ ! -s "$FAKE_LOG" ] || fail "an agent ran on a bricked terminal"

# -- recovery layout: the boot flag starts the recovery system, which clears it
rec="$work/recovery"
init "$rec" recovery
fw_setenv -c "$rec/fw_env.config" ff_mode recovery
run "$rec" 'clear-flag\n0\n'
[ "$status" = 0 ] || fail "recovery run: $status $(cat "$work/run.out")"
grep -qx -- "--config $rec/agent.conf --mode recovery fault=none" "$FAKE_LOG" || fail "no recovery mode"
expect_log "$rec" "boot 1 mode=recovery slot=- kernel=V1.00 rootfs=V1.00"
expect_log "$rec" "boot 2 mode=normal slot=- kernel=V1.00 rootfs=V1.00"
# An image that boots but is marked unhealthy: the main program fails on it.
"${sim[@]}" networked make-image --kind rootfs --version V2.00 --unhealthy -o "$rec/slots/rootfs"
run "$rec" '0\n'
expect_log "$rec" "boot 3 mode=normal slot=- kernel=V1.00 rootfs=V2.00 unhealthy"
grep -qx "healthy=false" "$rec/run/versions" || fail "versions: $(cat "$rec/run/versions")"
rc=0; "$rec/programs/main-program" --version > /dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "the main program ran on an unhealthy system"

# -- a power cut: the agent gets the fault, dies of SIGKILL, and the loop is off until restarted
run "$rec" 'kill\n' --fault power-cut-at=writing-slot --fault power-cut-in=env-write
[ "$status" = 3 ] || fail "power cut: $status"
grep -qx -- "--config $rec/agent.conf --mode normal fault=power-cut-at=writing-slot,power-cut-in=env-write" \
  "$FAKE_LOG" || fail "fault not passed: $(cat "$FAKE_LOG")"
expect_log "$rec" "POWER CUT (power-cut-at=writing-slot,power-cut-in=env-write): the terminal is off until \`networked run\` starts it again"
run "$rec" '0\n'
[ "$status" = 0 ] && grep -qx -- "--config $rec/agent.conf --mode normal fault=none" "$FAKE_LOG" \
  || fail "restart after the power cut: $status"
# SIGKILL without a power-cut fault is a crash: the terminal reboots.
run "$rec" 'kill\n0\n'
expect_log "$rec" "the agent died of signal 9 (Killed): rebooting"
[ "$status" = 0 ] || fail "crash then stop: $status"

# The broker unreachable: the agent gets a copy of its configuration naming a closed loopback port.
run "$rec" 'probe-broker\n' --fault broker-unreachable
[ "$status" = 0 ] || fail "broker-unreachable run: $status"
grep -qx -- "--config $rec/run/agent.conf --mode normal fault=none" "$FAKE_LOG" \
  || fail "no configuration with the closed port: $(cat "$FAKE_LOG")"
grep -qx "broker refused" "$FAKE_LOG" || fail "the broker port was not closed: $(cat "$FAKE_LOG")"
grep -qx "broker-port=8883" "$rec/agent.conf" || fail "agent.conf itself was changed"

rc=0; "${loop[@]}" networked run "$rec" --agent "$agent" --fault power-cut-at=nowhere 2> "$work/err" \
  || rc=$?
[ "$rc" = 2 ] && grep -q "Unknown fault" "$work/err" || fail "unknown fault: $rc"

# -- an agent that crashes at every boot halts the simulator instead of spinning
run "$rec" '1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n'
[ "$status" = 5 ] || fail "crash loop: $status"
expect_log "$rec" "HALTED: the agent crashed 10 times in a row"

# -- SIGTERM: the agent is stopped and the loop ends with it
printf 'wait\n' > "$FAKE_PLAN"
: > "$FAKE_LOG"
next=$(( $(grep -c '^boot ' "$rec/sim.log") + 1 ))
"${loop[@]}" networked run "$rec" --agent "$agent" > "$work/run.out" 2>&1 &
loop=$!
pids+=("$loop")
wait_file_line "$rec/sim.log" "^boot $next mode=normal" > /dev/null
wait_file_line "$FAKE_LOG" "mode normal" > /dev/null
kill -TERM "$loop"
rc=0; ff_test_wait_pid "$loop" || rc=$?
[ "$rc" = 0 ] || fail "SIGTERM: $rc"
[ "$(tail -n 1 "$rec/sim.log")" = "the agent stopped: the terminal is shut down" ] || fail "no stop line"

# -- the cut link: one connection cut after N bytes towards the client, the next held until resume
cat > "$work/serve.py" <<'PY'
import socket, sys
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(8)
print(server.getsockname()[1], flush=True)
while True:
    conn, _ = server.accept()
    conn.sendall(bytes(range(256)) * 1000)
    conn.close()
PY
cat > "$work/fetch.py" <<'PY'
import socket, sys
# The bound (argv[2] seconds) of each read: a link that is never cut or resumed fails the test.
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=int(sys.argv[2]))
total = 0
while True:
    data = s.recv(65536)
    if not data:
        break
    total += len(data)
print(total)
PY
exec {server_out}< <(exec python3 "$work/serve.py")
pids+=($!)
read -r -t "$(ff_test_seconds 60)" -u "$server_out" target || fail "serve.py printed no port"
mkfifo "$work/cut.in"
"${sim[@]}" networked cut-link --to "$target" --cut-at 100000 < "$work/cut.in" > "$work/cut.log" 2>&1 &
pids+=($!)
exec {cut_in}> "$work/cut.in"
line=$(wait_file_line "$work/cut.log" "^cut-link listening on 127\.0\.0\.1:[0-9]+")
[[ $line =~ 127\.0\.0\.1:([0-9]+), ]] || fail "cut-link: $line"
port=${BASH_REMATCH[1]}
[ "$(python3 "$work/fetch.py" "$port" "$(ff_test_seconds 60)")" = 100000 ] || fail "not cut at 100000 bytes"
wait_file_line "$work/cut.log" "^CUT the link after 100000 bytes to the client$" > /dev/null
python3 "$work/fetch.py" "$port" "$(ff_test_seconds 60)" > "$work/fetch2" &
fetch=$!
wait_file_line "$work/cut.log" "^connection 2 held until resume$" > /dev/null
echo resume >&"$cut_in"
ff_test_wait_pid "$fetch"
[ "$(cat "$work/fetch2")" = 256000 ] || fail "after resume: $(cat "$work/fetch2")"
wait_file_line "$work/cut.log" "^connection 2 closed: 256000 bytes to the client$" > /dev/null

echo "sim-networked: ok"
