#!/bin/bash
# Issue 13 end to end, the scheduled query (seed 002): two terminals ask the platform at their
# query time; the one on the new version's blacklist is told "nothing new" and stays as it is, the
# other gets the command in the answer and upgrades, with one result at the platform.
source "$(dirname "$0")/remote-e2e-lib.sh"

e2e_start
e2e_package V2.50 main-program=V2.00
remote_platform blacklist add V2.50 QRY-BLACK > /dev/null || fail "blacklist add"

# The next whole minute at least 40 s away (local time, as the agent reads query-times): long
# enough to start both terminals before it.
at=$(python3 -c 'import datetime
t = datetime.datetime.now() + datetime.timedelta(seconds=100)
print(t.strftime("%H:%M"))')
for id in QRY-BLACK QRY-NEW; do
  e2e_terminal "$id" ab --query-times "$at"
  e2e_boot "$id"
  e2e_wait_online "$id"
done

# The query time is up to 100 s away: a bound of 240 s for what follows it.
wait_long () {
  local line follower tail_pid
  exec {follower}< <(exec timeout 240 tail -n +1 -F "$1" 2>/dev/null)
  tail_pid=$!
  while IFS= read -r -u "$follower" line; do
    if [[ $line =~ $2 ]]; then
      kill "$tail_pid" 2>/dev/null || true
      exec {follower}<&-
      return 0
    fi
  done
  exec {follower}<&-
  fail "no line matching '$2' in $1 by 240 s"
}
echo "== at $at both ask"
wait_long "$work/platform.log" "MQTT: result [0-9a-f]+ of QRY-NEW: succeeded"
wait_long "$(root_of QRY-BLACK)/loop.out" "version query: nothing new"
e2e_stop QRY-NEW
e2e_stop QRY-BLACK
[ "$(e2e_program_version QRY-NEW main-program)" = V2.00 ] || fail "QRY-NEW: main program"
[ "$(e2e_results QRY-NEW)" = 1 ] || fail "QRY-NEW: $(e2e_results QRY-NEW) results"
[ "$(e2e_program_version QRY-BLACK main-program)" = V1.00 ] || fail "QRY-BLACK was upgraded"
[ "$(e2e_results QRY-BLACK)" = 0 ] || fail "QRY-BLACK: $(e2e_results QRY-BLACK) results"
e2e_check_params QRY-NEW
e2e_check_params QRY-BLACK

echo "remote-e2e-query: ok"
