#!/bin/bash
# Smart meters end to end: `fieldflash-platform serve --coap-port` and a `fieldflash-sim meters`
# fleet on 127.0.0.1. Signed app packages (a forged and a tampered one refused, nothing recorded);
# ten meters upgraded from 1.0.0 to 2.0.0 through a link that loses 20 % of what they send (by an
# ffdelta1 patch, smaller than the image), the ledger and history updated from their reports;
# uninstalling the running app refused by the meter, the refusal shown by `meters apps list`;
# stop, uninstall, and a fresh install of the whole image.
set -euo pipefail
source "$(dirname "$0")/e2e-lib.sh"
old=${1:?OLD image}
new=${2:?NEW image}
count=10
app_id=7

meters () { "${plat[@]}" meters "$@"; }

build_package () {   # DATA-DIR IMAGE VERSION OUT
  "${platform[@]}" --data-dir "$1" packages build --vendor Acme --model relay --hardware DDZY-1 \
    --version "$3" --meter-app "$2" --meter-app-version "$3" -o "$4" > /dev/null
}

"${plat[@]}" init > /dev/null
"${platform[@]}" --data-dir "$work/other" init > /dev/null

echo "== a forged and a tampered app package are refused, nothing is recorded"
build_package "$work/other" "$new" 2.0.0 "$work/forged.ffpkg"
set +e
meters apps add-package "$work/forged.ffpkg" --app-id $app_id 2> "$work/err"
status=$?
set -e
[ $status -eq 1 ] || fail "a forged package: exit $status"
grep -q "is not signed by the platform" "$work/err" || fail "forged: $(cat "$work/err")"
build_package "$work/platform" "$new" 2.0.0 "$work/v2.ffpkg"
cp "$work/v2.ffpkg" "$work/tampered.ffpkg"
# The payload is the tar's last entry: change a byte well inside it.
size=$(stat -c %s "$new")
offset=$(grep -obUaP "payloads/meter-app" "$work/tampered.ffpkg" | tail -n1 | cut -d: -f1)
printf '\x5a' | dd of="$work/tampered.ffpkg" bs=1 seek=$((offset + 512 + size / 2)) conv=notrunc \
  status=none
set +e
meters apps add-package "$work/tampered.ffpkg" --app-id $app_id 2> "$work/err"
status=$?
set -e
[ $status -eq 1 ] || fail "a tampered package: exit $status"
grep -q "does not match its manifest" "$work/err" || fail "tampered: $(cat "$work/err")"
[ -z "$(meters apps packages)" ] || fail "a refused package was recorded: $(meters apps packages)"

build_package "$work/platform" "$old" 1.0.0 "$work/v1.ffpkg"
meters apps add-package "$work/v1.ffpkg" --app-id $app_id --resident > /dev/null
meters apps add-package "$work/v2.ffpkg" --app-id $app_id --resident > /dev/null
[ "$(meters apps packages | cut -f1-3 | tr '\t' ' ')" = "relay $app_id 1.0.0
relay $app_id 2.0.0" ] || fail "packages: $(meters apps packages)"

for i in $(seq 1 $count); do
  meters add "$(printf M%04d "$i")" --vendor Acme --model DDZY-1 --app relay=1.0.0 > /dev/null
done
meters apps list M0001 | grep -q "^relay	$app_id	1.0.0	running	-$" \
  || fail "M0001 before: $(meters apps list M0001)"

mkfifo "$work/platform.out"
"${plat[@]}" serve --insecure-http --listen 127.0.0.1:0 --coap-port 0 < /dev/null \
  > "$work/platform.out" 2> "$work/platform.err" &
pids+=($!)
exec 6< "$work/platform.out"
wait_line 6 '^listening on http://127\.0\.0\.1:[0-9]+$' > /dev/null
coap=$(wait_line 6 '^coap listening on 127\.0\.0\.1:[0-9]+$')
coap=${coap#coap listening on }

# Runs the fleet's first $1 meters for $2 cycles at loss $3 (their flash kept in $work/meters)
# against the platform at ${4:-$coap}; they install only what this platform sealed.
run_meters () {
  "${sim[@]}" meters --platform "${4:-$coap}" --state-dir "$work/meters" --count "$1" \
    --app $app_id --image "$old" --version 65536 --cycles "$2" --loss "$3" --reply-timeout 300 \
    --platform-key "$work/platform/platform-key.pub.pem" > "$work/sim.log" 2>&1 \
    || fail "fieldflash-sim meters exited $?"
}

echo "== ten meters upgrade relay to 2.0.0 by a patch through a 20 % lossy link"
for i in $(seq 1 $count); do
  meters apps install "$(printf M%04d "$i")" relay --version 2.0.0 > /dev/null
done
meters apps list M0001 | grep -q "install 2.0.0: queued for the meter's next wake-up" \
  || fail "queued: $(meters apps list M0001)"
run_meters $count 12 0.2
for i in $(seq 1 $count); do
  wait_line 6 '^meter M[0-9]{4}: install relay: (ready|up-to-date) \(now 2\.0\.0\)$' > /dev/null
done
for i in $(seq 1 $count); do
  id=$(printf M%04d "$i")
  grep -q "^$id: app $app_id version 131072 running;" "$work/sim.log" || fail "$id did not upgrade"
  received=$(sed -n "s/^$id: .* received \([0-9]*\) B.*/\1/p" "$work/sim.log")
  [ "$received" -lt $((size / 2)) ] || fail "$id received $received B: not a patch"
  meters apps list "$id" | grep -Eq "^relay	$app_id	2\.0\.0	ready	install 2\.0\.0: (ready|up-to-date)$" \
    || fail "$id ledger: $(meters apps list "$id")"
  meters history "$id" | grep -q "	relay	1\.0\.0	2\.0\.0	ready	meter$" \
    || fail "$id history: $(meters history "$id")"
done

echo "== a package another platform sealed is refused by the meter before it installs"
other=("${platform[@]}" --data-dir "$work/other")
build_package "$work/other" "$old" 1.0.0 "$work/other-v1.ffpkg"
build_package "$work/other" "$new" 3.0.0 "$work/other-v3.ffpkg"
"${other[@]}" meters apps add-package "$work/other-v1.ffpkg" --app-id $app_id > /dev/null
"${other[@]}" meters apps add-package "$work/other-v3.ffpkg" --app-id $app_id > /dev/null
# It has no package of 2.0.0: it offers the whole image, which only the seal can stop.
"${other[@]}" meters add M0002 --vendor Acme --model DDZY-1 --app relay=2.0.0 > /dev/null
"${other[@]}" meters apps install M0002 relay --version 3.0.0 > /dev/null
mkfifo "$work/other.out"
"${other[@]}" serve --insecure-http --listen 127.0.0.1:0 --coap-port 0 < /dev/null \
  > "$work/other.out" 2> "$work/other.err" &
pids+=($!)
exec 7< "$work/other.out"
wait_line 7 '^listening on http://127\.0\.0\.1:[0-9]+$' > /dev/null
rogue=$(wait_line 7 '^coap listening on 127\.0\.0\.1:[0-9]+$')
run_meters 2 1 0 "${rogue#coap listening on }"
wait_line 7 '^meter M0002: install relay: apply-failed \(now 2\.0\.0\)$' > /dev/null
grep -q "^M0002: app $app_id version 131072 running;" "$work/sim.log" || fail "M0002 changed"

echo "== uninstalling the running app is refused by the meter and shown"
meters apps uninstall M0001 relay > /dev/null
run_meters 1 1 0
wait_line 6 '^meter M0001: uninstall relay: refused: a running app must be stopped first' > /dev/null
meters apps list M0001 | grep -q "^relay	$app_id	2\.0\.0	ready	uninstall: refused by the meter: a running app must be stopped first$" \
  || fail "refusal: $(meters apps list M0001)"
grep -q "^M0001: app $app_id version 131072 running;" "$work/sim.log" || fail "M0001 not running"

echo "== stop, uninstall, then a fresh install of the whole image"
meters apps stop M0001 relay > /dev/null
run_meters 1 1 0
wait_line 6 '^meter M0001: stop relay: done' > /dev/null
meters apps uninstall M0001 relay > /dev/null
run_meters 1 1 0
wait_line 6 '^meter M0001: uninstall relay: done' > /dev/null
meters apps list M0001 | grep -q "^relay	$app_id	2\.0\.0	uninstalled	uninstall: done$" \
  || fail "uninstalled: $(meters apps list M0001)"
set +e
meters apps stop M0001 relay 2> "$work/err"
status=$?
set -e
[ $status -eq 1 ] && grep -q "lists no relay on the meter M0001" "$work/err" \
  || fail "stop of an uninstalled app: $status $(cat "$work/err")"
meters apps install M0001 relay --version 2.0.0 > /dev/null
run_meters 1 8 0.2
wait_line 6 '^meter M0001: install relay: (ready|up-to-date) \(now 2\.0\.0\)$' > /dev/null
received=$(sed -n "s/^M0001: .* received \([0-9]*\) B.*/\1/p" "$work/sim.log")
[ "$received" -gt "$(stat -c %s "$new")" ] || fail "M0001 received $received B: not the image"
grep -q "^M0001: app $app_id version 131072 running;" "$work/sim.log" || fail "M0001 reinstall"
meters history M0001 | cut -f2- | tr '\t' ' ' > "$work/history"
diff -u - "$work/history" <<'END' || fail "history"
relay - 1.0.0 running ledger
relay 1.0.0 2.0.0 ready meter
relay 2.0.0 2.0.0 stopped meter
relay 2.0.0 2.0.0 uninstalled meter
relay 2.0.0 2.0.0 ready meter
END
# `history` shows a meter's history as well as a terminal's.
[ "$("${plat[@]}" history M0001)" = "$(meters history M0001)" ] || fail "history M0001"
"${plat[@]}" history M0001 --json | grep -q '"state" : "uninstalled"' || fail "history --json"

echo "== each install's result is a report: in reports list and printed as PDF"
"${plat[@]}" reports list > "$work/reports"
# Ten upgrades and M0001's reinstall, no task, no tablet; the refused and the command results are
# not installs.
[ "$(grep -Ec "^meter-[0-9]+	[^	]+	-	M00(0[1-9]|10)	-	(upgraded|already-current)$" \
      "$work/reports")" -eq $((count + 1)) ] || fail "reports list: $(cat "$work/reports")"
"${plat[@]}" reports list --json | grep -q '"task_id" : null' || fail "reports list --json"
report=$(grep -m1 "	M0003	" "$work/reports" | cut -f1)
"${plat[@]}" reports pdf "$report" -o "$work/M0003.pdf" > /dev/null
pdftotext -raw "$work/M0003.pdf" - | tr '\n' ' ' > "$work/M0003.txt"
for text in "Device M0003" "Version after relay 2.0.0" "Target version relay 2.0.0" \
            "Report ID $report" "no tablet signed it"; do
  grep -qF "$text" "$work/M0003.txt" || fail "the PDF has no “$text”: $(cat "$work/M0003.txt")"
done
# A meter's result is no visit: no tablet, technician, signal gauges or signature lines.
for text in "Tablet" "Technician" "not judged" "signature"; do
  ! grep -qF "$text" "$work/M0003.txt" || fail "the meter's PDF has “$text”: $(cat "$work/M0003.txt")"
done
# A failed install: the other platform's package that M0002 refused.
"${other[@]}" reports list > "$work/other-reports"
grep -Eq "^meter-[0-9]+	[^	]+	-	M0002	-	failed$" "$work/other-reports" \
  || fail "the refused install: $(cat "$work/other-reports")"
"${other[@]}" reports pdf "$(cut -f1 "$work/other-reports")" -o "$work/M0002.pdf" > /dev/null
pdftotext -raw "$work/M0002.pdf" - | tr '\n' ' ' > "$work/M0002.txt"
grep -qF "the meter reported apply-failed" "$work/M0002.txt" \
  || fail "the failed install's PDF: $(cat "$work/M0002.txt")"
set +e
"${plat[@]}" reports pdf meter-999 -o "$work/none.pdf" 2> "$work/err"
status=$?
set -e
[ $status -eq 1 ] && grep -q "There is no report meter-999" "$work/err" && [ ! -e "$work/none.pdf" ] \
  || fail "an unknown report: $status $(cat "$work/err")"
echo "e2e meters: ok"
