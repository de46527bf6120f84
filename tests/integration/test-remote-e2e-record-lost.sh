#!/bin/bash
# Issue 13 end to end: the agent's state record lost while the recovery system writes the slots
# (recovery layout). Each terminal's power is cut in the middle of the kernel slot's write, its
# record is replaced by one it cannot read (a newer format_version naming the command), and the
# power comes back: with the package still on the data partition the slots are written again from
# the start and the terminal ends on V2.00, one result `succeeded`; with the package gone the
# terminal stays in its recovery system — no boot loop, the torn slot never booted — and the
# platform ingests one result `failed` that says so. Before: the bootloader started the recovery
# system, which cleared its flag, for ever.
source "$(dirname "$0")/remote-e2e-lib.sh"

e2e_start
e2e_package V2.30 kernel=V2.00 rootfs=V2.00

ids=(LOST-kept LOST-gone)
for id in "${ids[@]}"; do
  e2e_terminal "$id" recovery
  e2e_boot "$id" --fault power-cut-in=write-slot:100000
done
for id in "${ids[@]}"; do e2e_wait_online "$id"; done
remote_platform remote upgrade "${ids[@]}" --firmware V2.30 > /dev/null || fail "remote upgrade"

echo "== the power is cut in the kernel slot's write; the record is damaged"
for id in "${ids[@]}"; do
  root=$(root_of "$id")
  remote_stack_wait_line "$root/sim.log" "^POWER CUT "
  e2e_wait_loop "$id"
  [ "$status" = 3 ] || fail "$id: the loop ended with $status"
  grep -q '"state" : "recovery-writing"' "$root/data/state.json" || fail "$id: $(cat "$root/data/state.json")"
  command=$(sed -n 's/^ *"command_id" : "\([0-9a-f]*\)".*/\1/p' "$root/data/state.json")
  [ -n "$command" ] || fail "$id: no command in the record"
  printf '{"format_version":2,"state":"recovery-writing","command_id":"%s"}' "$command" \
    > "$root/data/state.json"
done
rm "$(root_of LOST-gone)"/data/packages/*.ffpkg

echo "== powered on again"
for id in "${ids[@]}"; do e2e_boot "$id"; done
e2e_wait_result LOST-kept succeeded
e2e_wait_result LOST-gone failed
e2e_stop LOST-kept
[ "$(e2e_running LOST-kept kernel)" = V2.00 ] || fail "LOST-kept runs kernel $(e2e_running LOST-kept kernel)"
[ "$(e2e_running LOST-kept rootfs)" = V2.00 ] || fail "LOST-kept runs rootfs $(e2e_running LOST-kept rootfs)"
[ "$(e2e_env LOST-kept ff_mode)" = normal ] || fail "LOST-kept: ff_mode $(e2e_env LOST-kept ff_mode)"

# LOST-gone: its recovery system stays (online, saying why) and its loop still runs; two normal
# boots would show a loop, four recovery boots in a row are the most it takes.
root=$(root_of LOST-gone)
state=$(as_platform_sub -t ff/v1/t/LOST-gone/state -C 1 -W "$(ff_test_seconds 60)") \
  || fail "LOST-gone: no retained state"
[[ $state == *'"stranded" : "The terminal stays in its recovery system'* ]] || fail "LOST-gone: state $state"
kill -0 "${loop_pid[LOST-gone]}" 2>/dev/null || fail "LOST-gone: its loop ended"
boots=$(grep -c '^boot ' "$root/sim.log")
[ "$boots" -le 6 ] || fail "LOST-gone: $boots boots"
[ "$(grep -c '^boot .* mode=normal' "$root/sim.log")" = 1 ] || fail "LOST-gone booted a normal system"
[[ $(grep '^boot ' "$root/sim.log" | tail -n 1) == *mode=recovery* ]] \
  || fail "LOST-gone is not in its recovery system"
remote_platform remote results LOST-gone > "$work/gone.results"
grep -q "stays in its recovery system" "$work/gone.results" || fail "LOST-gone: $(cat "$work/gone.results")"
grep -q "No package is left" "$work/gone.results" || fail "LOST-gone: $(cat "$work/gone.results")"
e2e_stop LOST-gone

for id in "${ids[@]}"; do
  grep -q "BRICKED\|HALTED" "$(root_of "$id")/sim.log" && fail "$id: $(cat "$(root_of "$id")/sim.log")"
  e2e_check_params "$id"
  [ "$(e2e_results "$id")" = 1 ] || fail "$id: $(e2e_results "$id") results at the platform"
  echo "$id: $(grep -c '^boot ' "$(root_of "$id")/sim.log") boots, $(remote_platform remote results "$id" | cut -f3)"
done

echo "remote-e2e-record-lost: ok"
