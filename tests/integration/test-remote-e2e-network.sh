#!/bin/bash
# Issue 13 end to end, the network: a download cut in the middle (fieldflash-sim networked cut-link
# between the agent and the platform) while the broker restarts resumes with Range, fetching at most
# one chunk twice; a power cut in the middle of a download (the agent killed while its worker
# thread writes the package) resumes with Range from where the part file ends; a terminal whose broker is unreachable gets its command when it reconnects (its
# persistent session kept it).
source "$(dirname "$0")/remote-e2e-lib.sh"

# The platform's public address (in the commands' package URLs and the terminals' configuration)
# is the cut link's, which relays to serve.
REMOTE_STACK_PUBLIC_PORT=$(remote_stack_free_port)
e2e_start
mkfifo "$work/cut.in"
"${sim[@]}" networked cut-link --listen "$REMOTE_STACK_PUBLIC_PORT" --to "$REMOTE_HTTPS_PORT" \
  --cut-at 700000 < "$work/cut.in" > "$work/cut.log" 2>&1 &
cut_pid=$!
exec {cut_in}> "$work/cut.in"
remote_stack_wait_line "$work/cut.log" "^cut-link listening on 127\\.0\\.0\\.1:$REMOTE_STACK_PUBLIC_PORT,"

E2E_IMAGE_SIZE=2000000 e2e_package V2.20 rootfs=V2.00
package_size=$(stat -c %s "$work/payloads/V2.20.ffpkg")

echo "== a download cut at 700000 bytes, the broker restarted, the download resumed"
e2e_terminal NET-CUT ab
e2e_boot NET-CUT
e2e_wait_online NET-CUT
remote_platform remote upgrade NET-CUT --firmware V2.20 > /dev/null || fail "remote upgrade"
remote_stack_wait_line "$work/cut.log" "^CUT the link after 700000 bytes to the client$"
remote_stack_kill_broker
remote_stack_start_broker
remote_stack_wait_line "$work/cut.log" "held until resume$"
echo resume >&"$cut_in"
e2e_wait_result NET-CUT succeeded
e2e_stop NET-CUT
[ "$(e2e_running NET-CUT rootfs)" = V2.00 ] || fail "NET-CUT runs $(e2e_running NET-CUT rootfs)"
[ "$(e2e_results NET-CUT)" = 1 ] || fail "NET-CUT: $(e2e_results NET-CUT) results"
# Everything the link carried to the agent (TLS records, HTTP heads and all) beyond the package
# itself was fetched twice or is overhead: at most one 64 KiB chunk in all.
sent=$(sed -n 's/^connection [0-9]* \(closed\|cut\): \([0-9]*\) bytes to the client$/\2/p' \
         "$work/cut.log" | awk "{ s += \$1 } END { print s }")
echo "package $package_size bytes; the link carried $sent bytes to the agent"
[ "$sent" -ge "$package_size" ] || fail "the agent got only $sent bytes of $package_size"
[ $((sent - package_size)) -le 65536 ] || fail "$((sent - package_size)) bytes fetched twice"

echo "== a power cut after 1000000 bytes of the download: the next boot resumes from there"
e2e_terminal NET-KILL ab
e2e_boot NET-KILL --fault power-cut-in=download:1000000
e2e_wait_online NET-KILL
remote_platform remote upgrade NET-KILL --firmware V2.20 > /dev/null || fail "remote upgrade"
remote_stack_wait_line "$(root_of NET-KILL)/sim.log" "^POWER CUT "
e2e_wait_loop NET-KILL
[ "$status" = 3 ] || fail "NET-KILL: the loop ended with $status"
e2e_boot NET-KILL
e2e_wait_result NET-KILL succeeded
e2e_stop NET-KILL
[ "$(e2e_running NET-KILL rootfs)" = V2.00 ] || fail "NET-KILL runs $(e2e_running NET-KILL rootfs)"
[ "$(e2e_results NET-KILL)" = 1 ] || fail "NET-KILL: $(e2e_results NET-KILL) results"
# Two requests: the whole package, then the rest of it from at least the cut (what was written
# before the power cut stays in the part file; what the kernel held for the agent is fetched again).
starts=$(sed -n 's/.*download: HTTP \(20[06]\) from byte \([0-9]*\),.*/\1:\2/p' \
           "$(root_of NET-KILL)/loop.out" | tr '\n' ' ')
echo "NET-KILL downloads (status:first byte): $starts"
read -r first second rest <<< "$starts"
[ "$first" = 200:0 ] && [ -n "$second" ] && [ -z "$rest" ] || fail "NET-KILL downloads: $starts"
[ "${second%%:*}" = 206 ] && [ "${second#*:}" -ge 1000000 ] \
  && [ "${second#*:}" -lt "$package_size" ] || fail "NET-KILL resumed as $second"

echo "== the broker unreachable: the command waits in the terminal's session until it reconnects"
e2e_terminal NET-AWAY recovery
e2e_boot NET-AWAY
e2e_wait_online NET-AWAY
e2e_stop NET-AWAY
e2e_boot NET-AWAY --fault broker-unreachable
remote_stack_wait_line "$(root_of NET-AWAY)/sim.log" "^boot 2 "
remote_platform remote upgrade NET-AWAY --firmware V2.20 > /dev/null || fail "remote upgrade"
e2e_stop NET-AWAY
[ "$(e2e_results NET-AWAY)" = 0 ] || fail "NET-AWAY reported while its broker was unreachable"
e2e_boot NET-AWAY
e2e_wait_result NET-AWAY succeeded
e2e_stop NET-AWAY
[ "$(e2e_running NET-AWAY rootfs)" = V2.00 ] || fail "NET-AWAY runs $(e2e_running NET-AWAY rootfs)"
echo quit >&"$cut_in"
ff_test_wait_pid "$cut_pid"

echo "remote-e2e-network: ok"
