#!/bin/bash
# End to end on 127.0.0.1 (fieldflash-platform, fieldflash-sim, fieldflash-cli): the tablet stopped
# where it cannot know what the terminal did, and run again. `run` is killed (SIGKILL) between the
# terminal taking the 211 finish and the save of the next state (fieldflash-sim's finish-hold holds
# the confirmation back, so the kill lands there every time), or as the terminal takes the 105, for
# every vendor profile, and resumed while the terminal boots and after; killed at a random moment
# of the 210 transfer; `sync` and `upload` are killed at random moments. One terminal confirms the
# finish late and the tablet is not stopped: it waits and goes on. Each terminal: as many
# transfers as the report says (one where the image had gone over), one report, `upgraded`, and the
# platform's ledger on V2.00. The random moments come from a seed that is printed:
# FIELDFLASH_TEST_SEED=N replays a run.
set -euo pipefail
source "$(dirname "$0")/e2e-lib.sh"

seed=${FIELDFLASH_TEST_SEED:-$((RANDOM * 32768 + RANDOM))}
echo "seed $seed (replay with FIELDFLASH_TEST_SEED=$seed)"
RANDOM=$seed

# A random moment: 0 to $1 milliseconds, as seconds for sleep. Waiting that long is not a
# synchronisation: it only picks where the kill lands.
random_moment () { local ms=$(($1 * RANDOM / 32768)); printf '%d.%03d' $((ms / 1000)) $((ms % 1000)); }

# ID, profile, scenario (the scenario's parameters are below).
terminals=(
  "SG01 state-grid finish-hold"  # killed in the finish window, run again at once
  "SG02 state-grid finish-hold"  # … run again once the terminal saw the tablet go
  "SG03 state-grid none"         # killed as it takes the 105, run again while it boots
  "SJ01 sojo-ftu finish-hold"    # killed in the finish window, run again while it boots
  "SJ02 sojo-ftu finish-hold"    # … run again once it is back
  "LK01 lk101-dtu finish-hold"   # killed in the finish window, run again at once
  "SG04 state-grid slow-link"    # killed at a random moment of the 210 transfer
  "SJ03 sojo-ftu slow-link"
  "LK02 lk101-dtu slow-link"
  "SG05 state-grid reset-drop"   # restarts without confirming the 105
  "SG06 state-grid waited"       # confirms the finish late (the default hold), and is waited for
)
count=${#terminals[@]}
declare -A profile scenario latitude port
ids=()
for k in "${!terminals[@]}"; do
  read -r id prof scen <<< "${terminals[$k]}"
  ids+=("$id")
  profile[$id]=$prof
  scenario[$id]=$scen
  latitude[$id]="31.$((2001 + k))"
done

"${sim[@]}" make-firmware --vendor Acme --model DTU-3000 --version V1.00 --size 65536 -o "$work/v1.bin"
"${sim[@]}" make-firmware --vendor Acme --model DTU-3000 --version V2.00 --size 30000 -o "$work/v2.bin"
{
  echo "[fleet]"; echo "host=127.0.0.1"
  for id in "${ids[@]}"; do
    printf '[terminal %s]\nversion=V1.00\nvendor=Acme\nmodel=DTU-3000\ntype=DTU\nport=0\n' "$id"
    printf 'profile=%s\nlatitude=%s\nlongitude=121.4737\n' "${profile[$id]}" "${latitude[$id]}"
  done
} > "$work/fleet.ini"
{
  for id in "${ids[@]}"; do
    case ${scenario[$id]} in
      # Longer than a kill takes to land, shorter than the tablet's reply timeout.
      finish-hold) printf '[%s]\nscenario=finish-hold\nms=10000\n' "$id" ;;
      # The 30000-byte image takes about 1.5 s: room for a random kill.
      slow-link) printf '[%s]\nscenario=slow-link\nbandwidth=20000\nrtt=20\n' "$id" ;;
      reset-drop) printf '[%s]\nscenario=reset-drop\n' "$id" ;;
      waited) printf '[%s]\nscenario=finish-hold\n' "$id" ;;
    esac
  done
} > "$work/scenario.ini"
start_sim "$work/fleet.ini" --scenario "$work/scenario.ini" --boot-ms 1500

{
  echo "device_id,name,latitude,longitude,vendor,model,hardware_version,software_version,software_checksum,host,port,common_address,profile"
  for id in "${ids[@]}"; do
    echo "$id,Site $id,${latitude[$id]},121.4737,Acme,DTU-3000,HV1.0,V1.00,,127.0.0.1,${port[$id]},1,${profile[$id]}"
  done
} > "$work/ledger.csv"
start_platform "$work/ledger.csv" "$(IFS=,; echo "${ids[*]}")"

# ---- sync, killed at a random moment, then again -------------------------------------------
moment=$(random_moment 400)
echo "sync killed after ${moment} s"
"${cli[@]}" sync "${tablet[@]}" > "$work/sync-killed.out" 2>&1 &
runner=$!
sleep "$moment"
kill -KILL "$runner" 2>/dev/null || true
wait "$runner" 2>/dev/null || true
"${cli[@]}" sync "${tablet[@]}" > "$work/sync.out" 2>&1 || fail "sync after a kill: $(cat "$work/sync.out")"
"${cli[@]}" tasks "${tablet[@]}" --from 31.2000,121.4737 > "$work/tasks.out"
for id in "${ids[@]}"; do grep -q " $id " "$work/tasks.out" || fail "task lacks $id: $(cat "$work/tasks.out")"; done

run_cli () { "${cli[@]}" run "${tablet[@]}" --terminal "$1" --gps "${latitude[$1]},121.4737" --yes; }

# Starts `run` of $1 in the background (the process itself, so that the kill lands on it): $runner.
start_run () {
  "${cli[@]}" run "${tablet[@]}" --terminal "$1" --gps "${latitude[$1]},121.4737" --yes \
    > "$work/killed-$1.out" 2>&1 &
  runner=$!
}

# Starts `run` of $1 in the background, waits for the simulator line $2 of that terminal, kills it.
kill_run_at () {
  local id=$1
  start_run "$id"
  wait_file_line "$work/sim.log" "terminal $id: $2" > /dev/null
  kill -KILL "$runner"
  wait "$runner" 2>/dev/null || true
}

rerun () {
  run_cli "$1" > "$work/rerun-$1.out" 2>&1 || fail "$1 run again: $(cat "$work/rerun-$1.out")"
  grep -q "^$1: .*\[upgraded\]" "$work/rerun-$1.out" || fail "$1 not upgraded: $(cat "$work/rerun-$1.out")"
}

# ---- killed between the terminal taking the 211 finish and the save ---------------------------
for id in SG01 SJ01 LK01; do
  kill_run_at "$id" "FAULT finish-hold"
  rerun "$id"
done
kill_run_at SG02 "FAULT finish-hold"
wait_file_line "$work/sim.log" "terminal SG02: the master closed the connection" > /dev/null
rerun SG02
kill_run_at SJ02 "FAULT finish-hold"
wait_file_line "$work/sim.log" "terminal SJ02: back up" > /dev/null
rerun SJ02

# ---- killed as the terminal takes the 105: it boots while the tablet comes back ----------------
kill_run_at SG03 "reset process \(105\) accepted"
rerun SG03

# ---- killed at a random moment of the transfer --------------------------------------------------
for id in SG04 SJ03 LK02; do
  start_run "$id"
  wait_file_line "$work/sim.log" "terminal $id: receives" > /dev/null
  moment=$(random_moment 1400)
  echo "$id killed ${moment} s into the transfer"
  sleep "$moment"
  kill -KILL "$runner"
  wait "$runner" 2>/dev/null || true
  rerun "$id"
done

# ---- a terminal that restarts without confirming the 105 ----------------------------------------
run_cli SG05 > "$work/run-SG05.out" 2>&1 || fail "SG05: $(cat "$work/run-SG05.out")"
grep -q "^SG05: .*\[upgraded\]" "$work/run-SG05.out" || fail "SG05 not upgraded: $(cat "$work/run-SG05.out")"

# ---- a terminal that confirms the finish late, and a tablet that waits ----------------------------
run_cli SG06 > "$work/run-SG06.out" 2>&1 || fail "SG06: $(cat "$work/run-SG06.out")"
grep -q "^SG06: .*\[upgraded\]" "$work/run-SG06.out" || fail "SG06 not upgraded: $(cat "$work/run-SG06.out")"

# ---- upload, killed at a random moment, then again ----------------------------------------------
moment=$(random_moment 300)
echo "upload killed after ${moment} s"
"${cli[@]}" upload "${tablet[@]}" > "$work/upload-killed.out" 2>&1 &
runner=$!
sleep "$moment"
kill -KILL "$runner" 2>/dev/null || true
wait "$runner" 2>/dev/null || true
"${cli[@]}" upload "${tablet[@]}" > "$work/upload.out" 2>&1 || fail "upload after a kill: $(cat "$work/upload.out")"
"${cli[@]}" upload "${tablet[@]}" > "$work/upload-again.out"
grep -q '^0 reports delivered, 0 still queued' "$work/upload-again.out" \
  || fail "upload again: $(cat "$work/upload-again.out")"

# ---- what the terminals and the platform say ----------------------------------------------------
for id in "${ids[@]}"; do
  echo "$id $(grep -c "terminal $id: receives" "$work/sim.log" || true)"
done > "$work/transfers.txt"
"${plat[@]}" terminals list --json > "$work/terminals.json"
python3 - "$work/terminals.json" "$work/transfers.txt" "$work/platform" <<'PY'
import glob, json, sqlite3, sys
versions = {t["device_id"]: t["software_version"] for t in json.load(open(sys.argv[1]))}
transfers = dict((line.split()[0], int(line.split()[1])) for line in open(sys.argv[2]))
assert all(versions[d] == "V2.00" for d in transfers), versions
db = sqlite3.connect(glob.glob(sys.argv[3] + "/*.db")[0])
reports = {}
for device, outcome, document in db.execute("SELECT device_id, outcome, document FROM reports"):
    assert device not in reports, "two reports of " + device
    reports[device] = (outcome, json.loads(document))
assert sorted(reports) == sorted(transfers), reports.keys()
for device, (outcome, report) in reports.items():
    assert outcome == "upgraded", (device, outcome)
    assert report["versions"]["after"] == "V2.00", (device, report["versions"])
    # The terminal received as many transfers as the report counts: retries are the ones that
    # really started again.
    assert transfers[device] == report["transfer"]["retries"] + 1, (device, transfers[device], report["transfer"])
# Where the kill came after the whole image had gone over, it went over once.
for device in ("SG01", "SG02", "SG03", "SJ01", "SJ02", "LK01", "SG05", "SG06"):
    assert transfers[device] == 1, (device, transfers[device])
PY
# A terminal restarted before the kill is not restarted again.
[ "$(grep -c 'terminal SG03: reset process (105) accepted' "$work/sim.log")" -eq 1 ] \
  || fail "SG03 was restarted twice"
echo "e2e-resume: ok"
