#!/bin/bash
# A campaign cancelled while its wave's commands wait to be published sends none of them: serve
# recorded the wave while the broker was away (as the rest of a large wave waits for its rounds),
# the operator cancels, the broker comes back, and the broker's own log (log_type all: every
# PUBLISH it received) shows none of them — only the commands of the campaign that took a freed
# terminal next, once each. The cancelled campaign's terminals are pending again, without command.
# A second serve on the same data directory (another shell) refuses to start.
set -euo pipefail
source "${FIELDFLASH_SOURCEDIR:?}/tests/support/remote-stack.sh"
source "${FIELDFLASH_SOURCEDIR:?}/tests/support/campaign-broker.sh"
work=$(mktemp -d /tmp/ff-campaigns-cancel-XXXXXX)
trap 'remote_stack_finish "$work"' EXIT
fail () { echo "FAIL: $*" >&2; tail -n 20 "$work/platform.log" >&2 || true; exit 1; }

remote_stack_start "$work"
for id in NET-0001 NET-0002 NET-0003 NET-0004; do remote_stack_add_terminal "$id"; done
printf '#!/bin/sh\necho V2.00\n' > "$work/main-program"
remote_platform packages build --vendor Acme --model DTU-3000 --hardware HV1.0 --version V2.00 \
  --main-program "$work/main-program" --main-program-version V2.00 -o "$work/v2.ffpkg" > /dev/null
remote_platform firmware add "$work/v2.ffpkg" > /dev/null

echo "== the broker is away: serve says why, records wave 1 and cannot publish it"
lines=$(wc -l < "$work/platform.log")
remote_stack_kill_broker
# The reason is the errno of the worker thread that connects (it was the main thread's, such as
# 'Inappropriate ioctl for device').
remote_stack_wait_line "$work/platform.log" \
  'MQTT: could not connect to 127\.0\.0\.1:[0-9]+ \(Connection refused\)' "$((lines + 1))"
remote_platform campaigns create --firmware V2.00 --terminals NET-0001,NET-0002,NET-0003 \
  --waves 100% --max-failures 1 > /dev/null
campaign_start_wave C1 3

echo "== cancelled: its commands are withdrawn, its terminals pending and free"
remote_platform campaigns cancel C1 > /dev/null
[ "$(campaign_show C1 "c['state'], c['terminals']['pending'], c['terminals']['sent']")" = "cancelled 3 0" ] \
  || fail "C1 after the cancel: $(campaign_show C1 "c['state'], c['terminals']")"
[ "$(campaign_show C1 "[t['command_id'] for w in c['wave_list'] for t in w['terminal_list']]")" \
  = "[None, None, None]" ] || fail "C1 keeps commands: $(campaign_show C1 "c['wave_list']")"
remote_platform campaigns create --firmware V2.00 --terminals NET-0001,NET-0004 --waves 100% \
  --max-failures 1 > /dev/null
campaign_start_wave C2 2

echo "== the broker is back: only C2's commands reach it, once each"
campaign_broker_back
# serve publishes in the order it recorded (C1's wave first): once NET-0004's command (C2's last)
# is in, any of C1's would be before it.
remote_stack_wait_line "$work/mosquitto.log" "Received PUBLISH .*'ff/v1/t/NET-0004/cmd'" \
  "$CAMPAIGN_BROKER_FROM"
published=$(campaign_published)
[ "$published" = "NET-0001:1 NET-0004:1 " ] || fail "commands on the broker: $published"

echo "== a second serve on the same data directory refuses to start"
# It would run the campaigns and publish a second time. 60 s (at native speed) bounds a serve
# that starts anyway.
if timeout "$(ff_test_seconds 60)" "${remote_stack_platform[@]}" --data-dir "$REMOTE_PLATFORM_DIR" \
     serve --listen 127.0.0.1:0 > "$work/second.out" 2>&1; then
  fail "a second serve ran: $(cat "$work/second.out")"
fi
grep -q "Another fieldflash-platform serve runs on .* already" "$work/second.out" \
  || fail "second serve: $(cat "$work/second.out")"
kill -0 "$REMOTE_PLATFORM_PID" || fail "the first serve stopped"
echo "PASS"
