#!/bin/bash
# Issue 15 for networked terminals, end to end (real Mosquitto, `fieldflash-platform serve`, the
# real fieldflash-agent on simulated A/B terminals): a terminal whose retained state names images
# the platform holds in a package (V1.00, the factory images) is sent a derived package of delta
# patches — another SHA-256 than the full package, fewer bytes served (/metrics) — and ends on the
# new version with one result; a terminal running versions no package holds gets the full package;
# `--full` sends the full package to the first one's twin; a terminal running another build of the
# versions the platform knows (other factory images) refuses the patch, stays as it was, and takes
# the full package sent again with `--full`.
source "$(dirname "$0")/remote-e2e-lib.sh"

bytes_sent () {
  curl -sS --cacert "$REMOTE_PLATFORM_DIR/tls.crt" "$REMOTE_PLATFORM_URL/metrics" \
    | sed -n 's/^fieldflash_firmware_bytes_sent_total //p'
}

e2e_start
size=${E2E_IMAGE_SIZE:-200000}
e2e_package V1.00 kernel=V1.00 rootfs=V1.00
e2e_package V2.30 kernel=V2.00:near rootfs=V2.00:near
full_sha256=$(sha256sum < "$work/payloads/V2.30.ffpkg" | cut -d' ' -f1)
full_size=$(stat -c %s "$work/payloads/V2.30.ffpkg")

e2e_terminal NET-DELTA ab --image-size "$size"
e2e_terminal NET-FORCED ab --image-size "$size"
e2e_terminal NET-UNKNOWN ab --image-size "$size" --kernel-version V0.90 --rootfs-version V0.90
e2e_terminal NET-OTHER ab --image-size 65536
for id in NET-DELTA NET-FORCED NET-UNKNOWN NET-OTHER; do
  e2e_boot "$id"
  e2e_wait_online "$id"
  # The platform chooses from the state it keeps: the command waits for it.
  remote_stack_wait_line "$work/platform.log" "MQTT: the state of $id is kept"
done

# upgrade ID [OPTIONS…]: sends the command, waits for success; $out: the command's output,
# $served: the bytes the platform served for it.
upgrade () {
  local id=$1 before
  shift
  before=$(bytes_sent)
  out=$(remote_platform remote upgrade "$id" --firmware V2.30 "$@") || fail "upgrade $id"
  e2e_wait_result "$id" succeeded
  served=$(( $(bytes_sent) - before ))
}

echo "== a known installed image: the delta package"
upgrade NET-DELTA
delta_line=$(grep "^NET-DELTA: delta package " <<< "$out") || fail "no delta package: $out"
read -r _ _ _ delta_sha256 delta_size _ <<< "${delta_line//[()]/}"
[ "$delta_sha256" != "$full_sha256" ] || fail "the delta package is the full package"
(( delta_size < full_size )) || fail "delta package $delta_size bytes, full $full_size"
(( served == delta_size )) || fail "served $served bytes for NET-DELTA, the delta package is $delta_size"
echo "full package $full_size bytes, delta package $delta_size bytes"

echo "== --full, and an installed version no package holds: the full package"
upgrade NET-FORCED --full
grep -q "delta package" <<< "$out" && fail "NET-FORCED --full: $out"
(( served == full_size )) || fail "served $served bytes for NET-FORCED, full $full_size"
upgrade NET-UNKNOWN
grep -q "delta package" <<< "$out" && fail "NET-UNKNOWN: $out"
(( served == full_size )) || fail "served $served bytes for NET-UNKNOWN, full $full_size"

echo "== another build installed: the delta is refused, the terminal stays, --full upgrades it"
out=$(remote_platform remote upgrade NET-OTHER --firmware V2.30) || fail "upgrade NET-OTHER"
grep -q "^NET-OTHER: delta package $delta_sha256 " <<< "$out" || fail "NET-OTHER: $out"
e2e_wait_result NET-OTHER refused
remote_platform remote results NET-OTHER | grep -q $'\trefused\tverify-package\t.*delta was made for another installed image' \
  || fail "NET-OTHER: $(remote_platform remote results NET-OTHER)"
[ "$(e2e_running NET-OTHER slot)" = a ] || fail "NET-OTHER left slot a after the refusal"
upgrade NET-OTHER --full
(( served == full_size )) || fail "served $served bytes for NET-OTHER, full $full_size"

for id in NET-DELTA NET-FORCED NET-UNKNOWN NET-OTHER; do
  e2e_stop "$id"
  [ "$(e2e_running "$id" kernel)" = V2.00 ] || fail "$id: kernel $(e2e_running "$id" kernel)"
  [ "$(e2e_running "$id" rootfs)" = V2.00 ] || fail "$id: rootfs $(e2e_running "$id" rootfs)"
  [ "$(e2e_running "$id" slot)" = b ] || fail "$id: slot $(e2e_running "$id" slot)"
  results=1
  [ "$id" = NET-OTHER ] && results=2
  [ "$(e2e_results "$id")" = "$results" ] || fail "$id: $(e2e_results "$id") results at the platform"
  e2e_check_params "$id"
done

echo "remote-e2e-delta: ok"
