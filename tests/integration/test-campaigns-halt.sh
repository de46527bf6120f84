#!/bin/bash
# A paused campaign sends nothing: serve recorded its wave while the broker was away (as the rest
# of a large wave waits for its rounds), the operator pauses it, the broker comes back, and the
# broker's own log (log_type all: every PUBLISH it received) shows none of its commands — only
# those of another campaign, once each; resumed eight days later, its commands go out, once each,
# sealed again to be valid a week from the resume under the same command IDs (they were valid a
# week from the wave's start: the agent would refuse them as expired), and its terminals get
# --offline-after from the resume (not from the wave's start, long past).
# A firmware found withdrawn when a wave starts halts the campaign with none of the wave's
# commands recorded, also for the terminals of another model whose firmware stands; cancelled
# then, the campaign keeps the reason it halted for. A terminal that runs the campaign's version
# by the time its wave starts (the result of a cancelled campaign's command, a ledger update)
# succeeded, without a command: it is no failure that could halt the campaign. Nor is one the
# operator blacklisted after the campaign was made: it is left out at its wave's start, with the
# reason, and the wave goes on.
set -euo pipefail
source "${FIELDFLASH_SOURCEDIR:?}/tests/support/remote-stack.sh"
source "${FIELDFLASH_SOURCEDIR:?}/tests/support/campaign-broker.sh"
work=$(mktemp -d /tmp/ff-campaigns-halt-XXXXXX)
trap 'remote_stack_finish "$work"' EXIT
build_firmware () {
  remote_platform packages build --vendor Acme --model "$1" --hardware HV1.0 --version V2.00 \
    --main-program "$work/main-program" --main-program-version V2.00 -o "$work/$1.ffpkg" \
    > /dev/null
  remote_platform firmware add "$work/$1.ffpkg" > /dev/null
}

remote_stack_start "$work"
for id in NET-0001 NET-0002 NET-0003 NET-0004; do remote_stack_add_terminal "$id"; done
printf '#!/bin/sh\necho V2.00\n' > "$work/main-program"
build_firmware DTU-3000

echo "== the broker is away: serve records wave 1 of C1, which is paused, and of C2"
# Eight days ago by serve's clock: the waves start then, and C1 is resumed today.
remote_stack_kill_platform
FIELDFLASH_PLATFORM_TIME=$(( $(date +%s) - 8 * 86400 )) remote_stack_start_platform
lines=$(wc -l < "$work/platform.log")
remote_stack_kill_broker
remote_stack_wait_line "$work/platform.log" 'MQTT: could not connect' "$((lines + 1))"
remote_platform campaigns create --firmware V2.00 --terminals NET-0001,NET-0002,NET-0003 \
  --waves 100% --max-failures 1 > /dev/null
campaign_start_wave C1 3
remote_platform campaigns pause C1 > /dev/null
remote_platform campaigns create --firmware V2.00 --terminals NET-0004 --waves 100% \
  --max-failures 1 > /dev/null
campaign_start_wave C2 1

echo "== the broker is back: only C2's command reaches it"
campaign_broker_back
# serve publishes in the order it recorded (C1's wave first): once NET-0004's command is in, any
# of C1's would be before it.
remote_stack_wait_line "$work/mosquitto.log" "Received PUBLISH .*'ff/v1/t/NET-0004/cmd'" \
  "$CAMPAIGN_BROKER_FROM"
[ "$(campaign_published)" = "NET-0004:1 " ] \
  || remote_stack_fail "commands on the broker while C1 is paused: $(campaign_published)"
[ "$(campaign_show C1 "c['state'], c['terminals']['sent']")" = "paused 3" ] \
  || remote_stack_fail "C1 while paused: $(campaign_show C1 "c['state'], c['terminals']")"

echo "== resumed eight days later: C1's commands go out, once each, valid, its terminals wait"
held=$(campaign_show C1 "' '.join(t['command_id'] for t in c['wave_list'][0]['terminal_list'])")
remote_stack_kill_platform
remote_stack_start_platform
# C2, not paused, had its day (--offline-after 24h): its terminal without a result is offline.
[ "$(campaign_show C2 "c['state'], c['terminals']['offline']")" = "complete 1" ] \
  || remote_stack_fail "C2 a day after its wave: $(campaign_show C2 "c['state'], c['terminals']")"
remote_platform campaigns resume C1 > /dev/null
for id in NET-0001 NET-0002 NET-0003; do
  remote_stack_wait_line "$work/mosquitto.log" "Received PUBLISH .*'ff/v1/t/$id/cmd'" \
    "$CAMPAIGN_BROKER_FROM"
done
[ "$(campaign_published)" = "NET-0001:1 NET-0002:1 NET-0003:1 NET-0004:1 " ] \
  || remote_stack_fail "commands on the broker after the resume: $(campaign_published)"
[ "$(campaign_show C1 "c['state'], c['terminals']['sent'], c['terminals']['offline']")" \
  = "running 3 0" ] \
  || remote_stack_fail "C1 resumed: $(campaign_show C1 "c['state'], c['terminals']")"
[ "$(campaign_show C1 "' '.join(t['command_id'] for t in c['wave_list'][0]['terminal_list'])")" \
  = "$held" ] || remote_stack_fail "C1's command IDs changed: $held"
for id in NET-0001 NET-0002 NET-0003; do
  sqlite3 "$REMOTE_PLATFORM_DIR/platform.db" "SELECT writefile('$work/cmd-$id', envelope)
    FROM remote_commands WHERE device_id = '$id' AND published_at IS NOT NULL" > /dev/null
  # As the agent checks it: signature, device, not expired now.
  checked=$("${remote_stack_wrapper[@]}" "$FIELDFLASH_BUILDDIR/tests/support/ff-remote-tool" \
    verify-command "$REMOTE_STACK_DIR/credentials/$id/platform.pub.pem" "$id" < "$work/cmd-$id") \
    || remote_stack_fail "$id's published command is refused: $checked"
  [[ " $held " == *" $(echo "$checked" | cut -d' ' -f2) "* ]] \
    || remote_stack_fail "$id's command is not one held: $checked (held $held)"
done

echo "== a firmware withdrawn at a wave's start: halted, nothing of the wave recorded"
remote_platform campaigns cancel C1 > /dev/null
# The DTU-3000 terminal sorts first, the DTU-5000 one (withdrawn firmware) last in the wave.
# NET-0001…0003 are left out: C1's commands to V2.00 are out, unanswered (C2's to NET-0004,
# published eight days ago, expired).
remote_stack_add_terminal NET-0005
remote_stack_add_terminal NET-0009 Acme DTU-5000
build_firmware DTU-5000
remote_platform campaigns create --firmware V2.00 --running-version V1.00 --vendor Acme \
  --waves 100% --max-failures 1 > "$work/create-C3.out"
[ "$(grep -c '^Left out NET-000[1-3]: .* to V2.00 out, not answered yet' "$work/create-C3.out")" = 3 ] \
  || remote_stack_fail "C3 took a terminal with a command out: $(cat "$work/create-C3.out")"
remote_platform firmware withdraw V2.00 --vendor Acme --model DTU-5000 > /dev/null
lines=$(wc -l < "$work/platform.log")
remote_platform campaigns start C3 > /dev/null
remote_stack_wait_line "$work/platform.log" \
  'Campaign C3 halted: Firmware V2.00 for Acme DTU-5000 was withdrawn' "$((lines + 1))"
[ "$(campaign_show C3 "c['state'], c['current_wave'], c['terminals']['pending'],
                       c['terminals']['sent']")" = "paused 0 3 0" ] \
  || remote_stack_fail "C3 after the halt: $(campaign_show C3 "c['state'], c['terminals']")"
[ "$(campaign_show C3 "set(t['command_id'] for w in c['wave_list']
                           for t in w['terminal_list'])")" = "{None}" ] \
  || remote_stack_fail "C3 recorded commands: $(campaign_show C3 "c['wave_list']")"

echo "== cancelled after the halt: the reason stays on record"
remote_platform campaigns cancel C3 > /dev/null
[ "$(campaign_show C3 "c['state'], c['halt_reason']")" \
  = "cancelled Firmware V2.00 for Acme DTU-5000 was withdrawn" ] \
  || remote_stack_fail "C3 after the cancel: $(campaign_show C3 "c['state'], c['halt_reason']")"
remote_platform campaigns show C3 \
  | grep -qx "Halted: Firmware V2.00 for Acme DTU-5000 was withdrawn" \
  || remote_stack_fail "campaigns show C3: $(remote_platform campaigns show C3)"
echo "== a terminal that runs the version by its wave's start succeeded, without a command"
for id in NET-0006 NET-0007; do remote_stack_add_terminal "$id"; done
remote_platform campaigns create --firmware V2.00 --terminals NET-0006,NET-0007 --waves 100% \
  --max-failures 1 > /dev/null
sed 's/,V1.00,/,V2.00,/' "$work/ledger-NET-0007.csv" > "$work/ledger-NET-0007-v2.csv"
remote_platform terminals import --update "$work/ledger-NET-0007-v2.csv" > /dev/null
campaign_start_wave C4 1
[ "$(campaign_show C4 "[(t['device_id'], t['state'], t['command_id'] is None)
                       for t in c['wave_list'][0]['terminal_list']]")" \
  = "[('NET-0006', 'sent', False), ('NET-0007', 'succeeded', True)]" ] \
  || remote_stack_fail "C4's wave: $(campaign_show C4 "c['wave_list']")"
[ "$(campaign_show C4 "c['state'], c['halt_reason']")" = "running None" ] \
  || remote_stack_fail "C4: $(campaign_show C4 "c['state'], c['halt_reason']")"

echo "== a terminal blacklisted after the campaign was made is left out, no failure"
for id in NET-0008 NET-0010; do remote_stack_add_terminal "$id"; done
remote_platform campaigns create --firmware V2.00 --terminals NET-0008,NET-0010 --waves 100% \
  --max-failures 1 > /dev/null
remote_platform blacklist add V2.00 NET-0010 > /dev/null
campaign_start_wave C5 1
[ "$(campaign_show C5 "[(t['device_id'], t['state'], t['reason'])
                       for t in c['wave_list'][0]['terminal_list']]")" \
  = "[('NET-0008', 'sent', None), ('NET-0010', 'left-out', 'Terminal NET-0010 is blacklisted for firmware V2.00')]" ] \
  || remote_stack_fail "C5's wave: $(campaign_show C5 "c['wave_list']")"
[ "$(campaign_show C5 "c['state'], c['halt_reason'], c['terminals']['left-out'],
                       c['terminals']['failed']")" = "running None 1 0" ] \
  || remote_stack_fail "C5: $(campaign_show C5 "c['state'], c['halt_reason'], c['terminals']")"
remote_platform campaigns show C5 | grep -q "left out 1" \
  || remote_stack_fail "campaigns show C5: $(remote_platform campaigns show C5)"
curl -sS --cacert "$REMOTE_PLATFORM_DIR/tls.crt" "$REMOTE_PLATFORM_URL/metrics" > "$work/metrics"
grep -qx 'fieldflash_campaign_terminals{campaign="C5",state="left-out"} 1' "$work/metrics" \
  || remote_stack_fail "metrics: $(grep C5 "$work/metrics")"
echo "PASS"
