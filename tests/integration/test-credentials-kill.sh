#!/bin/bash
# `terminals credentials` for several terminals killed in the middle (the platform's fault hook
# kill-in-credentials=N: SIGKILL once the Nth credentials file is written): every terminal
# directory is then either absent or complete with a key that matches its certificate — on the
# first issue and when replacing earlier credentials — and running it again (--missing: only the
# terminals whose key is not recorded) completes them all, each terminal's key the one the platform
# records. A directory holding other files is refused.
set -euo pipefail
source "${FIELDFLASH_SOURCEDIR:?}/tests/support/remote-stack.sh"
work=$(mktemp -d /tmp/ff-credentials-XXXXXX)
trap 'rm -rf "$work"' EXIT
fail () { echo "FAIL: $*" >&2; exit 1; }
platform () { "${remote_stack_platform[@]}" --data-dir "$work/platform" "$@"; }
creds=$work/credentials
ids=(NET-1 NET-2 NET-3 NET-4 NET-5 NET-6)

platform init > /dev/null
platform mqtt config -o "$work/mqtt" --host 127.0.0.1 --port 1 --platform-url https://127.0.0.1:1 \
  > /dev/null
{
  echo "device_id,name,latitude,longitude,vendor,model,hardware_version,software_version,software_checksum,host,port,common_address,profile,link"
  for id in "${ids[@]}"; do
    echo "$id,$id,39.9,116.4,Acme,DTU-3000,HV1.0,V1.00,,127.0.0.1,2404,1,state-grid,mqtt"
  done
} > "$work/ledger.csv"
platform terminals import "$work/ledger.csv" > /dev/null

# The public key of terminal $1's key file, of its certificate, and the one the platform records.
key_public () { openssl pkey -in "$creds/$1/terminal.key" -pubout; }
cert_public () { openssl x509 -in "$creds/$1/terminal.crt" -noout -pubkey; }
recorded_public () {
  sqlite3 "$work/platform/platform.db" \
    "SELECT public_key FROM terminal_links WHERE device_id = '$1' AND public_key IS NOT NULL" \
    | sed '/^$/d'
}

# Every terminal's directory absent, or complete with matching key and certificate; echoes the
# complete ones.
check_whole () {
  for id in "${ids[@]}"; do
    [ -e "$creds/$id" ] || continue
    for file in terminal.key terminal.crt ca.crt platform.pub.pem platform.crt; do
      [ -s "$creds/$id/$file" ] || fail "$1: $id has no $file: $(ls "$creds/$id")"
    done
    [ "$(key_public "$id")" = "$(cert_public "$id")" ] \
      || fail "$1: the key of $id does not match its certificate"
    echo "$id"
  done
}

# killed: status of a command killed by SIGKILL (128 + 9)
killed () {
  local status=0
  FIELDFLASH_PLATFORM_FAULT=kill-in-credentials=$1 platform terminals credentials \
    "${ids[@]}" -o "$creds" > /dev/null 2>&1 || status=$?
  [ "$status" = 137 ] || fail "not killed by the fault hook (status $status)"
}

echo "== killed at the 13th file of 30 (the first issue)"
killed 13
# Terminals are written several at once: which are complete depends on the order, not how many
# can be (two terminals' files are 10, the 13th file is a third's).
complete=$(check_whole "first issue")
[ "$(echo "$complete" | sed '/^$/d' | wc -l)" -le 2 ] || fail "complete after the kill: $complete"
for id in "${ids[@]}"; do
  [ -z "$(recorded_public "$id")" ] || fail "$id recorded before its batch was committed"
done

echo "== run again (--missing): all complete, each key the one recorded"
platform terminals credentials --missing "${ids[@]}" -o "$creds" > "$work/out"
[ "$(grep -c '^Wrote the credentials of' "$work/out")" = 6 ] || fail "$(cat "$work/out")"
[ "$(check_whole "second run" | wc -l)" = 6 ] || fail "not all complete"
for id in "${ids[@]}"; do
  [ "$(recorded_public "$id")" = "$(key_public "$id")" ] || fail "$id: recorded key differs"
done
[ -z "$(find "$creds" -name '.*.new')" ] || fail "temporary directories left: $(ls -a "$creds")"

echo "== --missing once all are issued: nothing changes"
before=$(for id in "${ids[@]}"; do key_public "$id"; done)
platform terminals credentials --missing "${ids[@]}" -o "$creds" > "$work/out"
[ "$(grep -c '^Kept the credentials of' "$work/out")" = 6 ] || fail "$(cat "$work/out")"
[ "$(for id in "${ids[@]}"; do key_public "$id"; done)" = "$before" ] || fail "--missing replaced keys"

echo "== killed while replacing: each directory old or new, never mixed"
killed 8
[ "$(check_whole "replacing" | wc -l)" = 6 ] || fail "a directory was lost while replacing"
platform terminals credentials "${ids[@]}" -o "$creds" > "$work/out"
[ "$(grep -c '^Replaced the credentials of' "$work/out")" = 6 ] || fail "$(cat "$work/out")"
for id in "${ids[@]}"; do
  [ "$(recorded_public "$id")" = "$(key_public "$id")" ] || fail "$id: recorded key differs"
done
[ -z "$(find "$creds" -name '.*.new')" ] || fail "temporary directories left: $(ls -a "$creds")"

echo "== a directory holding other files is refused, changing nothing"
echo notes > "$creds/NET-1/notes.txt"
before=$(key_public NET-1)
platform terminals credentials NET-1 -o "$creds/NET-1" > /dev/null 2> "$work/err" \
  && fail "a directory with other files was replaced"
grep -q 'holds other files than a terminal' "$work/err" || fail "$(cat "$work/err")"
[ "$(key_public NET-1)" = "$before" ] && [ "$(recorded_public NET-1)" = "$before" ] \
  && [ -f "$creds/NET-1/notes.txt" ] || fail "the refused issue changed something"
echo "== a file in the directory's place is refused, and left alone"
echo notes > "$work/a-file"
platform terminals credentials NET-2 -o "$work/a-file" > /dev/null 2> "$work/err" \
  && fail "a file was replaced by a credentials directory"
grep -q 'is not a directory that can hold' "$work/err" || fail "$(cat "$work/err")"
[ "$(cat "$work/a-file")" = notes ] || fail "the refused issue changed the file"
echo "ok"
