#!/bin/bash
# fieldflash-cli takes a position (tasks --from, run --gps) in plain decimal degrees, as the
# ledger import does: "0x10", "1e1", "inf" or a leading space were read by g_ascii_strtod() as a
# number. Each is a usage error (status 2) that names the option, before the tablet is opened:
# nothing is created. A plain decimal position gets past that check.
set -euo pipefail
source "$(dirname "$0")/e2e-lib.sh"

bound=$(ff_test_seconds 30)
for position in 0x10,116.4 39.9,0x1p4 1e1,116.4 39.9,116.4e0 inf,116.4 " 39.9,116.4" \
                "39.9 ,116.4" .5,116.4 +-1,116.4 39.,116.4 39.9, ,116.4 91,116.4 39.9,-180.5; do
  code=0
  timeout "$bound" "${cli[@]}" tasks "${tablet[@]}" --from "$position" \
    < /dev/null > "$work/out" 2> "$work/err" || code=$?
  [ "$code" -eq 2 ] || fail "tasks --from '$position': exit $code: $(cat "$work/err")"
  grep -q -- "--from takes LAT,LON as plain decimal degrees" "$work/err" \
    || fail "tasks --from '$position': $(cat "$work/err")"
  code=0
  timeout "$bound" "${cli[@]}" run "${tablet[@]}" --terminal DTU0001 --gps "$position" \
    < /dev/null > "$work/out" 2> "$work/err" || code=$?
  [ "$code" -eq 2 ] || fail "run --gps '$position': exit $code: $(cat "$work/err")"
  grep -q -- "--gps takes LAT,LON as plain decimal degrees" "$work/err" \
    || fail "run --gps '$position': $(cat "$work/err")"
  [ ! -e "$work/tablet" ] || fail "--gps '$position' created the tablet's directory"
done

# Signs, integers and fractions are decimal degrees: refused only for the missing tablet.
for position in 39.915,116.404 -33,+151.2 90,-180; do
  code=0
  timeout "$bound" "${cli[@]}" tasks "${tablet[@]}" --from "$position" \
    < /dev/null > "$work/out" 2> "$work/err" || code=$?
  [ "$code" -ne 2 ] || fail "tasks --from '$position' was refused: $(cat "$work/err")"
  ! grep -q -- "--from takes" "$work/err" || fail "tasks --from '$position': $(cat "$work/err")"
done
echo ok
