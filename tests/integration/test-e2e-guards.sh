#!/bin/bash
# End to end on 127.0.0.1, the tablet's guards (issue "field trust"): a second fieldflash-cli on a
# tablet another one has open is refused, names the first and changes nothing (one push, one
# report); a terminal that runs a newer version than the task's target and one whose hardware the
# firmware is not for are each stopped before anything is written, with the reason in the report;
# the platform ingests those reports and keeps its ledger as it was.
set -euo pipefail
source "$(dirname "$0")/e2e-lib.sh"

# ---- terminals: DTU0001 as the ledger says; DTU0002 runs V3.00; DTU0003 and 4 are HV2.0 -------
"${sim[@]}" make-firmware --vendor Acme --model DTU-3000 --version V1.00 --size 65536 -o "$work/v1.bin"
"${sim[@]}" make-firmware --vendor Acme --model DTU-3000 --version V2.00 --size 30000 -o "$work/v2.bin"
cat > "$work/fleet.ini" <<INI
[fleet]
profile=state-grid
host=127.0.0.1
first-port=0

[terminal DTU0001]
latitude=31.2001
longitude=121.4737
version=V1.00
vendor=Acme
model=DTU-3000

[terminal DTU0002]
latitude=31.2002
longitude=121.4737
version=V3.00
vendor=Acme
model=DTU-3000

[terminal DTU0003]
latitude=31.2003
longitude=121.4737
version=V1.00
vendor=Acme
model=DTU-3000
hardware=HV2.0

[terminal DTU0004]
latitude=31.2004
longitude=121.4737
version=V1.00
vendor=Acme
model=DTU-3000
hardware=HV2.0
INI
count=4
start_sim "$work/fleet.ini" --boot-ms 200

# ---- the platform's ledger says V1.00 on HV1.0 for all four; V2.00 is for HV1.0 --------------
{
  echo "device_id,name,latitude,longitude,vendor,model,hardware_version,software_version,software_checksum,host,port,common_address,profile"
  for i in 1 2 3 4; do
    id=DTU000$i
    echo "$id,Site $i,31.200$i,121.4737,Acme,DTU-3000,HV1.0,V1.00,,127.0.0.1,${port[$id]},1,state-grid"
  done
} > "$work/ledger.csv"
# A supervisor who may override an identity mismatch (DTU0004's, below).
supervisor_pin=73519864
before_task () {
  echo "$supervisor_pin" | "${plat[@]}" supervisors add --name "Li Lei" > /dev/null
}
start_platform "$work/ledger.csv" DTU0001,DTU0002,DTU0003,DTU0004
"${cli[@]}" sync "${tablet[@]}" > "$work/sync.out"
grep -q 'stored, with its firmware verified' "$work/sync.out" || fail "sync: $(cat "$work/sync.out")"

# ---- two programs on one tablet ----------------------------------------------------------------
# The first run waits at "Push V2.00 to DTU0001 now?" with the tablet open; meanwhile a second run
# of the same terminal and a sync are refused, naming it.
mkfifo "$work/first.in" "$work/first.out"
"${cli[@]}" run "${tablet[@]}" --terminal DTU0001 --gps 31.2001,121.4737 \
  < "$work/first.in" > "$work/first.out" 2>&1 &
first=$!
pids+=($first)
exec 8> "$work/first.in"
exec 7< "$work/first.out"
wait_line 7 '^-- confirm$' > /dev/null
set +e
"${cli[@]}" run "${tablet[@]}" --terminal DTU0001 --gps 31.2001,121.4737 --yes > "$work/second.out" 2>&1
second_code=$?
"${cli[@]}" sync "${tablet[@]}" > "$work/second-sync.out" 2>&1
sync_code=$?
set -e
[ "$second_code" -eq 1 ] || fail "second run: exit $second_code: $(cat "$work/second.out")"
[ "$sync_code" -eq 1 ] || fail "second sync: exit $sync_code: $(cat "$work/second-sync.out")"
for out in second second-sync; do
  grep -q "tablet is in use by fieldflash-cli (process $first)" "$work/$out.out" \
    || fail "$out does not name the first: $(cat "$work/$out.out")"
done
echo y >&8
exec 8>&-
wait_line 7 '^DTU0001: .*\[upgraded\]' > /dev/null
ff_test_wait_pid "$first" || fail "first run: $(cat "$work/events.log")"
exec 7<&-

# ---- a terminal newer than the target, and hardware the firmware is not for ------------------
set +e
"${cli[@]}" run "${tablet[@]}" --terminal DTU0002 --gps 31.2002,121.4737 --yes > "$work/run2.out" 2>&1
code2=$?
"${cli[@]}" run "${tablet[@]}" --terminal DTU0003 --gps 31.2003,121.4737 --yes > "$work/run3.out" 2>&1
code3=$?
# A supervisor's override of a wrong position vouches for the place, not for the hardware.
printf '%s\n' "$supervisor_pin" | "${cli[@]}" run "${tablet[@]}" --terminal DTU0004 \
  --gps 31.2104,121.4737 --yes --supervisor "Li Lei" --override-reason "pole moved" \
  > "$work/run4.out" 2>&1
code4=$?
set -e
[ "$code2" -eq 1 ] || fail "run DTU0002: exit $code2: $(cat "$work/run2.out")"
[ "$code3" -eq 1 ] || fail "run DTU0003: exit $code3: $(cat "$work/run3.out")"
grep -q '^DTU0002: .*\[aborted\]' "$work/run2.out" || fail "DTU0002: $(cat "$work/run2.out")"
grep -q 'runs V3.00, newer than the target V2.00' "$work/run2.out" || fail "DTU0002 reason"
grep -q '^DTU0003: .*\[aborted\]' "$work/run3.out" || fail "DTU0003: $(cat "$work/run3.out")"
grep -q 'reports hardware HV2.0; firmware V2.00 is for hardware HV1.0 only' "$work/run3.out" \
  || fail "DTU0003 reason"
[ "$code4" -eq 1 ] || fail "run DTU0004: exit $code4: $(cat "$work/run4.out")"
grep -q 'overridden by supervisor Li Lei' "$work/run4.out" || fail "DTU0004: $(cat "$work/run4.out")"
grep -q '^DTU0004: .*\[aborted\]' "$work/run4.out" || fail "DTU0004: $(cat "$work/run4.out")"
grep -q 'reports hardware HV2.0' "$work/run4.out" || fail "DTU0004 reason"
for out in run2 run3 run4; do grep -q '^-- confirm$' "$work/$out.out" && fail "$out reached confirm"; done

# ---- upload; what the terminals and the platform say ---------------------------------------
"${cli[@]}" upload "${tablet[@]}" > "$work/upload.out"
grep -q '^4 reports delivered, 0 still queued' "$work/upload.out" || fail "upload: $(cat "$work/upload.out")"
[ "$(grep -c 'DTU0001: file .* received completely' "$work/sim.log")" -eq 1 ] || fail "DTU0001 pushes"
grep -q 'DTU000[234].*receives' "$work/sim.log" && fail "DTU0002, 3 or 4 was written to"
"${plat[@]}" reports list --json > "$work/reports.json"
"${plat[@]}" terminals list --json > "$work/terminals.json"
python3 - "$work/reports.json" "$work/terminals.json" <<'PY'
import json, sys, collections
reports = json.load(open(sys.argv[1]))
if isinstance(reports, dict):
    reports = reports.get("reports", reports)
assert collections.Counter(r["device_id"] for r in reports) == {
    "DTU0001": 1, "DTU0002": 1, "DTU0003": 1, "DTU0004": 1}, reports
outcomes = {r["device_id"]: r["outcome"] for r in reports}
assert outcomes == {"DTU0001": "upgraded", "DTU0002": "aborted", "DTU0003": "aborted",
                    "DTU0004": "aborted"}, outcomes
versions = {t["device_id"]: t["software_version"] for t in json.load(open(sys.argv[2]))}
assert versions == {"DTU0001": "V2.00", "DTU0002": "V1.00", "DTU0003": "V1.00",
                    "DTU0004": "V1.00"}, versions
PY
echo "e2e-guards: ok"
