#!/bin/bash
# A campaign's selection by --below and its maintenance window, run by `fieldflash-platform serve`
# against a real Mosquitto: --below V selects only the terminals that run a version below V; with
# --window 01:00-05:00 a wave starts only inside the window. serve's clock is set with the
# FIELDFLASH_PLATFORM_TIME test hook (days in the past, so that nothing signed is from the
# future), so the test sets the time of day instead of waiting for it. No terminal answers: a wave
# ends when its terminals count as offline (--offline-after).
set -euo pipefail
source "${FIELDFLASH_SOURCEDIR:?}/tests/support/remote-stack.sh"
work=$(mktemp -d /tmp/ff-campaigns-window-XXXXXX)
finish () {
  remote_stack_stop
  rm -rf "$work"
}
fail () { echo "FAIL: $*" >&2; tail -n 30 "$work/platform.log" >&2 || true; exit 1; }
show () {
  remote_platform campaigns show "$1" --json \
    | python3 -c "import json, sys; c = json.load(sys.stdin); print($2)"
}
# serve again, its clock at day $1 (0: three days ago) and time of day $2 (HH:MM:SS, UTC).
serve_at () {
  local day time
  day=$(( ($(date -u +%s) / 86400 - 3 + $1) * 86400 ))
  time=$(python3 -c "h, m, s = map(int, '$2'.split(':')); print($day + h * 3600 + m * 60 + s)")
  remote_stack_kill_platform TERM
  serve_lines=$(wc -l < "$work/platform.log")
  FIELDFLASH_PLATFORM_TIME=$time remote_stack_start_platform
}

remote_stack_start "$work"
trap finish EXIT    # after remote_stack_start, whose own trap finish calls
# NET-0001..0004 run V1.00, NET-0005 V0.90, NET-0006 V1.50, NET-0007 V2.00 (the target).
{
  echo "device_id,name,latitude,longitude,vendor,model,hardware_version,software_version,software_checksum,host,port,common_address,profile,link"
  for i in $(seq 1 7); do
    version=V1.00
    [ "$i" = 5 ] && version=V0.90
    [ "$i" = 6 ] && version=V1.50
    [ "$i" = 7 ] && version=V2.00
    printf 'NET-%04d,T%d,39.9,116.4,Acme,DTU-3000,HV1.0,%s,,127.0.0.1,2404,1,state-grid,mqtt\n' \
      "$i" "$i" "$version"
  done
} > "$work/ledger.csv"
remote_platform terminals import "$work/ledger.csv" > /dev/null
remote_platform terminals credentials NET-0001 NET-0002 NET-0003 NET-0004 NET-0005 NET-0006 \
  NET-0007 -o "$work/credentials" > /dev/null
printf '#!/bin/sh\necho V2.00\n' > "$work/main-program"
remote_platform packages build --vendor Acme --model DTU-3000 --hardware HV1.0 --version V2.00 \
  --main-program "$work/main-program" --main-program-version V2.00 -o "$work/v2.ffpkg" > /dev/null
remote_platform firmware add "$work/v2.ffpkg" > /dev/null

echo "== --below V1.50: only the terminals below V1.50"
remote_platform campaigns create --firmware V2.00 --below V1.50 --waves 50%,100% \
  --max-failures 100% --window 01:00-05:00 --offline-after 1h > "$work/out"
grep -q "Created campaign C1" "$work/out" || fail "$(cat "$work/out")"
selected=$(show C1 "' '.join(t['device_id'] for w in c['wave_list'] for t in w['terminal_list'])")
[ "$selected" = "NET-0001 NET-0002 NET-0003 NET-0004 NET-0005" ] || fail "selected $selected"
# NET-0006 runs V1.50 (not below), NET-0007 the target: neither is a candidate.
grep -q "NET-0006\|NET-0007" "$work/out" && fail "named a terminal not below V1.50: $(cat "$work/out")"
# Nothing runs a version below V0.90: an empty selection, refused.
remote_platform campaigns create --firmware V2.00 --below V0.90 --waves 100% --max-failures 1 \
  > "$work/out" 2>&1 && fail "accepted an empty selection below V0.90"
grep -q "No terminal can be upgraded to V2.00" "$work/out" || fail "$(cat "$work/out")"

echo "== outside the window: the first wave waits"
serve_at 0 12:00:00
remote_platform campaigns start C1 > /dev/null
remote_stack_wait_line "$work/platform.log" 'Campaign C1: wave 1 waits for the window' \
  "$((serve_lines + 1))"
[ "$(show C1 "c['state'], c['current_wave'], c['terminals']['pending']")" = "running 0 5" ] \
  || fail "C1 outside the window: $(show C1 "c['state'], c['current_wave'], c['terminals']")"

echo "== the window opens: the first wave starts inside it"
# Ten seconds (at native speed) before the window: serve must be up and waiting before it opens,
# also under emulation (qemu-arm took 3.5 s to start, and the wave began without waiting from
# 00:59:58).
margin=$(ff_test_seconds 10)
serve_at 1 "$(date -u -d "@$((3600 - margin))" +%T)"
remote_stack_wait_line "$work/platform.log" 'Campaign C1: wave 1 waits for the window' \
  "$((serve_lines + 1))"
remote_stack_wait_line "$work/platform.log" 'Campaign C1: wave 1 started, 3 commands' \
  "$((serve_lines + 1))"
[ "$(show C1 "c['current_wave'], c['wave_list'][0]['terminals']['sent'], c['wave_list'][1]['terminals']['pending']")" \
  = "1 3 2" ] || fail "C1 wave 1: $(show C1 "c['wave_list']")"
# The commands were signed in the window (01:00 of that day, by serve's clock), within the margin
# after it opened.
since_01=$(printf '%s' "(int(t['updated_at'][11:13]) - 1) * 3600" \
  " + int(t['updated_at'][14:16]) * 60 + int(t['updated_at'][17:19])")
[ "$(show C1 "all(0 <= $since_01 < $margin for t in c['wave_list'][0]['terminal_list'])")" \
  = True ] || fail "not sent at 01:00: $(show C1 "c['wave_list'][0]")"

echo "== wave 1 over outside the window: the next wave waits for it"
serve_at 1 12:00:00
remote_stack_wait_line "$work/platform.log" 'Campaign C1: wave 1 complete' "$((serve_lines + 1))"
remote_stack_wait_line "$work/platform.log" 'Campaign C1: wave 2 waits for the window' \
  "$((serve_lines + 1))"
[ "$(show C1 "c['current_wave'], c['wave_list'][0]['terminals']['offline'], c['wave_list'][1]['terminals']['pending']")" \
  = "1 3 2" ] || fail "C1 after wave 1: $(show C1 "c['wave_list']")"

echo "== inside the next window: the next wave starts at once"
serve_at 2 04:59:30
remote_stack_wait_line "$work/platform.log" 'Campaign C1: wave 2 started, 2 commands' \
  "$((serve_lines + 1))"
grep -q 'Campaign C1: wave 2 waits' <(tail -n +"$((serve_lines + 1))" "$work/platform.log") \
  && fail "wave 2 waited inside the window"
[ "$(show C1 "c['current_wave'], c['wave_list'][1]['terminals']['sent']")" = "2 2" ] \
  || fail "C1 wave 2: $(show C1 "c['wave_list']")"

echo "== a clock that is not a time is refused"
if FIELDFLASH_PLATFORM_TIME=soon remote_platform campaigns list > "$work/out" 2>&1; then
  fail "accepted FIELDFLASH_PLATFORM_TIME=soon"
fi
grep -q "FIELDFLASH_PLATFORM_TIME" "$work/out" || fail "no reason: $(cat "$work/out")"
echo "PASS"
