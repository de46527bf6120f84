#!/bin/bash
# Smart meters over DTLS end to end: `fieldflash-platform serve --coap-port --coaps-port` and a
# `fieldflash-sim meters` fleet on 127.0.0.1. Each meter the ledger has a pre-shared key for is
# served only over DTLS with that key: M0001 (its key) upgrades over DTLS; M0002 (a wrong key) is
# never served, its handshake cannot finish; M0003 (a key in the ledger, none in the meter: plain
# CoAP) is refused with 4.01; M0004 (no key anywhere) upgrades over plain CoAP. A key file that is
# not a key is refused and nothing recorded.
set -euo pipefail
source "$(dirname "$0")/e2e-lib.sh"
old=${1:?OLD image}
new=${2:?NEW image}
app_id=7

meters () { "${plat[@]}" meters "$@"; }

build_package () {   # IMAGE VERSION OUT
  "${plat[@]}" packages build --vendor Acme --model relay --hardware DDZY-1 --version "$2" \
    --meter-app "$1" --meter-app-version "$2" -o "$3" > /dev/null
}

"${plat[@]}" init > /dev/null
build_package "$old" 1.0.0 "$work/v1.ffpkg"
build_package "$new" 2.0.0 "$work/v2.ffpkg"
meters apps add-package "$work/v1.ffpkg" --app-id $app_id --resident > /dev/null
meters apps add-package "$work/v2.ffpkg" --app-id $app_id --resident > /dev/null

echo "== keys: the ledger's, and what each meter was provisioned with"
mkdir "$work/keys" "$work/provisioned"
key () { printf '%s' "$1" | sha256sum | cut -c1-32; }   # 16 bytes of hex
key M0001 > "$work/keys/M0001.psk"
key M0002 > "$work/keys/M0002.psk"
key M0003 > "$work/keys/M0003.psk"
cp "$work/keys/M0001.psk" "$work/provisioned/M0001.psk"
key not-M0002 > "$work/provisioned/M0002.psk"
for id in M0001 M0002 M0003; do
  meters add $id --vendor Acme --model DDZY-1 --app relay=1.0.0 --psk-file "$work/keys/$id.psk" \
    > /dev/null
done
meters add M0004 --vendor Acme --model DDZY-1 --app relay=1.0.0 > /dev/null

echo "== a key file that holds no key is refused, nothing is recorded"
printf 'not a key\n' > "$work/bad.psk"
set +e
meters add M0005 --vendor Acme --model DDZY-1 --psk-file "$work/bad.psk" 2> "$work/err"
status=$?
set -e
[ $status -eq 1 ] || fail "a bad key file: exit $status"
grep -q "must hold the meter's DTLS key as 32 to 128 hexadecimal digits" "$work/err" \
  || fail "bad key: $(cat "$work/err")"
[ "$(meters list | cut -f1,5 | tr '\t' ' ')" = "M0001 dtls
M0002 dtls
M0003 dtls
M0004 coap" ] || fail "meters list: $(meters list)"

mkfifo "$work/platform.out"
"${plat[@]}" serve --insecure-http --listen 127.0.0.1:0 --coap-port 0 --coaps-port 0 < /dev/null \
  > "$work/platform.out" 2> "$work/platform.err" &
pids+=($!)
exec 6< "$work/platform.out"
wait_line 6 '^listening on http://127\.0\.0\.1:[0-9]+$' > /dev/null
coap=$(wait_line 6 '^coap listening on 127\.0\.0\.1:[0-9]+$')
coaps=$(wait_line 6 '^coaps listening on 127\.0\.0\.1:[0-9]+$')

echo "== four meters are told to upgrade relay to 2.0.0"
for i in 1 2 3 4; do meters apps install M000$i relay --version 2.0.0 > /dev/null; done
# The meters served must get every answer within their reply timeout, under an emulator on a loaded
# machine too (a cross build's tests run under qemu-user): 1 s is generous for one round trip.
"${sim[@]}" meters --platform "${coap#coap listening on }" --dtls-port "${coaps##*:}" \
  --psk-dir "$work/provisioned" --state-dir "$work/meters" --count 4 --app $app_id \
  --image "$old" --version 65536 --cycles 3 --reply-timeout 1000 \
  --platform-key "$work/platform/platform-key.pub.pem" > "$work/sim.log" 2>&1 \
  || fail "fieldflash-sim meters exited $?"
# The two reports come in either order.
for i in 1 2; do
  wait_line 6 '^meter M000[14]: install relay: ready \(now 2\.0\.0\)$' >> "$work/reports"
done
[ "$(sort "$work/reports" | cut -d: -f1)" = "meter M0001
meter M0004" ] || fail "reports: $(cat "$work/reports")"

echo "== M0001 over DTLS and M0004 over plain CoAP upgraded; M0002 and M0003 were not served"
for id in M0001 M0004; do
  grep -q "^$id: app $app_id version 131072 running;.* refused 0, unanswered 0$" "$work/sim.log" \
    || fail "$id did not upgrade"
done
# A wrong key: the platform cannot finish the handshake, so the meter's polls go unanswered.
grep -Eq "^M0002: app $app_id version 65536 running;.* refused 0, unanswered [1-9]" \
  "$work/sim.log" || fail "M0002 was served"
# A DTLS meter over plain CoAP: refused (4.01) at each of its three wake-ups.
grep -q "^M0003: app $app_id version 65536 running;.* refused 3, unanswered 0$" "$work/sim.log" \
  || fail "M0003 was not refused"
for id in M0002 M0003; do
  meters apps list $id | grep -q "^relay	$app_id	1\.0\.0	running	install 2\.0\.0: queued for the meter's next wake-up$" \
    || fail "$id ledger: $(meters apps list $id)"
done
meters apps list M0001 | grep -q "^relay	$app_id	2\.0\.0	ready	install 2\.0\.0: ready$" \
  || fail "M0001 ledger: $(meters apps list M0001)"
echo "e2e meters dtls: ok"
