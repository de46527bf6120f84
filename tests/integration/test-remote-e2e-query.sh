#!/bin/bash
# Issue 13 end to end, the scheduled query (seed 002): two terminals ask the platform (SIGUSR1: the
# query of a query time, at once); the one on the blacklist is told "nothing new" and stays, the
# other gets the command in the answer and upgrades, with one result at the platform.
source "$(dirname "$0")/remote-e2e-lib.sh"

e2e_start
e2e_package V2.50 main-program=V2.00

# A query time half a day away, so that its timer (ff_agent_query_seconds_until_next, a unit test)
# never fires here: each terminal asks when it gets SIGUSR1 (docs/agent.md), the same query as at a
# query time, once it is online, and no test waits for a clock minute.
at=$(python3 -c 'import datetime
t = datetime.datetime.now() + datetime.timedelta(hours=12)
print(t.strftime("%H:%M"))')
for id in QRY-BLACK QRY-NEW; do
  e2e_terminal "$id" ab --query-times "$at"
  e2e_boot "$id"
  e2e_wait_online "$id"
done
# A blacklist entry names a terminal of the ledger: QRY-BLACK is in it now.
remote_platform blacklist add V2.50 QRY-BLACK > /dev/null || fail "blacklist add"

echo "== both ask (SIGUSR1 to each terminal's loop, which passes it on to its agent)"
kill -USR1 "${loop_pid[QRY-BLACK]}" "${loop_pid[QRY-NEW]}"
e2e_wait_result QRY-NEW succeeded
remote_stack_wait_line "$(root_of QRY-BLACK)/loop.out" "version query: nothing new"
e2e_stop QRY-NEW
e2e_stop QRY-BLACK
[ "$(e2e_program_version QRY-NEW main-program)" = V2.00 ] || fail "QRY-NEW: main program"
[ "$(e2e_results QRY-NEW)" = 1 ] || fail "QRY-NEW: $(e2e_results QRY-NEW) results"
[ "$(e2e_program_version QRY-BLACK main-program)" = V1.00 ] || fail "QRY-BLACK was upgraded"
[ "$(e2e_results QRY-BLACK)" = 0 ] || fail "QRY-BLACK: $(e2e_results QRY-BLACK) results"
e2e_check_params QRY-NEW
e2e_check_params QRY-BLACK

echo "remote-e2e-query: ok"
