#!/bin/bash
# Issue 13 end to end: the power of the whole simulated terminal cut from outside — SIGKILL of its
# bootloader loop and of the agent it runs — at every state the agent persists during a system
# upgrade (A/B and recovery layouts), and inside the bootloader's own boot environment writes (the
# bootcount of an unconfirmed slot, a fallback's slot switch: the redundant copy being written torn
# half way, or the write complete but nothing after it). Powered on again, each terminal boots a
# consistent slot (kernel and rootfs of one version, the environment of the slot it runs), keeps
# its parameters, and the platform holds exactly one correct result of its upgrade.
source "$(dirname "$0")/remote-e2e-lib.sh"

# Cuts the power of terminal $1 from outside: its loop, then its agent (stopped or running).
power_cut () {
  e2e_kill_terminal "$1"
  e2e_wait_loop "$1"
  [ "$status" = 137 ] || fail "$1: the loop ended with $status, not by SIGKILL"
}

# Terminal $1 runs a consistent system: kernel and rootfs of one version, and in the A/B layout
# the slot it booted is the environment's, with no unconfirmed upgrade left.
check_consistent () {
  local id=$1 layout=$2 kernel rootfs
  kernel=$(e2e_running "$id" kernel)
  rootfs=$(e2e_running "$id" rootfs)
  [ "$kernel" = "$rootfs" ] || fail "$id: kernel $kernel with rootfs $rootfs"
  if [ "$layout" = ab ]; then
    [ "$(e2e_env "$id" boot_slot)" = "$(e2e_running "$id" slot)" ] \
      || fail "$id: booted slot $(e2e_running "$id" slot), environment $(e2e_env "$id" boot_slot)"
    [ "$(e2e_env "$id" upgrade_available)" = 0 ] || fail "$id: an upgrade left unconfirmed"
  else
    [ "$(e2e_env "$id" ff_mode)" = normal ] || fail "$id: ff_mode $(e2e_env "$id" ff_mode)"
  fi
  grep -q "BRICKED\|HALTED" "$(root_of "$id")/sim.log" && fail "$id: $(cat "$(root_of "$id")/sim.log")"
  e2e_check_params "$id"
}

e2e_start
e2e_package V2.30 kernel=V2.00 rootfs=V2.00

echo "== the power cut from outside at each state of an upgrade, and in the bootloader's writes"
# terminal layout fault; the agent stops itself (SIGSTOP) at the state it names, the bootloader at
# its first environment write: the test cuts the power there.
cases=()
for state in downloading verifying backing-up writing-slot setting-boot rebooting health-check \
             reporting; do
  cases+=("AB-$state ab stop-at=$state")
done
for state in downloading verifying backing-up setting-boot rebooting recovery-verifying \
             recovery-writing recovery-restoring recovery-done health-check reporting; do
  cases+=("REC-$state recovery stop-at=$state")
done
# The first environment write of the bootloader in an A/B upgrade: the bootcount of the new slot.
cases+=("AB-count-torn ab boot-cut-in=env-write" "AB-count-written ab boot-cut-at=env-written")

ids=()
for c in "${cases[@]}"; do
  read -r id layout fault <<< "$c"
  e2e_terminal "$id" "$layout"
  e2e_boot "$id" --fault "$fault"
  ids+=("$id")
done
for id in "${ids[@]}"; do e2e_wait_online "$id"; done
remote_platform remote upgrade "${ids[@]}" --firmware V2.30 > /dev/null || fail "remote upgrade"
for c in "${cases[@]}"; do
  read -r id layout fault <<< "$c"
  if [[ $fault == stop-at=* ]]; then
    remote_stack_wait_line "$(root_of "$id")/loop.out" "FIELDFLASH_AGENT_FAULT: stopped at ${fault#stop-at=}\$"
  else
    remote_stack_wait_line "$(root_of "$id")/sim.log" "^POWER CUT POINT \\($fault\\)"
  fi
  power_cut "$id"
  e2e_boot "$id"
done
for id in "${ids[@]}"; do e2e_wait_result "$id" "(succeeded|failed|rolled-back)"; done
for id in "${ids[@]}"; do e2e_stop "$id"; done
for c in "${cases[@]}"; do
  read -r id layout fault <<< "$c"
  check_consistent "$id" "$layout"
  [ "$(e2e_results "$id")" = 1 ] || fail "$id: $(e2e_results "$id") results at the platform"
  outcome=$(remote_platform remote results "$id" | cut -f3)
  # Nothing here fails the upgrade: cut anywhere, it completes.
  [ "$outcome" = succeeded ] || fail "$id: $outcome"
  [ "$(e2e_running "$id" rootfs)" = V2.00 ] || fail "$id: succeeded but runs $(e2e_running "$id" rootfs)"
  echo "$id: $outcome, slot $(e2e_running "$id" slot), V2.00"
done

echo "== the power cut in the bootloader's fallback (bootcount past bootlimit: back to slot a)"
# An unconfirmed slot b that has used up its boots: the bootloader's next boot switches back.
for fault in boot-cut-in=env-write boot-cut-at=env-written; do
  id=FALLBACK-${fault#*=}
  e2e_terminal "$id" ab
  printf 'boot_slot=b\nupgrade_available=1\nbootcount=3\nbootlimit=3\n' > "$work/fallback.env"
  fw_setenv -c "$(root_of "$id")/fw_env.config" -s "$work/fallback.env" \
    || fail "$id: fw_setenv"
  e2e_boot "$id" --fault "$fault"
  remote_stack_wait_line "$(root_of "$id")/sim.log" "^POWER CUT POINT \\($fault\\)"
  power_cut "$id"
  from=$(( $(wc -l < "$(root_of "$id")/sim.log") + 1 ))
  e2e_boot "$id"
  remote_stack_wait_line "$(root_of "$id")/sim.log" "^boot [0-9]+ mode=normal slot=a " "$from"
  e2e_wait_online "$id"
  e2e_stop "$id"
  check_consistent "$id" ab
  echo "$id: back on slot a, $(e2e_running "$id" rootfs)"
done

echo "remote-e2e-bootloader: ok"
