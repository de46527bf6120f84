#!/bin/bash
# On a full disk even the verbs that only read failed ("disk I/O error"): sqlite makes and grows
# the WAL index its readers share (platform.db-shm) at the first read, and could not. A full disk
# is played here by RLIMIT_FSIZE 0 (ulimit -f 0, SIGXFSZ ignored): no file may get a byte more,
# as no file may grow on a full disk; it needs neither root nor a mount. The verbs that read
# answer as they do with room; one that changes fails in words and changes nothing.
set -euo pipefail
source "$(dirname "$0")/e2e-lib.sh"

bound=$(ff_test_seconds 30)
# Runs "$@" as on a full disk, its output and errors through pipes into $work/full.out and
# $work/full.err (a file could not take a byte from it).
full () {
  { (trap '' XFSZ; ulimit -f 0; exec timeout "$bound" "$@") 2>&1 1>&3 3>&- \
      | cat > "$work/full.err"; } 3>&1 | cat > "$work/full.out"
}

cat > "$work/ledger.csv" <<'CSV'
device_id,name,latitude,longitude,vendor,model,hardware_version,software_version,software_checksum,host,port,common_address,profile
DTU0001,Site 1,39.9,116.4,Acme,DTU-3000,HV1.0,V1.00,,127.0.0.1,2404,1,state-grid
CSV
sed 's/DTU0001,Site 1/DTU0002,Site 2/' "$work/ledger.csv" > "$work/more.csv"
printf 'version one' > "$work/v1.bin"
timeout "$bound" "${plat[@]}" init > /dev/null
timeout "$bound" "${plat[@]}" terminals import "$work/ledger.csv" > /dev/null
timeout "$bound" "${plat[@]}" firmware add "$work/v1.bin" --vendor Acme --model DTU-3000 \
  --version V1.00 --hardware HV1.0 > /dev/null

verbs=("terminals list" "terminals show DTU0001" "firmware list" "handhelds list" "tasks list"
       "history DTU0001" "export-key")
for verb in "${verbs[@]}"; do
  read -ra words <<< "$verb"
  timeout "$bound" "${plat[@]}" "${words[@]}" > "$work/room.out"
  # No process holds the database now: the next reader makes (or grows) the WAL index anew.
  code=0
  full "${plat[@]}" "${words[@]}" || code=$?
  [ "$code" -eq 0 ] || fail "$verb on a full disk: exit $code: $(cat "$work/full.err")"
  cmp -s "$work/room.out" "$work/full.out" \
    || fail "$verb on a full disk: $(cat "$work/full.out") instead of $(cat "$work/room.out")"
done

# A change fails in words, and the ledger is what it was.
timeout "$bound" "${plat[@]}" terminals list > "$work/before.out"
grep -q "^DTU0001" "$work/before.out" || fail "the ledger: $(cat "$work/before.out")"
code=0
full "${plat[@]}" terminals import "$work/more.csv" || code=$?
[ "$code" -eq 1 ] || fail "terminals import on a full disk: exit $code"
grep -q "fieldflash-platform: " "$work/full.err" || fail "no words: $(cat "$work/full.err")"
timeout "$bound" "${plat[@]}" terminals list > "$work/after.out"
cmp -s "$work/before.out" "$work/after.out" || fail "terminals import on a full disk changed the ledger"

# A serve started with room keeps answering reads once the disk is full: a console session whose
# last activity is more than a minute old is touched at its next request, a write, which failed
# the read with 500. The full disk for the running serve: prlimit on its RLIMIT_FSIZE, SIGXFSZ
# ignored from its start (as a daemon's supervisor would not; a full disk sends no signal).
printf 'a long enough password\n' | timeout "$bound" "${plat[@]}" operators add --name olga \
  --role operator --password-stdin > /dev/null
mkfifo "$work/platform.out"
(trap '' XFSZ; exec "${plat[@]}" serve --insecure-http --listen 127.0.0.1:0) < /dev/null \
  > "$work/platform.out" 2> "$work/platform.err" &
serve_pid=$!
pids+=("$serve_pid")
exec 6< "$work/platform.out"
url=$(wait_line 6 '^listening on http://127\.0\.0\.1:[0-9]+$')
url=${url#listening on }
cat <&6 > /dev/null &
pids+=($!)
curl -sS --max-time "$bound" -D "$work/login.head" -o /dev/null -H 'Content-Type: application/json' \
  -d '{"name": "olga", "password": "a long enough password"}' "$url/console/api/login"
cookie=$(sed -n 's/^Set-Cookie: \([^;]*\);.*/\1/p' "$work/login.head")
[ -n "$cookie" ] || fail "no session cookie: $(cat "$work/login.head")"
sqlite3 "$work/platform/platform.db" \
  "UPDATE console_sessions SET last_seen_at = last_seen_at - 120" \
  || fail "could not age the session"
prlimit --pid "$serve_pid" --fsize=0 || fail "prlimit on serve"
for path in session terminals; do
  code=$(curl -sS --max-time "$bound" -o "$work/answer" -w '%{http_code}' -H "Cookie: $cookie" \
         "$url/console/api/$path")
  [ "$code" = 200 ] || fail "GET /console/api/$path on a full disk: $code $(cat "$work/answer")"
done
grep -q DTU0001 "$work/answer" || fail "GET /console/api/terminals: $(cat "$work/answer")"
echo ok
