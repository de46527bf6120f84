#!/bin/bash
# End to end on 127.0.0.1: delta patches over the tablet's 104 link. fieldflash-platform makes the
# patch V1.00 → V2.00 and names it in the task for the terminals whose profile takes patches
# (state-grid-delta); fieldflash-cli downloads it with the images and refuses one that does not
# match its digest; the push sends the patch to a terminal that runs the image it applies to, the
# whole image to one whose profile does not take patches and to one that runs another image; each
# terminal ends on V2.00's checksum, each report says what went over the link, and the platform
# takes the reports.
set -euo pipefail
source "$(dirname "$0")/e2e-lib.sh"

count=3
"${sim[@]}" make-firmware --vendor Acme --model DTU-3000 --version V1.00 --size 65536 -o "$work/v1.bin"
# V2.00 as a vendor builds it from V1.00: the version marker and a stretch of code change (and the
# payload CRC with them), the rest stays, so the patch is a fraction of the image.
python3 - "$work/v1.bin" "$work/v2.bin" <<'PY'
import sys, zlib
image = bytearray(open(sys.argv[1], "rb").read())
header_len = image.index(b"\0") + 1
marker = image.index(b"version=V1.00")
image[marker:marker + 13] = b"version=V2.00"
for i in range(20000, 20600):
    image[i] ^= 0x5A
crc = b"%08X" % zlib.crc32(bytes(image[header_len:]))
at = image.index(b"payload-crc32=") + len(b"payload-crc32=")
image[at:at + 8] = crc
open(sys.argv[2], "wb").write(image)
PY
# DTU0003 runs a V1.00 of its own (another build): its checksum is not that of the platform's V1.00.
mkdir -p "$work/sim-state"
"${sim[@]}" make-firmware --vendor Acme --model DTU-3000 --version V1.00 --size 60000 \
  -o "$work/sim-state/DTU0003.img"
profile_of () { if [ "$1" -eq 2 ]; then echo state-grid; else echo state-grid-delta; fi; }
{
  echo "[fleet]"; echo "host=127.0.0.1"
  for i in $(seq 1 $count); do
    printf '[terminal DTU%04d]\nversion=V1.00\nvendor=Acme\nmodel=DTU-3000\ntype=DTU\nport=0\n' "$i"
    printf 'latitude=31.%s\nlongitude=121.4737\nprofile=%s\n' "$((2000 + i))" "$(profile_of "$i")"
  done
} > "$work/fleet.ini"
start_sim "$work/fleet.ini" --boot-ms 200 --state-dir "$work/sim-state"
{
  echo "device_id,name,latitude,longitude,vendor,model,hardware_version,software_version,software_checksum,host,port,common_address,profile"
  for i in $(seq 1 $count); do
    id=$(printf 'DTU%04d' "$i")
    echo "$id,Site $i,31.$((2000 + i)),121.4737,Acme,DTU-3000,HV1.0,V1.00,,127.0.0.1,${port[$id]},1,$(profile_of "$i")"
  done
} > "$work/ledger.csv"
start_platform "$work/ledger.csv" DTU0001,DTU0002,DTU0003

# ---- the task names the patch for the terminals that take patches --------------------------------
"${plat[@]}" firmware show V2.00 --json > "$work/firmware.json"
read -r patch_sha patch_size < <(python3 - "$work/firmware.json" <<'PY'
import json, sys
deltas = json.load(open(sys.argv[1]))["deltas"]
assert len(deltas) == 1, deltas
print(deltas[0]["sha256"], deltas[0]["size"])
PY
)
v1_sha=$(sha256sum "$work/v1.bin" | cut -d' ' -f1)
v2_sha=$(sha256sum "$work/v2.bin" | cut -d' ' -f1)
v2_size=$(stat -c %s "$work/v2.bin")
[ "$patch_size" -lt "$((v2_size / 10))" ] || fail "patch of $patch_size bytes for $v2_size"

# ---- a patch that does not match its digest is refused by the sync -------------------------------
stored_patch="$work/platform/firmware/${patch_sha:0:2}/${patch_sha:2}"
[ -f "$stored_patch" ] || fail "no stored patch at $stored_patch"
cp "$stored_patch" "$work/patch.good"
chmod u+w "$stored_patch"
printf '\xff' | dd of="$stored_patch" bs=1 seek=200 conv=notrunc status=none
set +e
"${cli[@]}" sync "${tablet[@]}" > "$work/sync-bad.out" 2>&1
status=$?
set -e
[ "$status" -ne 0 ] || fail "sync of a damaged patch: $(cat "$work/sync-bad.out")"
grep -q "refused: The firmware file downloaded for .* has SHA-256 .*; it was discarded" \
  "$work/sync-bad.out" || fail "damaged patch not refused: $(cat "$work/sync-bad.out")"
grep -q 'stored, with its firmware verified' "$work/sync-bad.out" && fail "task stored"
cp "$work/patch.good" "$stored_patch"
"${cli[@]}" sync "${tablet[@]}" > "$work/sync.out"
grep -q 'stored, with its firmware verified' "$work/sync.out" || fail "sync: $(cat "$work/sync.out")"

python3 - "$work/tablet" "$patch_sha" "$patch_size" "$v1_sha" <<'PY' || fail "task's delta members"
import glob, json, sqlite3, sys
tablet, patch_sha, patch_size, v1_sha = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
db = sqlite3.connect(glob.glob(tablet + "/*.db")[0])
(document,), = db.execute("SELECT document FROM tasks").fetchall()
items = {item["device_id"]: item for item in json.loads(document)["items"]}
for device in ("DTU0001", "DTU0003"):
    assert items[device]["delta"] == {"sha256": patch_sha, "size": patch_size,
                                      "old_sha256": v1_sha}, items[device]
assert "delta" not in items["DTU0002"], items["DTU0002"]
# The patch is stored beside the images, verified.
stored = {sha for sha, in db.execute("SELECT sha256 FROM firmware")}
assert patch_sha in stored, stored
PY

# ---- the three pushes --------------------------------------------------------------------------
for i in 1 2 3; do
  id=$(printf 'DTU%04d' "$i")
  set +e
  "${cli[@]}" run "${tablet[@]}" --terminal "$id" --gps "31.$((2000 + i)),121.4737" --yes \
    > "$work/run$i.out" 2>&1
  status=$?
  set -e
  [ "$status" -eq 0 ] || fail "run $id: $(cat "$work/run$i.out")"
  grep -q "^$id: .*\[upgraded\]" "$work/run$i.out" || fail "$id not upgraded: $(cat "$work/run$i.out")"
done
grep -q "terminal DTU0001: applied a delta patch of $patch_size bytes" "$work/sim.log" \
  || fail "DTU0001 did not apply the patch"
grep -q 'terminal DTU000[23]: applied a delta patch' "$work/sim.log" && fail "a patch went to DTU0002/3"
grep -q 'DTU0003 reports checksum .*, not .* of the image the delta patch applies to' \
  "$work/run3.out" || fail "DTU0003's run does not say why the image went: $(cat "$work/run3.out")"

python3 - "$work/tablet" "$patch_sha" "$patch_size" "$v2_sha" "$v2_size" "$work/v2.bin" <<'PY' \
  || fail "reports"
import glob, json, sqlite3, sys, zlib
tablet, patch_sha, patch_size = sys.argv[1], sys.argv[2], int(sys.argv[3])
v2_sha, v2_size = sys.argv[4], int(sys.argv[5])
v2_checksum = "%08X" % zlib.crc32(open(sys.argv[6], "rb").read())

# What a push puts on the link (docs/iec104.md): the 211 start (APCI 6, ASDU header 6, IOA 3,
# CTYPE 1), the 210 write activation (15 + packet type, operation, the name as length and
# bytes, file ID, file size) and one 210 segment per 200 bytes (15 + packet type, operation,
# file ID, segment, follow-on flag, the data and its checksum).
def on_the_wire(size, name="UpdateProgram.bin"):
    segments = (size + 199) // 200
    return 16 + (15 + 2 + 1 + len(name) + 8) + segments * (15 + 12) + size

db = sqlite3.connect(glob.glob(tablet + "/*.db")[0])
reports = {device: json.loads(document) for device, document in
           db.execute("SELECT device_id, document FROM reports")}
assert sorted(reports) == ["DTU0001", "DTU0002", "DTU0003"], reports.keys()
for device, report in reports.items():
    assert report["outcome"] == "upgraded", (device, report["outcome"])
    assert report["versions"]["after_checksum"] == v2_checksum, (device, report["versions"])
    assert report["firmware"]["sha256"] == v2_sha, (device, report["firmware"])
delta = reports["DTU0001"]["transfer"]
assert delta["sent"]["kind"] == "delta", delta
assert delta["sent"]["sha256"] == patch_sha, delta
assert delta["bytes"] == patch_size, delta
assert delta["sent"]["wire_bytes"] == on_the_wire(patch_size), (delta, on_the_wire(patch_size))
assert delta["sent"]["wire_bytes"] < v2_size, delta
for device in ("DTU0002", "DTU0003"):
    full = reports[device]["transfer"]
    assert full["sent"] == {"kind": "image", "sha256": v2_sha,
                            "wire_bytes": on_the_wire(v2_size)}, (device, full)
    assert full["bytes"] == v2_size, (device, full)
PY
# The platform takes the three reports: the patch DTU0001's names is the one its task item names.
"${cli[@]}" upload "${tablet[@]}" > "$work/upload.out" 2>&1 || fail "upload: $(cat "$work/upload.out")"
grep -q '^3 reports delivered, 0 still queued' "$work/upload.out" \
  || fail "upload: $(cat "$work/upload.out")"
echo "ok: patch $patch_size bytes for a $v2_size-byte image"
