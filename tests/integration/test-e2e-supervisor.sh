#!/bin/bash
# A supervisor's override end to end on 127.0.0.1: `supervisors add` on the platform, the task
# carries the supervisor signed, the cli asks for the supervisor's PIN at an identity mismatch;
# three wrong PINs lock overrides on the tablet (also across runs) until the next sync, then the
# right PIN overrides and the report names the supervisor. A finished visit is reopened by the
# supervisor for a second visit of the same task item, whose report follows the first, and the
# platform takes both: the item closed by the second, the ledger at the second's version.
set -euo pipefail
source "$(dirname "$0")/e2e-lib.sh"

supervisor_pin=73519864
count=3

"${sim[@]}" make-firmware --vendor Acme --model DTU-3000 --version V1.00 --size 65536 -o "$work/v1.bin"
"${sim[@]}" make-firmware --vendor Acme --model DTU-3000 --version V2.00 --size 30000 -o "$work/v2.bin"
{
  echo "[fleet]"; echo "profile=state-grid"; echo "host=127.0.0.1"
  for i in $(seq 1 $count); do
    printf '[terminal DTU%04d]\nversion=V1.00\nvendor=Acme\nmodel=DTU-3000\ntype=DTU\nport=0\n' "$i"
    printf 'latitude=31.%s\nlongitude=121.4737\n' "$((2000 + i))"
  done
} > "$work/fleet.ini"
start_sim "$work/fleet.ini" --boot-ms 200 --state-dir "$work/sim-state"

{
  echo "device_id,name,latitude,longitude,vendor,model,hardware_version,software_version,software_checksum,host,port,common_address,profile"
  for i in $(seq 1 $count); do
    id=$(printf 'DTU%04d' "$i")
    echo "$id,Site $i,31.$((2000 + i)),121.4737,Acme,DTU-3000,HV1.0,V1.00,,127.0.0.1,${port[$id]},1,state-grid"
  done
} > "$work/ledger.csv"

# ---- supervisors: a PIN of at least 8 digits; a disabled one is left out of new tasks ---------
before_task () {
  if echo 1234567 | "${plat[@]}" supervisors add --name "Li Lei" > "$work/short.out" 2>&1; then
    fail "a 7-digit supervisor PIN was taken"
  fi
  echo "$supervisor_pin" | "${plat[@]}" supervisors add --name "Li Lei" > /dev/null
  echo 31415926 | "${plat[@]}" supervisors add --name "Han Meimei" > /dev/null
  "${plat[@]}" supervisors disable "Han Meimei" > /dev/null
  "${plat[@]}" supervisors list --json > "$work/supervisors.json"
  python3 - "$work/supervisors.json" <<'PY'
import json, sys
rows = {r["name"]: r["enabled"] for r in json.load(open(sys.argv[1]))}
assert rows == {"Li Lei": True, "Han Meimei": False}, rows
PY
}
start_platform "$work/ledger.csv" DTU0001,DTU0002,DTU0003
task_id=$(sed -n 's/^Created task \([^ ]*\) .*/\1/p' "$work/task.out")
python3 - "$work/platform/tasks/$task_id.json" <<'PY'
import json, sys
task = json.load(open(sys.argv[1]))
supervisors = task["supervisors"]
assert [s["name"] for s in supervisors] == ["Li Lei"], supervisors
assert supervisors[0]["pin_hash"].startswith("scrypt$32768$8$1$"), supervisors
assert "73519864" not in open(sys.argv[1]).read()
PY

"${cli[@]}" sync "${tablet[@]}" > /dev/null

# Each terminal is met 3.6" east of where the task puts it: an identity mismatch.
run () {
  local id=$1 n=$2; shift 2
  "${cli[@]}" run "${tablet[@]}" --terminal "$id" --gps "31.$((2000 + n)),121.4747" --yes \
    --supervisor "Li Lei" --override-reason "Pole renumbered" "$@"
}

# ---- three wrong PINs: the visit ends as a mismatch and overrides are locked -----------------
set +e
printf '11111111\n22222222\n33333333\n' | run DTU0001 1 > "$work/run1.out" 2>&1
[ $? -eq 3 ] || fail "three wrong PINs should end DTU0001 as a mismatch: $(cat "$work/run1.out")"
grep -q 'Attempts left before overrides lock: 2' "$work/run1.out" || fail "no attempts left"
grep -q 'Overrides are locked' "$work/run1.out" || fail "not locked: $(cat "$work/run1.out")"

# ---- locked across runs: the right PIN is refused too, until the next sync -------------------
printf '%s\n' "$supervisor_pin" | run DTU0002 2 > "$work/run2.out" 2>&1
[ $? -eq 3 ] || fail "a locked override was taken: $(cat "$work/run2.out")"
grep -q 'Overrides are locked' "$work/run2.out" || fail "DTU0002: $(cat "$work/run2.out")"
set -e

"${cli[@]}" sync "${tablet[@]}" > /dev/null
printf '%s\n' "$supervisor_pin" | run DTU0003 3 > "$work/run3.out" 2>&1 \
  || fail "the right PIN after a sync: $(cat "$work/run3.out")"
grep -q '^DTU0003: .*\[upgraded\]' "$work/run3.out" || fail "DTU0003 not upgraded"
grep -q 'overridden by supervisor Li Lei' "$work/run3.out" || fail "no supervisor in the log"
grep -q "$supervisor_pin" "$work/run3.out" && fail "the PIN was printed"

# ---- a finished visit reopened: a new visit whose report follows the first ------------------
set +e
"${cli[@]}" run "${tablet[@]}" --terminal DTU0001 --gps 31.2001,121.4737 --yes < /dev/null \
  > "$work/finished.out" 2>&1
[ $? -eq 3 ] || fail "the finished DTU0001: $(cat "$work/finished.out")"
set -e
grep -q -- '--reopen --supervisor' "$work/finished.out" || fail "no reopen hint"
printf '%s\n' "$supervisor_pin" | "${cli[@]}" run "${tablet[@]}" --terminal DTU0001 \
  --gps 31.2001,121.4737 --yes --reopen --supervisor "Li Lei" > "$work/reopen.out" 2>&1 \
  || fail "reopen DTU0001: $(cat "$work/reopen.out")"
grep -q "Visit reopened by supervisor Li Lei" "$work/reopen.out" || fail "no reopen event: $(cat "$work/reopen.out")"
grep -q '^DTU0001: .*\[upgraded\]' "$work/reopen.out" || fail "DTU0001 not upgraded the second time"

# ---- the platform: the report names the supervisor; both visits of DTU0001 taken --------------
"${cli[@]}" upload "${tablet[@]}" > "$work/upload.out"
grep -q '^4 reports delivered, 0 still queued' "$work/upload.out" || fail "upload: $(cat "$work/upload.out")"
python3 - "$work/platform/platform.db" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
reports = {}
for device, doc in db.execute("SELECT device_id, document FROM reports"):
    reports.setdefault(device, []).append(json.loads(doc))
assert sorted((d, len(r)) for d, r in reports.items()) == \
    [("DTU0001", 2), ("DTU0002", 1), ("DTU0003", 1)], reports
assert reports["DTU0003"][0]["identity"]["override"]["by"] == "Li Lei", reports["DTU0003"]
first, = [r for r in reports["DTU0001"] if r["follows"] is None]
second, = [r for r in reports["DTU0001"] if r["follows"] is not None]
assert first["outcome"] == "identity-mismatch", first
assert second["outcome"] == "upgraded", second
assert second["follows"] == {"report_id": first["report_id"], "reopened_by": "Li Lei"}, second
(closing,), = db.execute("SELECT closing_report_id FROM task_items WHERE device_id = 'DTU0001'")
assert closing == second["report_id"], closing
(version,), = db.execute("SELECT software_version FROM terminals WHERE device_id = 'DTU0001'")
assert version == "V2.00", version
PY
echo "e2e-supervisor: ok"
