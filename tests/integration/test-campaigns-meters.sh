#!/bin/bash
# Campaigns of smart meters: `campaigns create --meter-app APP --version V` selects the meters
# whose APP is installed below V; `serve` queues each wave's installs for the meters' next polls
# (a `fieldflash-sim meters` fleet on 127.0.0.1) and counts their reports toward the waves. A
# two-wave campaign over ten meters completes, surviving a kill -9 of the platform during wave 1
# with no install queued twice; one whose package the meters refuse (sealed by another platform's
# key, which the meters do not trust) halts at its threshold in wave 1 with its reason, wave 2
# never queued, and the meters of wave 1 not offered the install before the halt never get it; a
# campaign paused before its meters wake up installs nothing until it resumes, then each meter
# once.
set -euo pipefail
source "$(dirname "$0")/e2e-lib.sh"
old=${1:?OLD image}
new=${2:?NEW image}
count=10
app_id=7

build_package () {   # DATA-DIR IMAGE VERSION OUT
  "${platform[@]}" --data-dir "$1" packages build --vendor Acme --model relay --hardware DDZY-1 \
    --version "$3" --meter-app "$2" --meter-app-version "$3" -o "$4" > /dev/null
}
show () {   # CAMPAIGN PYTHON-EXPRESSION over its JSON as c
  "${plat[@]}" campaigns show "$1" --json | python3 -c "import json, sys; c = json.load(sys.stdin); print($2)"
}
serve () {   # LOG
  "${plat[@]}" serve --insecure-http --listen 127.0.0.1:0 --coap-port 0 < /dev/null > "$1" 2>&1 &
  serve_pid=$!
  pids+=($serve_pid)
  coap=$(wait_file_line "$1" '^coap listening on 127\.0\.0\.1:[0-9]+$')
  coap=${coap#coap listening on }
}
# The fleet's $1 meters for $2 cycles, trusting the key $3 (their flash kept in $work/meters).
run_meters () {
  "${sim[@]}" meters --platform "$coap" --state-dir "$work/meters" --count "$1" --app $app_id \
    --image "$old" --version 65536 --cycles "$2" --loss 0 --reply-timeout 300 \
    --platform-key "$3" > "$work/sim.log" 2>&1 || fail "fieldflash-sim meters exited $?"
}
ours=$work/platform/platform-key.pub.pem

"${plat[@]}" init > /dev/null
"${platform[@]}" --data-dir "$work/other" init > /dev/null
build_package "$work/platform" "$old" 1.0.0 "$work/v1.ffpkg"
build_package "$work/platform" "$new" 2.0.0 "$work/v2.ffpkg"
build_package "$work/platform" "$new" 3.0.0 "$work/v3.ffpkg"
for p in v1 v2 v3; do
  "${plat[@]}" meters apps add-package "$work/$p.ffpkg" --app-id $app_id --resident > /dev/null
done
for i in $(seq 1 $count); do
  "${plat[@]}" meters add "$(printf M%04d "$i")" --vendor Acme --model DDZY-1 --app relay=1.0.0 \
    > /dev/null
done
# M0011 runs 2.0.0 already: not selected.
"${plat[@]}" meters add M0011 --vendor Acme --model DDZY-1 --app relay=2.0.0 > /dev/null

echo "== refusals change nothing"
for bad in "--meter-app relay --version 2.0.0 --firmware V2.00" "--meter-app relay" \
           "--meter-app relay --version x.y --waves 100% --max-failures 1" \
           "--meter-app relay --version 2.0.0 --terminals M0001 --waves 100% --max-failures 1"; do
  # shellcheck disable=SC2086
  "${plat[@]}" campaigns create $bad > /dev/null 2>&1 && fail "accepted: $bad"
done
"${plat[@]}" campaigns create --meter-app relay --version 9.0.0 --waves 100% --max-failures 1 \
  2> "$work/err" && fail "a version without a package"
grep -q "No package of relay 9.0.0" "$work/err" || fail "$(cat "$work/err")"
"${plat[@]}" campaigns create --meter-app relay --version 2.0.0 --model OTHER --waves 100% \
  --max-failures 1 2> "$work/err" && fail "an empty selection"
grep -q "No meter can be upgraded to relay 2.0.0" "$work/err" || fail "$(cat "$work/err")"
[ -z "$("${plat[@]}" campaigns list)" ] || fail "a refused campaign was stored"

echo "== two waves over ten meters, kill -9 of the platform during wave 1: complete"
"${plat[@]}" campaigns create --meter-app relay --version 2.0.0 --below 2.0.0 --model DDZY-1 \
  --waves 50%,100% --max-failures 2 --name "relay 2" | grep -q "^Created campaign C1 " \
  || fail "create C1"
[ "$(show C1 "c['meter_app'], c['firmware_version'], c['terminals']['pending'], [t['device_id'] + ':' + t['link'] + ':' + str(w['wave']) for w in c['wave_list'] for t in w['terminal_list']][::5]")" \
  = "relay 2.0.0 10 ['M0001:coap:1', 'M0006:coap:2']" ] || fail "C1: $(show C1 c)"
"${plat[@]}" campaigns start C1 > /dev/null
serve "$work/serve1.log"
wait_file_line "$work/serve1.log" 'Campaign C1: wave 1 started, 5 commands' > /dev/null
"${plat[@]}" meters apps list M0001 | grep -q "install 2.0.0: queued for the meter's next wake-up" \
  || fail "M0001 not queued: $("${plat[@]}" meters apps list M0001)"
"${plat[@]}" meters apps list M0006 | grep -q "	-$" || fail "M0006 queued before its wave"
kill -KILL "$serve_pid"
wait "$serve_pid" 2>/dev/null || true
serve "$work/serve2.log"
# Only wave 1's meters wake up: their installs, queued before the kill, are offered once.
run_meters 5 2 "$ours"
wait_file_line "$work/serve2.log" 'Campaign C1: wave 1 complete' > /dev/null
wait_file_line "$work/serve2.log" 'Campaign C1: wave 2 started, 5 commands' > /dev/null
[ "$(show C1 "c['state'], c['current_wave'], c['wave_list'][0]['terminals']['succeeded'], c['wave_list'][1]['terminals']['sent']")" \
  = "running 2 5 5" ] || fail "C1 after wave 1: $(show C1 "c['terminals']")"
"${plat[@]}" campaigns show C1 | grep -q "^Meters: sent 5, succeeded 5$" \
  || fail "show: $("${plat[@]}" campaigns show C1)"
run_meters $count 2 "$ours"
wait_file_line "$work/serve2.log" 'Campaign C1 complete' > /dev/null
[ "$(show C1 "c['state'], c['terminals']['succeeded']")" = "complete 10" ] \
  || fail "C1: $(show C1 "c['state'], c['terminals']")"
for i in $(seq 1 $count); do
  grep -q "^$(printf M%04d "$i"): app $app_id version 131072 running;" "$work/sim.log" \
    || fail "$(printf M%04d "$i") did not upgrade"
done
# One install each, the kill -9 and restart notwithstanding: ten results, each meter once, each
# the command the campaign recorded.
"${plat[@]}" reports list | grep "^meter-" | cut -f1,4 | sort > "$work/results"
[ "$(cut -f2 "$work/results" | sort -u | wc -l)" = 10 ] && [ "$(wc -l < "$work/results")" = 10 ] \
  || fail "results: $(cat "$work/results")"
[ "$(show C1 "' '.join(sorted(t['command_id'] for w in c['wave_list'] for t in w['terminal_list']))")" \
  = "$(cut -f1 "$work/results" | sort | tr '\n' ' ' | sed 's/ $//')" ] || fail "commands"

# Installs the platform saw reports of (one line each in serve's log).
installs () {
  grep -c "^meter M[0-9]*: install relay: " "$work/serve2.log" || true
}

echo "== a package the meters refuse: halted at the threshold in wave 1, nothing more installed"
"${plat[@]}" campaigns create --meter-app relay --version 3.0.0 --waves 30%,100% \
  --max-failures 2 > /dev/null
"${plat[@]}" campaigns start C2 > /dev/null
wait_file_line "$work/serve2.log" 'Campaign C2: wave 1 started, 4 commands' > /dev/null
# The meters trust only the other platform's key: they refuse what this one sealed. Two of wave
# 1's four wake up and fail: the threshold.
run_meters 2 1 "$work/other/platform-key.pub.pem"
wait_file_line "$work/serve2.log" 'Campaign C2 halted: 2 meters failed, the threshold is 2' \
  > /dev/null
[ "$(show C2 "c['state'], c['current_wave'], c['wave_list'][1]['terminals']['pending']")" \
  = "paused 1 7" ] || fail "C2: $(show C2 "c['state'], c['terminals']")"
show C2 "c['halt_reason']" | grep -q "^2 meters failed, the threshold is 2$" || fail "reason"
show C2 "[t for w in c['wave_list'] for t in w['terminal_list'] if t['state'] == 'failed'][0]['reason']" \
  | grep -q "^the meter reported apply-failed$" || fail "failure reason"
# The halt withdrew the installs of the two meters not offered theirs yet: when every meter
# wakes up, none gets one.
[ "$(show C2 "[t['state'] for t in c['wave_list'][0]['terminal_list']]")" \
  = "['failed', 'failed', 'pending', 'pending']" ] || fail "C2 wave 1: $(show C2 c['wave_list'][0])"
before=$(installs)
run_meters $count 1 "$work/other/platform-key.pub.pem"
[ "$(installs)" = "$before" ] || fail "installs after the halt: $(grep install "$work/serve2.log")"
# Their last command is still the one of C1 (M0011's: none).
for m in M0003:"install 2.0.0: ready" M0004:"install 2.0.0: ready" M0011:-; do
  "${plat[@]}" meters apps list "${m%%:*}" | grep -q "	${m#*:}$" \
    || fail "$m queued: $("${plat[@]}" meters apps list "${m%%:*}")"
done
"${plat[@]}" campaigns show C2 | grep -q "^Halted: 2 meters failed, the threshold is 2$" \
  || fail "show C2: $("${plat[@]}" campaigns show C2)"
"${plat[@]}" campaigns cancel C2 > /dev/null

echo "== paused before the meters woke up: nothing installed; resumed: one install each"
"${plat[@]}" campaigns create --meter-app relay --version 3.0.0 --waves 100% --max-failures 2 \
  > /dev/null
"${plat[@]}" campaigns start C3 > /dev/null
wait_file_line "$work/serve2.log" 'Campaign C3: wave 1 started, 11 commands' > /dev/null
"${plat[@]}" campaigns pause C3 > /dev/null
[ "$(show C3 "c['terminals']['pending']")" = 11 ] || fail "C3 paused: $(show C3 "c['terminals']")"
before=$(installs)
run_meters $count 1 "$ours"
[ "$(installs)" = "$before" ] || fail "installs while paused: $(grep install "$work/serve2.log")"
"${plat[@]}" campaigns resume C3 > /dev/null
[ "$(show C3 "c['state'], c['terminals']['sent']")" = "running 11" ] \
  || fail "C3 resumed: $(show C3 "c['terminals']")"
# M0011 never wakes up (the fleet is M0001-M0010): its install stays queued.
run_meters $count 2 "$ours"
for i in $(seq 1 $count); do
  ready="meter $(printf M%04d "$i"): install relay: ready (now 3.0.0)"
  wait_file_line "$work/serve2.log" "^${ready//[().]/\\&}$" > /dev/null
  [ "$(grep -cxF "$ready" "$work/serve2.log")" = 1 ] || fail "not installed once: $ready"
done
[ "$(installs)" = $((before + count)) ] \
  || fail "installs after resume: $(grep install "$work/serve2.log")"
[ "$(show C3 "c['terminals']['succeeded'], c['terminals']['sent']")" = "10 1" ] \
  || fail "C3: $(show C3 "c['terminals']")"
echo "ok"
