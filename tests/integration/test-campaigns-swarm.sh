#!/bin/bash
# Campaigns run by `fieldflash-platform serve` against a real Mosquitto and a swarm of simulated
# networked terminals (fieldflash-sim networked --swarm), with a mosquitto_sub counting every
# command on ff/v1/t/+/cmd as the platform's identity: a three-wave campaign with failures below its
# threshold completes; one above it halts in the wave where it crosses with no command sent after
# the halt, and an operator's resume then accepts those failures and sends the rest; kill -9 of the
# platform during a wave and a restart (also right after a round was claimed, before it was
# published, and when the broker's acknowledgements arrived) send no command twice, lose none and
# lose no result; a campaign mixing networked and tablet-only terminals, whose tablet-only one becomes a
# signed task when its wave starts; firmware withdrawn mid-campaign stops further sends; the MQTT
# messages that arrive together are stored in one commit.
set -euo pipefail
source "${FIELDFLASH_SOURCEDIR:?}/tests/support/remote-stack.sh"
sim=("${remote_stack_wrapper[@]}" "$FIELDFLASH_BUILDDIR/src/sim/fieldflash-sim")
work=$(mktemp -d /tmp/ff-campaigns-swarm-XXXXXX)
pids=()
finish () {
  # (The swarm may be held by the kill -9 section below.)
  [ -z "${swarm_pid:-}" ] || kill -CONT "$swarm_pid" 2>/dev/null || true
  ff_test_stop "${pids[@]}"
  remote_stack_stop
  rm -rf "$work"
}
fail () { echo "FAIL: $*" >&2; tail -n 30 "$work/platform.log" >&2 || true; exit 1; }
show () {
  remote_platform campaigns show "$1" --json \
    | python3 -c "import json, sys; c = json.load(sys.stdin); print($2)"
}

remote_stack_start "$work"
trap finish EXIT    # after remote_stack_start, whose own trap finish calls
# A ledger of 40 networked terminals (credentials for each) and 2 tablet-only ones.
{
  echo "device_id,name,latitude,longitude,vendor,model,hardware_version,software_version,software_checksum,host,port,common_address,profile,link"
  for i in $(seq 1 42); do
    link=mqtt
    [ "$i" -gt 40 ] && link=offline
    printf 'NET-%04d,T%d,39.9,116.4,Acme,DTU-3000,HV1.0,V1.00,,127.0.0.1,2404,1,state-grid,%s\n' \
      "$i" "$i" "$link"
  done
} > "$work/ledger.csv"
remote_platform terminals import "$work/ledger.csv" > /dev/null
for i in $(seq 1 40); do
  id=$(printf 'NET-%04d' "$i")
  remote_platform terminals credentials "$id" -o "$work/credentials/$id" > /dev/null
done
printf '#!/bin/sh\necho V2.00\n' > "$work/main-program"
remote_platform packages build --vendor Acme --model DTU-3000 --hardware HV1.0 --version V2.00 \
  --main-program "$work/main-program" --main-program-version V2.00 -o "$work/v2.ffpkg" > /dev/null
remote_platform firmware add "$work/v2.ffpkg" > /dev/null

# Every command the broker carries, counted per command ID by a test identity the ACL lets read
# every terminal's command topic (a ledger row for its certificate only: it is in no campaign).
printf 'CMD-COUNTER,Counter,39.9,116.4,Test,Counter,HV0,V0.01,,127.0.0.1,2404,1,state-grid,offline\n' \
  | cat <(head -n 1 "$work/ledger.csv") - > "$work/counter.csv"
remote_platform terminals import "$work/counter.csv" > /dev/null
remote_platform terminals credentials CMD-COUNTER -o "$work/counter" > /dev/null
printf '\nuser CMD-COUNTER\ntopic read ff/v1/t/+/cmd\n' >> "$REMOTE_MQTT_DIR/acl"
lines=$(wc -l < "$work/mosquitto.log")
kill -HUP "$REMOTE_BROKER_PID"
remote_stack_wait_line "$work/mosquitto.log" 'Reloading config' "$((lines + 1))"
lines=$(wc -l < "$work/mosquitto.log")
mosquitto_sub -h 127.0.0.1 -p "$REMOTE_MQTT_PORT" --cafile "$REMOTE_MQTT_DIR/ca.crt" \
  --cert "$work/counter/terminal.crt" --key "$work/counter/terminal.key" \
  -i CMD-COUNTER -q 1 -v -t 'ff/v1/t/+/cmd' > "$work/commands.out" &
pids+=($!)
remote_stack_wait_line "$work/mosquitto.log" 'as CMD-COUNTER ' "$((lines + 1))"
# The swarm: NET-0003 and NET-0004 fail (wave 1 of the first campaign), NET-0017..0019 too.
# NET-0037..0040 have credentials but stay away (offline terminals).
"${sim[@]}" networked --swarm 36 --credentials "$work/credentials" --port "$REMOTE_MQTT_PORT" \
  --fail NET-0003,NET-0004,NET-0017,NET-0018,NET-0019 --verbose > "$work/swarm.log" 2>&1 &
swarm_pid=$!
pids+=("$swarm_pid")
remote_stack_wait_line "$work/swarm.log" 'swarm: 36 terminals connected, 5 will fail'

# The upgrade commands the broker carried for campaign $1 (ack commands are not counted).
upgrades () {
  python3 - "$work/commands.out" "$1" <<'PY'
import base64, json, sys, collections
seen = collections.Counter()
for line in open(sys.argv[1]):
    topic, payload = line.rstrip('\n').split(' ', 1)
    doc = json.loads(base64.b64decode(json.loads(payload)['document']))
    if doc['kind'] == 'upgrade' and doc.get('campaign_id') == sys.argv[2]:
        seen[doc['command_id']] += 1
print(len(seen), max(seen.values()) if seen else 0)
PY
}
# Per terminal of campaign $1: the distinct upgrade command IDs the broker carried ("ID:N …").
commands_per_terminal () {
  python3 - "$work/commands.out" "$1" <<'PY'
import base64, json, sys, collections
ids = collections.defaultdict(set)
for line in open(sys.argv[1]):
    topic, payload = line.rstrip('\n').split(' ', 1)
    doc = json.loads(base64.b64decode(json.loads(payload)['document']))
    if doc['kind'] == 'upgrade' and doc.get('campaign_id') == sys.argv[2]:
        ids[doc['device_id']].add(doc['command_id'])
print(' '.join('%s:%d' % (d, len(ids[d])) for d in sorted(ids)))
PY
}
wait_campaign () {
  remote_stack_wait_line "$work/platform.log" "Campaign $1 $2"
}

echo "== three waves, failures below the threshold: complete"
remote_platform campaigns create --firmware V2.00 \
  --terminals NET-0001,NET-0002,NET-0003,NET-0004,NET-0005,NET-0006,NET-0007,NET-0008,NET-0009,NET-0010 \
  --waves 20%,50%,100% --max-failures 3 > /dev/null
remote_platform campaigns start C1 > /dev/null
wait_campaign C1 complete
[ "$(show C1 "c['state']")" = complete ] || fail "C1 not complete"
[ "$(show C1 "c['terminals']['succeeded'], c['terminals']['failed']")" = "8 2" ] \
  || fail "C1 counts $(show C1 "c['terminals']")"
[ "$(show C1 "[w['terminals']['succeeded'] + w['terminals']['failed'] for w in c['wave_list']]")" \
  = "[2, 3, 5]" ] || fail "C1 waves"
show C1 "[t for w in c['wave_list'] for t in w['terminal_list'] if t['device_id'] == 'NET-0003'][0]" \
  | grep -q "'step': 'install-program'" || fail "the failure's step is not kept"
[ "$(upgrades C1)" = "10 1" ] || fail "C1 commands on the broker: $(upgrades C1)"
# What arrives together (a wave's PUBACKs, its results) is stored together: fewer durable commits
# than messages stored.
curl -sS --cacert "$REMOTE_PLATFORM_DIR/tls.crt" "$REMOTE_PLATFORM_URL/metrics" > "$work/metrics"
stored=$(sed -n 's/^fieldflash_mqtt_messages_stored_total //p' "$work/metrics")
commits=$(sed -n 's/^fieldflash_mqtt_commits_total //p' "$work/metrics")
[ -n "$stored" ] && [ -n "$commits" ] && [ "$stored" -ge 20 ] && [ "$commits" -lt "$stored" ] \
  || fail "MQTT messages stored ${stored:-?} in ${commits:-?} commits"

echo "== failures reach the threshold: halted in that wave, nothing sent after"
# NET-0011..0020 in waves of 2, 3, 5: the 3 failures of NET-0017..0019 are in wave 3.
remote_platform campaigns create --firmware V2.00 --running-version V1.00 \
  --terminals NET-0011,NET-0012,NET-0013,NET-0014,NET-0015,NET-0016,NET-0017,NET-0018,NET-0019,NET-0020 \
  --waves 20%,50%,100% --max-failures 2 > /dev/null 2>&1 && fail "--terminals with --running-version"
remote_platform campaigns create --firmware V2.00 \
  --terminals NET-0011,NET-0012,NET-0013,NET-0014,NET-0015,NET-0016,NET-0017,NET-0018,NET-0019,NET-0020,NET-0021,NET-0022,NET-0023,NET-0024,NET-0025,NET-0026,NET-0027,NET-0028,NET-0029,NET-0030 \
  --waves 10%,25%,50%,100% --max-failures 2 > /dev/null
remote_platform campaigns start C2 > /dev/null
wait_campaign C2 'halted'
[ "$(show C2 "c['state'], c['current_wave']")" = "paused 3" ] || fail "C2 $(show C2 "c['state'], c['current_wave']")"
show C2 "c['halt_reason']" | grep -q "terminals failed, the threshold is 2" || fail "no reason"
# Waves 1-3 (2 + 3 + 5 terminals) were sent, wave 4's ten never.
[ "$(show C2 "c['wave_list'][3]['terminals']['pending']")" = 10 ] || fail "wave 4 touched"
[ "$(upgrades C2)" = "10 1" ] || fail "C2 commands on the broker: $(upgrades C2)"
# /metrics: the campaign gauges.
curl -sS --cacert "$REMOTE_PLATFORM_DIR/tls.crt" "$REMOTE_PLATFORM_URL/metrics" > "$work/metrics"
grep -qx 'fieldflash_campaigns{state="paused"} 1' "$work/metrics" || fail "no paused gauge"
grep -qx 'fieldflash_campaigns{state="complete"} 1' "$work/metrics" || fail "no complete gauge"
grep -qx 'fieldflash_campaign_terminals{campaign="C2",state="failed"} 3' "$work/metrics" \
  || fail "no terminals gauge: $(grep campaign_terminals "$work/metrics")"
grep -qx 'fieldflash_campaign_terminals{campaign="C2",state="pending"} 10' "$work/metrics" \
  || fail "no pending gauge"

echo "== resumed by an operator: the failures so far are accepted, the last wave follows"
remote_platform campaigns resume C2 > /dev/null
wait_campaign C2 complete
[ "$(show C2 "c['state'], c['terminals']['succeeded'], c['terminals']['failed']")" \
  = "complete 17 3" ] || fail "C2 after resume: $(show C2 "c['state'], c['terminals']")"
[ "$(upgrades C2)" = "20 1" ] || fail "C2 commands after resume: $(upgrades C2)"

echo "== kill -9 of the platform during a wave: no command twice, none lost, no result lost"
# Four kills in three waves of two: from outside as soon as the first wave started (its commands
# claimed and published, or not yet), then by serve's own fault hook at the worst moments — once
# after claiming a round and before publishing it (the record says published, the broker never
# got it: a daemon that trusts the record loses those commands, their terminals end offline), then
# twice when the broker's acknowledgements of a round arrived, none stored (a daemon that publishes
# what it has not recorded as sent sends them twice). Each restart asks the broker which claimed
# commands it holds before it publishes anything.
remote_platform campaigns create --firmware V2.00 \
  --terminals NET-0031,NET-0032,NET-0033,NET-0034,NET-0035,NET-0036 --waves 33%,66%,100% \
  --max-failures 1 > /dev/null
lines=$(wc -l < "$work/platform.log")
# The swarm is held (SIGSTOP) until that first kill: a slow test must not see wave 1 complete and
# wave 2 start before it kills, which would leave one round too few for the fault hooks below.
kill -STOP "$swarm_pid"
remote_platform campaigns start C3 > /dev/null
remote_stack_wait_line "$work/platform.log" 'Campaign C3: wave 1 started' "$((lines + 1))"
remote_stack_kill_platform KILL
kill -CONT "$swarm_pid"
# In serve's log after line $1: killed by the fault hook ($2); the check of the commands claimed
# and not acknowledged, ending as $2 says.
killed_by_hook () {
  grep -q "FIELDFLASH_PLATFORM_FAULT: killed $2" <(tail -n +"$(($1 + 1))" "$work/platform.log")
}
checked () {
  grep -Eq "MQTT: of [0-9]+ commands claimed and not acknowledged, $2" \
    <(tail -n +"$(($1 + 1))" "$work/platform.log")
}
for fault in kill-after-claim=2 kill-after-puback=2 kill-after-puback=2; do
  lines=$(wc -l < "$work/platform.log")
  FIELDFLASH_PLATFORM_FAULT=$fault remote_stack_start_platform
  # (A daemon that lost the round claimed before the last kill waits here in vain.)
  remote_stack_wait_line "$work/platform.log" 'FIELDFLASH_PLATFORM_FAULT: killed' "$((lines + 1))"
  remote_stack_wait_killed "serve was not killed ($fault)"
  REMOTE_PLATFORM_PID=
  case $fault in
    kill-after-claim=*)
      killed_by_hook "$lines" 'after claiming' || fail "$fault: not killed by the fault hook"
      claimed_at=$lines ;;
    *)
      killed_by_hook "$lines" 'at the broker' || fail "$fault: not killed by the fault hook"
      # After the kill at the claim, the broker holds neither of the round's two commands (they
      # are published now); after a kill at their PUBACKs, it holds those whose PUBACK was not
      # stored (not published again).
      if [ -n "${claimed_at:-}" ]; then
        checked "$lines" '0 reached the broker, 2 are published now' \
          || fail "the commands claimed before the kill were not published"
        claimed_at=
        acked_at=$lines
      elif [ -n "${acked_at:-}" ]; then
        checked "$lines" '[0-9]+ reached the broker, 0 are published now' \
          || fail "the commands acknowledged before the kill were not found"
      fi ;;
  esac
done
lines=$(wc -l < "$work/platform.log")
remote_stack_start_platform
wait_campaign C3 complete
[ "$(show C3 "c['terminals']['succeeded']")" = 6 ] || fail "C3 $(show C3 "c['terminals']")"
expected="NET-0031:1 NET-0032:1 NET-0033:1 NET-0034:1 NET-0035:1 NET-0036:1"
[ "$(commands_per_terminal C3)" = "$expected" ] \
  || fail "C3 commands per terminal: $(commands_per_terminal C3)"
[ "$(upgrades C3)" = "6 1" ] || fail "C3 commands on the broker: $(upgrades C3)"
for id in NET-0031 NET-0032 NET-0033 NET-0034 NET-0035 NET-0036; do
  [ "$(remote_platform remote results "$id" | wc -l)" = 1 ] || fail "results of $id"
  [ "$(grep -c "^$id: command " "$work/swarm.log")" = 1 ] || fail "$id executed twice"
done
# The last start found the last round's commands at the broker as well.
checked "$lines" '[0-9]+ reached the broker, 0 are published now' \
  || fail "the last start did not find the acknowledged commands"

echo "== tablet-only terminals become tablet work when their wave starts"
# NET-0037 (wave 1) is away: its wave ends when it counts as offline, after 5 s.
remote_platform campaigns create --firmware V2.00 --terminals NET-0041,NET-0037 \
  --waves 50%,100% --max-failures 1 --offline-after 5s > /dev/null
[ "$(show C4 "' '.join(t['device_id'] + ':' + t['link'] for w in c['wave_list'] for t in w['terminal_list'])")" \
  = "NET-0037:mqtt NET-0041:offline" ] || fail "C4 not networked first"
echo 123456 | remote_platform technicians add --phone 13800138000 --name Tech > /dev/null
openssl genpkey -algorithm ed25519 -out "$work/tablet.pem" 2> /dev/null
openssl pkey -in "$work/tablet.pem" -pubout -out "$work/tablet.pub.pem"
remote_platform handhelds add TAB-0001 --pubkey "$work/tablet.pub.pem" > /dev/null
lines=$(wc -l < "$work/platform.log")
remote_platform campaigns start C4 > /dev/null
if remote_platform campaigns tasks C4 --technician 13800138000 --handheld TAB-0001 \
     > "$work/out" 2>&1; then
  # Only when wave 2 started already (the engine may be that quick): then it is the task.
  grep -q "for 1 terminals of campaign C4" "$work/out" || fail "$(cat "$work/out")"
else
  grep -q "no tablet work in the waves started so far" "$work/out" || fail "$(cat "$work/out")"
  remote_stack_wait_line "$work/platform.log" 'Campaign C4: wave 2 started, 0 commands' \
    "$((lines + 1))"
  remote_platform campaigns tasks C4 --technician 13800138000 --handheld TAB-0001 > "$work/out"
fi
task=$(sed -n 's/^Created task \([^ ]*\) for 1 terminals of campaign C4.*/\1/p' "$work/out")
[ -n "$task" ] || fail "no task: $(cat "$work/out")"
[ "$(show C4 "c['wave_list'][1]['terminal_list'][0]['state'], c['wave_list'][1]['terminal_list'][0]['task_id']")" \
  = "sent $task" ] || fail "NET-0041 not sent by $task"
python3 -c "import json, sys; d = json.load(open(sys.argv[1])); print([i['device_id'] for i in d['items']], d['items'][0]['target']['version'])" \
  "$REMOTE_PLATFORM_DIR/tasks/$task.json" | grep -qx "\['NET-0041'\] V2.00" || fail "task document"
if remote_platform campaigns tasks C4 --technician 13800138000 --handheld TAB-0001 \
     > /dev/null 2>&1; then
  fail "tablet work given twice"
fi
[ "$(show C4 "c['state'], c['current_wave']")" = "running 2" ] || fail "C4 $(show C4 "c['state']")"

echo "== firmware withdrawn mid-campaign: nothing more is sent"
# NET-0039 (wave 1) is away: its wave ends when it counts as offline, after 5 s; meanwhile the
# firmware is withdrawn, so wave 2 (NET-0040) is never sent.
remote_platform campaigns create --firmware V2.00 --terminals NET-0039,NET-0040 --waves 50%,100% \
  --max-failures 1 --offline-after 5s > /dev/null
lines=$(wc -l < "$work/platform.log")
remote_platform campaigns start C5 > /dev/null
remote_stack_wait_line "$work/platform.log" 'Campaign C5: wave 1 started, 1 commands' "$((lines + 1))"
remote_platform firmware withdraw V2.00 > /dev/null
wait_campaign C5 'halted: Firmware V2.00 for Acme DTU-3000 was withdrawn'
[ "$(show C5 "c['state'], c['wave_list'][0]['terminals']['offline'], c['wave_list'][1]['terminals']['pending']")" \
  = "paused 1 1" ] || fail "C5 $(show C5 "c")"
[ "$(upgrades C5)" = "1 1" ] || fail "C5 commands on the broker: $(upgrades C5)"

echo "PASS"
