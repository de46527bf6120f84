#!/bin/bash
# Issue 13 end to end, the refusals: commands and packages a terminal must refuse with nothing
# written (slots, environment, programs, parameters as they were) and a signed result that says why.
# Commands are crafted here (signed with the platform's key or another one, with openssl) and
# published on the terminal's command topic as the platform; packages come from the platform.
source "$(dirname "$0")/remote-e2e-lib.sh"

e2e_start
e2e_package V2.50 main-program=V2.00
e2e_package V2.20 rootfs=V2.00
platform_key=$REMOTE_PLATFORM_DIR/platform-key.pem
openssl genpkey -algorithm ed25519 -out "$work/forger.pem" 2> /dev/null

# Prints a signed command envelope: $1 key, $2 device, $3 command ID, $4 not-after offset in
# seconds from now (negative: past), $5 firmware of the package.
craft_command () {
  local key=$1 device=$2 command_id=$3 offset=$4 firmware=$5 sha size
  sha=$(sha256sum "$work/payloads/$firmware.ffpkg" | cut -d' ' -f1)
  size=$(stat -c %s "$work/payloads/$firmware.ffpkg")
  python3 - "$device" "$command_id" "$offset" "$sha" "$size" "$REMOTE_PLATFORM_URL" \
    > "$work/document.json" <<'PY'
import datetime, json, sys
device, command_id, offset, sha, size, url = sys.argv[1:]
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
iso = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
print(json.dumps({"format_version": 1, "kind": "upgrade", "command_id": command_id,
                  "device_id": device, "issued_at": iso(now - datetime.timedelta(seconds=60)),
                  "not_after": iso(now + datetime.timedelta(seconds=int(offset))),
                  "campaign_id": None, "wave": None,
                  "package": {"sha256": sha, "size": int(size),
                              "url": url + "/api/v1/agent/packages/" + sha}},
                 separators=(",", ":")), end="")
PY
  openssl pkeyutl -sign -inkey "$key" -rawin -in "$work/document.json" -out "$work/document.sig"
  python3 -c 'import base64, json, sys
print(json.dumps({"document": base64.b64encode(open(sys.argv[1], "rb").read()).decode(),
                  "signature": base64.b64encode(open(sys.argv[2], "rb").read()).decode()}))' \
    "$work/document.json" "$work/document.sig"
}

publish_command () {
  mosquitto_pub -h 127.0.0.1 -p "$REMOTE_MQTT_PLATFORM_PORT" --cafile "$REMOTE_MQTT_DIR/ca.crt" \
    --cert "$REMOTE_MQTT_DIR/platform-client.crt" --key "$REMOTE_MQTT_DIR/platform-client.key" \
    -q 1 -t "ff/v1/t/$1/cmd" -m "$2"
}

# What must not change when a terminal refuses: a digest of its slots, programs, parameters and
# boot environment.
snapshot () {
  local root
  root=$(root_of "$1")
  (cd "$root" && sha256sum slots/* programs/* params/* uboot-env.*)
}

# The reason of the platform's only result of $1 that is refused; fails if there is none.
refused_reason () {
  remote_platform remote results "$1" | awk -F'\t' '$3 == "refused" { print $6 }' | head -n 1
}

new_id () { python3 -c 'import secrets; print(secrets.token_hex(16))'; }

expect_refused () {
  local id=$1 pattern=$2 reason
  e2e_wait_result "$id" refused
  reason=$(refused_reason "$id")
  [[ $reason =~ $pattern ]] || fail "$id: refused because '$reason', not /$pattern/"
  snapshot "$id" | cmp -s - "$work/snapshot-$id" || fail "$id: something was written"
  echo "$id: refused: $reason"
}

start_terminal () {
  e2e_terminal "$@"
  snapshot "$1" > "$work/snapshot-$1"
  e2e_boot "$1"
  e2e_wait_online "$1"
}

echo "== a forged command (another key)"
start_terminal REF-FORGED ab
publish_command REF-FORGED "$(craft_command "$work/forger.pem" REF-FORGED "$(new_id)" 3600 V2.50)"
expect_refused REF-FORGED "signature"

echo "== an expired command"
start_terminal REF-EXPIRED ab
publish_command REF-EXPIRED "$(craft_command "$platform_key" REF-EXPIRED "$(new_id)" -60 V2.50)"
expect_refused REF-EXPIRED "expire|not_after|past"

echo "== a command for another terminal"
start_terminal REF-OTHER ab
publish_command REF-OTHER "$(craft_command "$platform_key" REF-ELSEWHERE "$(new_id)" 3600 V2.50)"
expect_refused REF-OTHER "REF-ELSEWHERE|another"

echo "== a replayed command: executed once, ignored the second time (one result)"
start_terminal REF-REPLAY ab
# The command as the terminal receives it, taken with its own certificate (only it may read it)
# beside the agent's connection: on the platform's listener, where client IDs are free.
lines=$(wc -l < "$work/mosquitto.log")
mosquitto_sub -h 127.0.0.1 -p "$REMOTE_MQTT_PLATFORM_PORT" --cafile "$REMOTE_MQTT_DIR/ca.crt" \
  --cert "$work/credentials/REF-REPLAY/terminal.crt" --key "$work/credentials/REF-REPLAY/terminal.key" \
  -i replay-watch -t ff/v1/t/REF-REPLAY/cmd -C 1 -W "$(ff_test_seconds 60)" > "$work/replay.cmd" &
sub=$!
remote_stack_wait_line "$work/mosquitto.log" "as replay-watch " "$((lines + 1))"
remote_platform remote upgrade REF-REPLAY --firmware V2.20 > /dev/null || fail "remote upgrade"
wait "$sub"
e2e_wait_result REF-REPLAY succeeded
snapshot REF-REPLAY > "$work/snapshot-REF-REPLAY"
publish_command REF-REPLAY "$(cat "$work/replay.cmd")"
# A forged command after it: its refusal is the marker that the agent handled the replay (a
# retained command comes again at every subscription; a command ID is handled once).
publish_command REF-REPLAY "$(craft_command "$work/forger.pem" REF-REPLAY "$(new_id)" 3600 V2.50)"
expect_refused REF-REPLAY "signature"
[ "$(e2e_results REF-REPLAY)" = 2 ] \
  || fail "REF-REPLAY: $(remote_platform remote results REF-REPLAY)"
[ "$(e2e_running REF-REPLAY rootfs)" = V2.00 ] || fail "REF-REPLAY: rootfs"

echo "== a tampered payload on the data partition"
e2e_terminal REF-TAMPERED ab
snapshot REF-TAMPERED > "$work/snapshot-REF-TAMPERED"
e2e_boot REF-TAMPERED --fault corrupt-download
e2e_wait_online REF-TAMPERED
remote_platform remote upgrade REF-TAMPERED --firmware V2.20 > /dev/null || fail "remote upgrade"
e2e_wait_result REF-TAMPERED "(refused|failed)"
remote_platform remote results REF-TAMPERED | grep -q $'\tverify-package\t' \
  || fail "REF-TAMPERED: $(remote_platform remote results REF-TAMPERED)"
snapshot REF-TAMPERED | cmp -s - "$work/snapshot-REF-TAMPERED" || fail "REF-TAMPERED: written"

echo "== a package for other hardware (the ledger says HV1.0, the terminal is HV2.0)"
start_terminal REF-HARDWARE ab --hardware-version HV2.0
remote_platform remote upgrade REF-HARDWARE --firmware V2.50 > /dev/null || fail "remote upgrade"
expect_refused REF-HARDWARE "HV2.0|hardware"

echo "== a downgrade without a signed rollback (the terminal already runs V3.00)"
start_terminal REF-DOWNGRADE ab --main-program-version V3.00
remote_platform remote upgrade REF-DOWNGRADE --firmware V2.50 > /dev/null || fail "remote upgrade"
expect_refused REF-DOWNGRADE "V3.00|lower|downgrade|rollback"

echo "== a package modified on the platform's disk after signing, served as is by its HTTPS route"
e2e_package V2.40 rootfs=V2.00
sha=$(sha256sum "$work/payloads/V2.40.ffpkg" | cut -d' ' -f1)
stored=$REMOTE_PLATFORM_DIR/firmware/${sha:0:2}/${sha:2}
[ -f "$stored" ] || fail "no stored package $stored"
# One byte in the middle: the rootfs payload's (the tar, the manifest and its signature intact).
python3 - "$stored" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
size = os.fstat(fd).st_size
byte = os.pread(fd, 1, size // 2)
os.pwrite(fd, bytes([byte[0] ^ 0x01]), size // 2)
os.close(fd)
PY
tampered_sha=$(sha256sum "$stored" | cut -d' ' -f1)
start_terminal REF-ROUTE ab
remote_platform remote upgrade REF-ROUTE --firmware V2.40 > /dev/null || fail "remote upgrade"
e2e_wait_result REF-ROUTE "(refused|failed)"
result=$(remote_platform remote results REF-ROUTE)
# Refused as it arrived (before any check of its contents, let alone an install), naming the
# digest of the bytes the route served.
[ "$(cut -f4 <<< "$result")" = download ] || fail "REF-ROUTE: $result"
[[ $result == *"$tampered_sha"*"not the one the command names"* ]] || fail "REF-ROUTE: $result"
snapshot REF-ROUTE | cmp -s - "$work/snapshot-REF-ROUTE" || fail "REF-ROUTE: something was written"
[ -z "$(ls -A "$(root_of REF-ROUTE)/data/packages" "$(root_of REF-ROUTE)/data/staging" \
         2>/dev/null)" ] || fail "REF-ROUTE: downloaded bytes kept"
[ "$(e2e_running REF-ROUTE rootfs)" = V1.00 ] || fail "REF-ROUTE: rootfs"
echo "REF-ROUTE: $(cut -f3,4 <<< "$result")"

for id in REF-FORGED REF-EXPIRED REF-OTHER REF-REPLAY REF-TAMPERED REF-HARDWARE REF-DOWNGRADE \
          REF-ROUTE; do
  e2e_stop "$id"
  e2e_check_params "$id"
done

echo "== tar entries with .., an absolute path or a link, and an oversized manifest: refused"
# Each signed with the platform's own key: only the entry itself is wrong.
python3 - "$work" "$platform_key" <<'PY'
import hashlib, io, json, subprocess, sys, tarfile
work, key = sys.argv[1:]
def sign(data):
    with open(f"{work}/manifest.tmp", "wb") as f:
        f.write(data)
    subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", key, "-rawin", "-in",
                    f"{work}/manifest.tmp", "-out", f"{work}/manifest.sig"], check=True)
    return open(f"{work}/manifest.sig", "rb").read()
payload = b"#!/bin/sh\necho V9.00\n"
def manifest(notes="crafted"):
    return json.dumps({"format_version": 1, "vendor": "Acme", "model": "DTU-3000",
        "hardware_versions": ["HV1.0"], "version": "V9.00", "notes": notes,
        "payloads": [{"kind": "main-program", "file": "payloads/main-program", "version": "V9.00",
                      "size": len(payload), "sha256": hashlib.sha256(payload).hexdigest(),
                      "min_installed_version": None, "delta_from": None}]}).encode()
def build(name, entries, manifest_bytes=None):
    manifest_bytes = manifest_bytes or manifest()
    with tarfile.open(f"{work}/{name}.ffpkg", "w", format=tarfile.PAX_FORMAT) as tar:
        for entry_name, data, kind in [("manifest.json", manifest_bytes, None),
                                       ("manifest.sig", sign(manifest_bytes), None)] + entries:
            info = tarfile.TarInfo(entry_name)
            if kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
good = ("payloads/main-program", payload, None)
build("control", [good])
build("dotdot", [good, ("payloads/../../evil", b"x", None)])
build("absolute", [good, ("/tmp/evil", b"x", None)])
build("link", [("payloads/main-program", b"", "symlink")])
build("oversized", [good], manifest("x" * (64 * 1024)))
PY
# The same crafting without a trick makes a package the platform takes: each refusal is the trick's.
remote_platform firmware add "$work/control.ffpkg" > /dev/null || fail "the control package was refused"
for case in "dotdot:\.\." "absolute:absolute" "link:link" "oversized:manifest"; do
  name=${case%%:*}
  before=$(remote_platform firmware list | wc -l)
  if remote_platform firmware add "$work/$name.ffpkg" > /dev/null 2> "$work/$name.err"; then
    fail "the platform took the $name package"
  fi
  grep -qiE "${case#*:}" "$work/$name.err" || fail "$name refused for: $(cat "$work/$name.err")"
  echo "$name: $(cat "$work/$name.err")"
  [ "$(remote_platform firmware list | wc -l)" = "$before" ] || fail "$name: registered"
done

echo "remote-e2e-refusals: ok"
