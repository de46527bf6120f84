#!/bin/bash
# Issue 13 end to end: real Mosquitto, `fieldflash-platform serve`, and simulated terminals running
# the real fieldflash-agent. Kernel only, rootfs only and both through the recovery system; both
# through A/B slots; the updater; the main program: each terminal ends on the new version with its
# parameters intact and exactly one result at the platform. Then a health check that fails after
# the boot, in each layout and for the main program: the terminal goes back and reports rolled-back.
source "$(dirname "$0")/remote-e2e-lib.sh"

e2e_start
e2e_package V2.10 kernel=V2.00
e2e_package V2.20 rootfs=V2.00
e2e_package V2.30 kernel=V2.00 rootfs=V2.00
e2e_package V2.40 updater=V2.00
e2e_package V2.50 main-program=V2.00
e2e_package V3.10 rootfs=V3.00:unhealthy
e2e_package V3.20 kernel=V3.00 rootfs=V3.00:unhealthy
e2e_package V3.30 main-program=V3.00:unhealthy

# terminal layout firmware
cases=(
  "NET-KERNEL recovery V2.10"
  "NET-ROOTFS recovery V2.20"
  "NET-BOTH recovery V2.30"
  "NET-AB ab V2.30"
  "NET-UPDATER ab V2.40"
  "NET-MAIN recovery V2.50"
  "NET-SICK-REC recovery V3.10"
  "NET-SICK-AB ab V3.20"
  "NET-SICK-MAIN ab V3.30"
)
for c in "${cases[@]}"; do
  read -r id layout firmware <<< "$c"
  e2e_terminal "$id" "$layout"
  e2e_boot "$id"
done
# Each agent is online (its retained state) before the commands go out, so each gets its command
# by the push; an offline one would get it on reconnection (test-remote-e2e-network).
for c in "${cases[@]}"; do
  read -r id layout firmware <<< "$c"
  e2e_wait_online "$id"
  remote_platform remote upgrade "$id" --firmware "$firmware" > /dev/null || fail "upgrade $id"
done

echo "== each upgrade succeeds"
for id in NET-KERNEL NET-ROOTFS NET-BOTH NET-AB NET-UPDATER NET-MAIN; do
  e2e_wait_result "$id" succeeded
done
echo "== each failed health check rolls back"
for id in NET-SICK-REC NET-SICK-AB NET-SICK-MAIN; do
  e2e_wait_result "$id" rolled-back
done
for c in "${cases[@]}"; do
  read -r id layout firmware <<< "$c"
  e2e_stop "$id"
done

# Versions where the terminal runs after its last boot, its boot environment at rest.
expect () {
  local id=$1 kernel=$2 rootfs=$3 main=$4 updater=$5
  [ "$(e2e_running "$id" kernel)" = "$kernel" ] || fail "$id: kernel $(e2e_running "$id" kernel)"
  [ "$(e2e_running "$id" rootfs)" = "$rootfs" ] || fail "$id: rootfs $(e2e_running "$id" rootfs)"
  [ "$(e2e_running "$id" mode)" = normal ] || fail "$id: not back in normal mode"
  [ "$(e2e_program_version "$id" main-program)" = "$main" ] || fail "$id: main program"
  [ "$(e2e_program_version "$id" updater)" = "$updater" ] || fail "$id: updater"
  e2e_check_params "$id"
  [ "$(e2e_results "$id")" = 1 ] || fail "$id: $(e2e_results "$id") results at the platform"
  grep -q "BRICKED\|HALTED" "$(root_of "$id")/sim.log" && fail "$id: $(cat "$(root_of "$id")/sim.log")"
  return 0
}
expect NET-KERNEL V2.00 V1.00 V1.00 V1.00
expect NET-ROOTFS V1.00 V2.00 V1.00 V1.00
expect NET-BOTH V2.00 V2.00 V1.00 V1.00
expect NET-AB V2.00 V2.00 V1.00 V1.00
expect NET-UPDATER V1.00 V1.00 V1.00 V2.00
expect NET-MAIN V1.00 V1.00 V2.00 V1.00
expect NET-SICK-REC V1.00 V1.00 V1.00 V1.00
expect NET-SICK-AB V1.00 V1.00 V1.00 V1.00
expect NET-SICK-MAIN V1.00 V1.00 V1.00 V1.00

for id in NET-KERNEL NET-ROOTFS NET-BOTH; do
  [ "$(e2e_env "$id" ff_mode)" = normal ] || fail "$id: ff_mode $(e2e_env "$id" ff_mode)"
  grep -q "mode=recovery" "$(root_of "$id")/sim.log" || fail "$id: never went through recovery"
done
# A/B: slot b runs, confirmed; the failed one went back to slot a (U-Boot's or the agent's doing).
[ "$(e2e_running NET-AB slot)" = b ] || fail "NET-AB: slot $(e2e_running NET-AB slot)"
[ "$(e2e_env NET-AB upgrade_available)" = 0 ] && [ "$(e2e_env NET-AB bootcount)" = 0 ] \
  || fail "NET-AB: not confirmed"
[ "$(e2e_running NET-SICK-AB slot)" = a ] && [ "$(e2e_env NET-SICK-AB boot_slot)" = a ] \
  || fail "NET-SICK-AB: not back on slot a"
grep -q "^boot .* slot=b .*unhealthy$" "$(root_of NET-SICK-AB)/sim.log" \
  || fail "NET-SICK-AB: the unhealthy slot b never booted"
grep -q "rootfs=V2.00 unhealthy\|rootfs=V3.00 unhealthy" "$(root_of NET-SICK-REC)/sim.log" \
  || fail "NET-SICK-REC: the unhealthy rootfs never booted"

# The ledger follows the main program; the platform's result says what runs now.
remote_platform terminals list | grep -q $'NET-MAIN\t.*\tV2.00\t' || fail "ledger: NET-MAIN"
remote_platform history NET-MAIN | grep -q 'V1.00.*V2.00.*remote' || fail "history: NET-MAIN"
remote_platform remote results NET-SICK-MAIN | grep -q $'\trolled-back\t.*\tV1.00\t' \
  || fail "NET-SICK-MAIN: $(remote_platform remote results NET-SICK-MAIN)"

echo "remote-e2e-upgrades: ok"
