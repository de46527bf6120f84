#!/bin/bash
# End to end on 127.0.0.1: fieldflash-platform (HTTPS, pinned) + fieldflash-sim + fieldflash-cli.
# Dispatch, sync, run three terminals (clean; wrong position; upgraded with a signal off, rolled
# back); one more per workflow state, each run killed (SIGKILL) as that state starts and run again;
# one located by a real gpsd (gpsfake); then upload and check the platform's ledger, history and
# reports: one report per terminal, one push each, nothing lost or doubled.
set -euo pipefail
source "$(dirname "$0")/e2e-lib.sh"

# ---- terminals: 3 for the story, 1 per killed state, 1 for gpsd, all at distinct positions -----
kill_states=(connect identify read-version snapshot-before confirm push reset reboot-wait verify
  snapshot-after report)
# After the story and the kills: one that stands where tests/data/shanghai-fix.nmea puts the
# receiver, one that meets a dead gpsd, and one whose receiver is in simulator mode.
gpsd_n=$((4 + ${#kill_states[@]}))
dead_n=$((gpsd_n + 1))
simulated_n=$((dead_n + 1))
gpsd_id=$(printf 'DTU%04d' "$gpsd_n")
dead_id=$(printf 'DTU%04d' "$dead_n")
simulated_id=$(printf 'DTU%04d' "$simulated_n")
count=$simulated_n
lat_of () { if [ "$1" -eq "$gpsd_n" ]; then echo 31.2304; else echo "31.$((2000 + $1))"; fi; }
"${sim[@]}" make-firmware --vendor Acme --model DTU-3000 --version V1.00 --size 65536 -o "$work/v1.bin"
"${sim[@]}" make-firmware --vendor Acme --model DTU-3000 --version V2.00 --size 30000 -o "$work/v2.bin"
{
  echo "[fleet]"; echo "profile=state-grid"; echo "host=127.0.0.1"
  for i in $(seq 1 $count); do
    printf '[terminal DTU%04d]\nversion=V1.00\nvendor=Acme\nmodel=DTU-3000\ntype=DTU\nport=0\n' "$i"
    printf 'latitude=%s\nlongitude=121.4737\n' "$(lat_of "$i")"
  done
} > "$work/fleet.ini"
printf '[DTU0003]\nscenario=signal-drift\nsignal=current\npercent=20\n' > "$work/scenario.ini"
start_sim "$work/fleet.ini" --scenario "$work/scenario.ini" --boot-ms 200 \
  --state-dir "$work/sim-state"

# ---- the platform: ledger, firmware, technician, tablet, task ----------------------------------
{
  echo "device_id,name,latitude,longitude,vendor,model,hardware_version,software_version,software_checksum,host,port,common_address,profile"
  for i in $(seq 1 $count); do
    id=$(printf 'DTU%04d' "$i")
    echo "$id,Site $i,$(lat_of "$i"),121.4737,Acme,DTU-3000,HV1.0,V1.00,,127.0.0.1,${port[$id]},1,state-grid"
  done
} > "$work/ledger.csv"
terminals=$(for i in $(seq 1 $count); do printf 'DTU%04d,' "$i"; done)
start_platform "$work/ledger.csv" "${terminals%,}"

# ---- the tablet: sync -----------------------------------------------------------------------
"${cli[@]}" sync "${tablet[@]}" > "$work/sync.out"
grep -q 'stored, with its firmware verified' "$work/sync.out" || fail "sync"
"${cli[@]}" tasks "${tablet[@]}" --from 31.2000,121.4737 > "$work/tasks.out"
grep -q '1\. DTU0001' "$work/tasks.out" || fail "tasks order: $(cat "$work/tasks.out")"

# ---- three terminals ------------------------------------------------------------------------
set +e
"${cli[@]}" run "${tablet[@]}" --terminal DTU0001 --gps 31.2001,121.4737 --yes > "$work/run1.out"
[ $? -eq 0 ] || fail "run DTU0001: $(cat "$work/run1.out")"
"${cli[@]}" run "${tablet[@]}" --terminal DTU0002 --gps 31.2012,121.4737 --yes --remeasure 2 \
  > "$work/run2.out"
[ $? -eq 3 ] || fail "run DTU0002 should be refused (identity): $(cat "$work/run2.out")"
[ "$(grep -c 'measures the position again' "$work/run2.out")" -eq 2 ] \
  || fail "DTU0002 not measured again twice: $(cat "$work/run2.out")"
"${cli[@]}" run "${tablet[@]}" --terminal DTU0003 --gps 31.2003,121.4737 --yes > "$work/run3.out" 2>&1
[ $? -eq 1 ] || fail "run DTU0003 should fail and wait for a decision: $(cat "$work/run3.out")"
grep -q 'rollback --terminal DTU0003' "$work/run3.out" || fail "no rollback hint"
"${cli[@]}" rollback "${tablet[@]}" --terminal DTU0003 > "$work/rollback3.out"
[ $? -eq 1 ] || fail "rollback DTU0003: $(cat "$work/rollback3.out")"
set -e
grep -q '^DTU0001: .*\[upgraded\]' "$work/run1.out" || fail "DTU0001 not upgraded"
grep -q '^DTU0002: .*\[identity-mismatch\]' "$work/run2.out" || fail "DTU0002 not refused"
# The device ID was right: the words say the position is what failed.
grep -q '^DTU0002: Position check failed: not upgraded \[identity-mismatch\]' "$work/run2.out" \
  || fail "DTU0002's outcome does not name the failed check: $(cat "$work/run2.out")"
grep -q '^DTU0003: .*\[rolled-back\]' "$work/rollback3.out" || fail "DTU0003 not rolled back"
grep -q 'DTU0002.*receives' "$work/sim.log" && fail "DTU0002 was written to"

# ---- killed at each state, then run again ---------------------------------------------------
for k in "${!kill_states[@]}"; do
  id=$(printf 'DTU%04d' "$((k + 4))")
  state=${kill_states[$k]}
  mkfifo "$work/run-$id.out"
  "${cli[@]}" run "${tablet[@]}" --terminal "$id" --gps "31.$((2004 + k)),121.4737" --yes \
    > "$work/run-$id.out" 2>&1 &
  runner=$!
  exec 7< "$work/run-$id.out"
  wait_line 7 "^-- $state\$" > /dev/null
  kill -KILL "$runner"
  wait "$runner" 2>/dev/null || true
  exec 7<&-
  "${cli[@]}" run "${tablet[@]}" --terminal "$id" --gps "31.$((2004 + k)),121.4737" --yes \
    > "$work/rerun-$id.out" 2>&1 || fail "rerun $id after a kill at $state: $(cat "$work/rerun-$id.out")"
  # A kill that lands just after the report was saved finds the visit finished: also right.
  grep -q "^$id: .*\[upgraded\]" "$work/rerun-$id.out" \
    || fail "$id after a kill at $state: $(cat "$work/rerun-$id.out")"
done

# ---- the gpsd path: gpsfake replays the log on a free loopback port ---------------------------
gps_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# The log plays over and over until the run is over, so the fix is there whenever the workflow
# reaches "identify", however slow this machine is today. gpsfake sometimes fails to hand gpsd
# the receiver (gpsd then never has a fix: seen under qemu-arm); so a client of the test's own
# watches gpsd until a TPV report comes, starting gpsfake again when none comes within 20 s (at
# native speed), and
# stays connected until the run is over so gpsd keeps the receiver open.
start_gpsfake () {
  local attempt answer
  for attempt in 1 2 3; do
    gpsfake -q -c 0.05 -P "$gps_port" "${FIELDFLASH_SOURCEDIR:?}/tests/data/$1" \
      > /dev/null 2>&1 < /dev/null &
    gpsfake_pid=$!
    pids+=($gpsfake_pid)
    coproc GPSD_WATCH { python3 -c '
import json, signal, socket, sys, time
signal.alarm(int(sys.argv[2]))  # no fix by then: the process ends, gpsfake is started again
while True:
    try:
        gpsd = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
        break
    except ConnectionRefusedError:  # gpsfake has not started gpsd yet
        time.sleep(0.05)
gpsd.sendall(b"?WATCH={\"enable\":true,\"json\":true};")
lines = gpsd.makefile("r")
for line in lines:
    if json.loads(line).get("class") == "TPV":
        signal.alarm(0)
        print("fix", flush=True)
        break
for line in lines:
    pass' "$gps_port" "$(ff_test_seconds 20)" 2>&1; }
    gpsd_watch_pid=$GPSD_WATCH_PID
    pids+=($gpsd_watch_pid)
    answer=""
    read -r answer <&"${GPSD_WATCH[0]}" || true
    [ "$answer" = fix ] && return 0
    stop_gpsfake
  done
  fail "gpsd served no fix from gpsfake in three tries"
}
# SIGINT lets gpsfake take its gpsd down with it, which leaves the port dead for the next run (and
# ends the watching client).
stop_gpsfake () {
  ff_test_stop -INT "$gpsfake_pid"
  ff_test_stop "$gpsd_watch_pid"
}
start_gpsfake shanghai-fix.nmea
"${cli[@]}" run "${tablet[@]}" --terminal "$gpsd_id" --gpsd "127.0.0.1:$gps_port" --yes \
  > "$work/run-gpsd.out" 2>&1 || fail "run $gpsd_id with gpsd: $(cat "$work/run-gpsd.out")"
grep -q "^$gpsd_id: .*\[upgraded\]" "$work/run-gpsd.out" || fail "$gpsd_id not upgraded"
stop_gpsfake

# ---- a dead gpsd: no fix, nothing written, the visit cut short (the item stays open) ---------
set +e
"${cli[@]}" run "${tablet[@]}" --terminal "$dead_id" --gpsd "127.0.0.1:$gps_port" --gps-timeout 2 \
  --yes > "$work/run-dead.out" 2>&1
[ $? -eq 1 ] || fail "run $dead_id with a dead gpsd: $(cat "$work/run-dead.out")"
set -e
grep -q "No GPS fix from gpsd at 127.0.0.1:$gps_port" "$work/run-dead.out" || fail "no-fix message"
grep -q "^$dead_id: .*\[aborted\]" "$work/run-dead.out" \
  || fail "$dead_id not aborted: $(cat "$work/run-dead.out")"

# ---- a receiver in simulator mode: its fixes are refused and the cli says why ----------------
start_gpsfake simulated-fix.nmea
set +e
"${cli[@]}" run "${tablet[@]}" --terminal "$simulated_id" --gpsd "127.0.0.1:$gps_port" \
  --gps-timeout 4 --yes > "$work/run-simulated.out" 2>&1
[ $? -eq 1 ] || fail "run $simulated_id in simulator mode: $(cat "$work/run-simulated.out")"
set -e
grep -q "No usable GPS fix from gpsd at 127.0.0.1:$gps_port: the receiver is in simulator mode" \
  "$work/run-simulated.out" || fail "no simulator-mode reason: $(cat "$work/run-simulated.out")"
grep -q "^$simulated_id: .*\[aborted\]" "$work/run-simulated.out" \
  || fail "$simulated_id not aborted: $(cat "$work/run-simulated.out")"
stop_gpsfake

# ---- upload, twice ------------------------------------------------------------------------
"${cli[@]}" upload "${tablet[@]}" > "$work/upload1.out"
grep -q "^$count reports delivered, 0 still queued" "$work/upload1.out" || fail "upload"
"${cli[@]}" upload "${tablet[@]}" > "$work/upload2.out"
grep -q '^0 reports delivered, 0 still queued' "$work/upload2.out" || fail "upload again"
# In a sanitizer build, unwind through libcairo (no frame pointers) so tests/lsan.supp can name
# the cairo call whose leak it forgives, as test-ff-report-pdf does.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0" \
  "${cli[@]}" reports "${tablet[@]}" --pdf "$work/pdf" > "$work/reports.out"
[ "$(grep -c uploaded "$work/reports.out")" -eq $count ] || fail "reports: $(cat "$work/reports.out")"
[ "$(ls "$work/pdf" | wc -l)" -eq $count ] || fail "pdfs"

# ---- what the terminals and the platform say ------------------------------------------------
sync_log_check () {
  local id=$1 expected=$2 pushes
  pushes=$(grep -c "terminal $id: file .* received completely" "$work/sim.log" || true)
  [ "$pushes" -eq "$expected" ] || fail "$id received $pushes files, expected $expected"
}
sync_log_check DTU0001 1
sync_log_check DTU0002 0
sync_log_check DTU0003 2
for k in "${!kill_states[@]}"; do sync_log_check "$(printf 'DTU%04d' "$((k + 4))")" 1; done
sync_log_check "$gpsd_id" 1
sync_log_check "$dead_id" 0
sync_log_check "$simulated_id" 0

"${plat[@]}" terminals list --json > "$work/terminals.json"
python3 - "$work/terminals.json" "$dead_n" <<'PY'
import json, sys
versions = {t["device_id"]: t["software_version"] for t in json.load(open(sys.argv[1]))}
dead = int(sys.argv[2])
expected = {"DTU0001": "V2.00", "DTU0002": "V1.00", "DTU0003": "V1.00"}
expected.update({"DTU%04d" % i: "V2.00" for i in range(4, dead)})
expected["DTU%04d" % dead] = "V1.00"
expected["DTU%04d" % (dead + 1)] = "V1.00"  # simulator mode
assert versions == expected, versions
PY
"${plat[@]}" reports list --json > "$work/platform-reports.json"
python3 - "$work/platform-reports.json" "$dead_n" <<'PY'
import json, sys, collections
reports = json.load(open(sys.argv[1]))
if isinstance(reports, dict):
    reports = reports.get("reports", reports)
dead = int(sys.argv[2])
by_device = collections.Counter(r["device_id"] for r in reports)
assert all(n == 1 for n in by_device.values()) and len(by_device) == dead + 1, by_device
outcomes = {r["device_id"]: r["outcome"] for r in reports}
assert outcomes["DTU0001"] == "upgraded" and outcomes["DTU0002"] == "identity-mismatch", outcomes
assert outcomes["DTU0003"] == "rolled-back", outcomes
assert outcomes["DTU%04d" % dead] == "aborted", outcomes
assert outcomes["DTU%04d" % (dead + 1)] == "aborted", outcomes
PY
# The history says what each terminal ran, as its report saw it: DTU0001 went to V2.00; the
# rolled-back DTU0003 has one report, whose last version is the rollback's V1.00.
"${plat[@]}" history DTU0001 > "$work/history.out"
grep -q 'V2.00' "$work/history.out" || fail "history of DTU0001: $(cat "$work/history.out")"
"${plat[@]}" history DTU0003 --json > "$work/history3.json"
python3 - "$work/history3.json" "$work/platform-reports.json" <<'PY'
import json, sys
history = json.load(open(sys.argv[1]))
reports = json.load(open(sys.argv[2]))
if isinstance(reports, dict):
    reports = reports.get("reports", reports)
rolled_back = [r["report_id"] for r in reports if r["device_id"] == "DTU0003"]
assert all(h["to"] != "V2.00" for h in history), history
last = history[-1]
assert last["to"] == "V1.00" and last["source"] == "report", history
assert [last["report_id"]] == rolled_back, (history, rolled_back)
PY
echo "e2e: ok"
