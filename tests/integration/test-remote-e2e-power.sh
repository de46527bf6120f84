#!/bin/bash
# Issue 13 end to end: a power cut (the agent killed by SIGKILL, and with it the simulated
# terminal's bootloader loop) at every state the agent persists, in the middle of a slot write and
# in the middle of a boot environment write, for the recovery layout, the A/B layout and a program
# upgrade. Powered on again, each terminal boots (never bricked), runs the old or the new version
# consistently (kernel and rootfs together), keeps its parameters, and the platform ingests exactly
# one result for it.
source "$(dirname "$0")/remote-e2e-lib.sh"

e2e_start
e2e_package V2.30 kernel=V2.00 rootfs=V2.00
e2e_package V2.50 main-program=V2.00

# terminal layout firmware fault
cases=()
for state in downloading verifying backing-up setting-boot rebooting recovery-verifying \
             recovery-writing recovery-restoring recovery-done health-check reporting; do
  cases+=("REC-$state recovery V2.30 power-cut-at=$state")
done
cases+=("REC-slot recovery V2.30 power-cut-in=write-slot:100000"
        "REC-env recovery V2.30 power-cut-in=env-write")
for state in downloading verifying backing-up writing-slot setting-boot rebooting health-check \
             reporting; do
  cases+=("AB-$state ab V2.30 power-cut-at=$state")
done
cases+=("AB-slot ab V2.30 power-cut-in=write-slot:100000"
        "AB-env ab V2.30 power-cut-in=env-write")
for state in downloading verifying backing-up installing-program health-check reporting; do
  cases+=("PROG-$state ab V2.50 power-cut-at=$state")
done

# In batches of one firmware at a time, so the machine is not flooded with agents.
run_batch () {
  local firmware=$1 c id layout fw fault ids=()
  for c in "${cases[@]}"; do
    read -r id layout fw fault <<< "$c"
    [ "$fw" = "$firmware" ] || continue
    e2e_terminal "$id" "$layout"
    e2e_boot "$id" --fault "$fault"
    ids+=("$id")
  done
  for id in "${ids[@]}"; do e2e_wait_online "$id"; done
  remote_platform remote upgrade "${ids[@]}" --firmware "$firmware" > /dev/null \
    || fail "remote upgrade $firmware"
  echo "== $firmware: the power is cut at each point"
  for id in "${ids[@]}"; do
    remote_stack_wait_line "$(root_of "$id")/sim.log" "^POWER CUT "
    e2e_wait_loop "$id"
    [ "$status" = 3 ] || fail "$id: the loop ended with $status"
    # Power back on, without the fault.
    e2e_boot "$id"
  done
  echo "== $firmware: each terminal comes back and reports once"
  for id in "${ids[@]}"; do
    e2e_wait_result "$id" "(succeeded|failed|rolled-back)"
  done
  for id in "${ids[@]}"; do e2e_stop "$id"; done
}
run_batch V2.30
run_batch V2.50

for c in "${cases[@]}"; do
  read -r id layout firmware fault <<< "$c"
  root=$(root_of "$id")
  grep -q "BRICKED\|HALTED" "$root/sim.log" && fail "$id: $(cat "$root/sim.log")"
  e2e_check_params "$id"
  [ "$(e2e_results "$id")" = 1 ] || fail "$id: $(e2e_results "$id") results at the platform"
  outcome=$(remote_platform remote results "$id" | cut -f3)
  if [ "$firmware" = V2.50 ]; then
    new=$(e2e_program_version "$id" main-program)
  else
    kernel=$(e2e_running "$id" kernel)
    new=$(e2e_running "$id" rootfs)
    [ "$kernel" = "$new" ] || fail "$id: kernel $kernel with rootfs $new"
  fi
  case "$outcome" in
    succeeded) [ "$new" = V2.00 ] || fail "$id: succeeded but runs $new" ;;
    *) [ "$new" = V1.00 ] || fail "$id: $outcome but runs $new" ;;
  esac
  echo "$id: $outcome, runs $new"
done

echo "remote-e2e-power: ok"
