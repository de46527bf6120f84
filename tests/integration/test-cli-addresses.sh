#!/bin/bash
# fieldflash-cli's diagnostics take a terminal's address as HOST[:PORT]. GLib's parser passed port 0
# on and the IEC 104 connection read it as the default, 2404; port 0, a port past 65535, a sign or
# anything but digits is a usage error (status 2) that names the address, before anything connects. A well-formed
# address gets past that check to the connection (a closed loopback port: status 4).
# fieldflash-sim meters reads its --platform with the same parser: the same refusals in the same
# words, and [::1]:PORT taken (its meters then find no platform there and sleep). fieldflash-sim's
# --listen reads a terminal's address with the same parser, port 0 there meaning any free port: the
# refusals are usage errors in the core's words, and [::1]:0 listens on ::1 (not on "[::1]").
set -euo pipefail
source "$(dirname "$0")/e2e-lib.sh"

bound=$(ff_test_seconds 30)
for address in 127.0.0.1:0 127.0.0.1:00 "[::1]:0" 127.0.0.1:65536 127.0.0.1:99999999999 \
               127.0.0.1:-1 127.0.0.1:+80 127.0.0.1:iec104 127.0.0.1: "127.0.0.1: 80" :2404 \
               "[::1" "[::1]x" "host name:2404"; do
  for verb in info measure; do
    code=0
    timeout "$bound" "${cli[@]}" "$verb" "$address" < /dev/null > "$work/out" 2> "$work/err" \
      || code=$?
    [ "$code" -eq 2 ] || fail "$verb '$address': exit $code: $(cat "$work/err")"
    grep -qF "“$address” is not an address" "$work/err" \
      || fail "$verb '$address': $(cat "$work/err")"
  done
done

# A closed loopback port: a free one, taken and let go.
closed=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
for address in "127.0.0.1:$closed" "[::1]:$closed"; do
  code=0
  timeout "$bound" "${cli[@]}" info "$address" < /dev/null > "$work/out" 2> "$work/err" || code=$?
  [ "$code" -eq 4 ] || fail "info '$address': exit $code: $(cat "$work/err")"
done

head -c 512 /dev/zero > "$work/app.bin"
meters=(meters --state-dir "$work/meters" --image "$work/app.bin" --cycles 1 --reply-timeout 50)
for address in 127.0.0.1:0 "[::1]:0" 127.0.0.1:65536 127.0.0.1:iec104 127.0.0.1: "[::1" \
               "host name:5683"; do
  code=0
  timeout "$bound" "${sim[@]}" "${meters[@]}" --platform "$address" < /dev/null > "$work/out" \
    2> "$work/err" || code=$?
  [ "$code" -eq 2 ] || fail "sim meters '$address': exit $code: $(cat "$work/err")"
  grep -qF "“$address” is not an address" "$work/err" \
    || fail "sim meters '$address': $(cat "$work/err")"
done
code=0
timeout "$bound" "${sim[@]}" "${meters[@]}" --platform "[::1]:$closed" < /dev/null > "$work/out" \
  2> "$work/err" || code=$?
[ "$code" -eq 0 ] || fail "sim meters '[::1]:$closed': exit $code: $(cat "$work/err")"
grep -q "^M0001: app 1 version 1 running;" "$work/out" \
  || fail "sim meters '[::1]:$closed': $(cat "$work/out" "$work/err")"

for address in 127.0.0.1:65536 127.0.0.1:-1 127.0.0.1:iec104 127.0.0.1: "[::1" "[::1]x" \
               "host name:2404"; do
  code=0
  timeout "$bound" "${sim[@]}" --id DTU-0001 --listen "$address" < /dev/null > "$work/out" \
    2> "$work/err" || code=$?
  [ "$code" -eq 2 ] || fail "sim --listen '$address': exit $code: $(cat "$work/err")"
  grep -qF "“$address” is not an address to listen on" "$work/err" \
    || fail "sim --listen '$address': $(cat "$work/err")"
done
mkfifo "$work/sim.out"
"${sim[@]}" --id DTU-0001 --listen "[::1]:0" < /dev/null > "$work/sim.out" 2>&1 &
pids+=($!)
exec 5< "$work/sim.out"
line=$(wait_line 5 'listening on ')
[[ $line =~ ^terminal\ DTU-0001\ listening\ on\ ::1:([0-9]+) ]] || fail "sim --listen '[::1]:0': $line"
listened=${BASH_REMATCH[1]}
[ "$listened" -ne 0 ] || fail "sim --listen '[::1]:0': $line"
code=0
timeout "$bound" "${cli[@]}" info "[::1]:$listened" < /dev/null > "$work/out" 2> "$work/err" || code=$?
[ "$code" -eq 0 ] || fail "info '[::1]:$listened': exit $code: $(cat "$work/err")"
grep -q "DTU-0001" "$work/out" || fail "info '[::1]:$listened': $(cat "$work/out")"
echo ok
