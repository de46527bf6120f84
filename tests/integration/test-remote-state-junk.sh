#!/bin/bash
# A terminal's retained state that is no state document of that terminal (junk, another
# terminal's, another format, an emptied retained message) does not replace the last good one:
# against a real Mosquitto and `fieldflash-platform serve` on 127.0.0.1, mosquitto_pub playing the
# terminal with its certificate. The junk is logged and counted in /metrics; `terminals show`
# keeps showing the good state. A message larger than any document does not get past the broker;
# junk progress is counted and logged; what the broker queues for serve while it is away is bounded.
set -euo pipefail
source "${FIELDFLASH_SOURCEDIR:?}/tests/support/remote-stack.sh"
work=$(mktemp -d /tmp/ff-state-junk-XXXXXX)
trap 'remote_stack_finish "$work"' EXIT
fail () { echo "FAIL: $*" >&2; tail -n 20 "$work/platform.log" >&2 || true; exit 1; }

remote_stack_start "$work"
remote_stack_add_terminal DTU-0001

# Publishes $1 as DTU-0001's retained state and waits for serve's word on it ($2: a pattern);
# $since is the log's length before.
publish_state () {
  local lines
  lines=$(wc -l < "$work/platform.log")
  since=$lines
  remote_stack_as_terminal DTU-0001 mosquitto_pub -q 1 -r -t ff/v1/t/DTU-0001/state -m "$1"
  remote_stack_wait_line "$work/platform.log" "$2" "$((lines + 1))"
}
refused () {
  curl -sS --cacert "$REMOTE_PLATFORM_DIR/tls.crt" "$REMOTE_PLATFORM_URL/metrics" \
    | sed -n 's/^fieldflash_mqtt_states_refused_total //p'
}
good='^Link: mqtt; credentials: issued; state: online, idle, .*main-program V2.00'
expect_good () {
  remote_platform terminals show DTU-0001 > "$work/show.out" || fail "terminals show"
  grep -q "$good" "$work/show.out" || fail "$1: $(grep '^Link' "$work/show.out")"
}

publish_state '{"format_version":1,"device_id":"DTU-0001","online":true,"agent_state":"idle","command_id":null,"layout":"ab","slot":"a","versions":{"kernel":null,"rootfs":null,"main-program":"V2.00","updater":null},"time":"2026-12-06T10:00:00Z"}' \
  'the state of DTU-0001 is kept'
expect_good "the good state"

n=0
for junk in 'not json at all' '["an array"]' \
  '{"format_version":1,"device_id":"DTU-0002","online":false}' \
  '{"format_version":2,"device_id":"DTU-0001","online":false}' \
  '{"device_id":"DTU-0001","online":false}' ''; do
  echo "== junk: $junk"
  publish_state "$junk" 'the state of DTU-0001 (is kept|was not kept)'
  n=$((n + 1))
  expect_good "after '$junk'"
  tail -n +"$((since + 1))" "$work/platform.log" \
    | grep -q 'the state of DTU-0001 was not kept .*: the last good one stays' \
    || fail "log: $(tail -n +"$((since + 1))" "$work/platform.log")"
  [ "$(refused)" = "$n" ] || fail "/metrics after '$junk': $(refused)"
done

# A message larger than any document (here 200 KB, retained) never gets past the broker: it
# disconnects the terminal at the packet's header (its log says why), keeps nothing and passes
# nothing on — it kept up to 256 MiB a topic and sent it to the platform at every subscription.
head -c 200000 /dev/zero | tr '\0' ' ' > "$work/huge"
lines=$(wc -l < "$work/mosquitto.log")
before=$(wc -l < "$work/platform.log")
if remote_stack_as_terminal DTU-0001 mosquitto_pub -q 1 -r -t ff/v1/t/DTU-0001/state \
    -f "$work/huge"; then
  fail "the broker took a 200 KB message"
fi
remote_stack_wait_line "$work/mosquitto.log" 'disconnected due to oversize packet' "$((lines + 1))"
publish_state '{"format_version":1,"device_id":"DTU-0001","online":true,"agent_state":"idle","command_id":null,"layout":"ab","slot":"a","versions":{"kernel":null,"rootfs":null,"main-program":"V2.00","updater":null},"time":"2026-12-06T11:00:00Z"}' \
  'the state of DTU-0001 is kept'
tail -n +"$((before + 1))" "$work/platform.log" | grep 'too large' \
  && fail "the platform got the 200 KB message"
[ "$(refused)" = "$n" ] || fail "/metrics after the 200 KB message: $(refused)"
expect_good "after the 200 KB message"

# Progress that is no progress of DTU-0001 is counted and logged too (it was dropped without a
# word), but logged once a minute at most: a terminal may send junk progress as fast as its link
# goes, and a line for each would fill the log. The state published after it says when serve has
# read them all.
progress_refused () {
  curl -sS --cacert "$REMOTE_PLATFORM_DIR/tls.crt" "$REMOTE_PLATFORM_URL/metrics" \
    | sed -n 's/^fieldflash_mqtt_progress_refused_total //p'
}
before=$(wc -l < "$work/platform.log")
m=0
for junk in 'not json at all' '["an array"]' \
  '{"device_id":"DTU-0002","command_id":"00000000000000000000000000000000","step":"download"}' \
  '{"device_id":"DTU-0001","step":"download"}'; do
  remote_stack_as_terminal DTU-0001 mosquitto_pub -q 1 -t ff/v1/t/DTU-0001/progress -m "$junk"
  m=$((m + 1))
done
publish_state '{"format_version":1,"device_id":"DTU-0001","online":true,"agent_state":"idle","command_id":null,"layout":"ab","slot":"a","versions":{"kernel":null,"rootfs":null,"main-program":"V2.00","updater":null},"time":"2026-12-06T12:00:00Z"}' \
  'the state of DTU-0001 is kept'
[ "$(progress_refused)" = "$m" ] || fail "/metrics after the junk progress: $(progress_refused)"
[ "$(tail -n +"$((before + 1))" "$work/platform.log" \
     | grep -c 'a progress of DTU-0001 was not kept (not a JSON object); 0 more')" = 1 ] \
  || fail "log: $(tail -n +"$((before + 1))" "$work/platform.log")"
[ "$(tail -n +"$((before + 1))" "$work/platform.log" | grep -c 'a progress of')" = 1 ] \
  || fail "junk progress logged more than once: $(tail -n +"$((before + 1))" "$work/platform.log")"

# While serve is away, the broker queues what arrives for its session, but not without bound:
# 1,200 messages of 60 KB at QoS 1 (72 MB) pass the 64 MiB it keeps for a client, and the broker
# drops the rest (it queued them all: up to a million such messages, 69 GB, for one terminal).
remote_stack_kill_platform TERM
python3 -c '
line = "{\"device_id\":\"DTU-0001\",\"padding\":\"" + " " * 60000 + "\"}"
for _ in range(1200): print(line)' > "$work/queued"
lines=$(wc -l < "$work/mosquitto.log")
remote_stack_as_terminal DTU-0001 mosquitto_pub -q 1 -l -t ff/v1/t/DTU-0001/progress < "$work/queued"
tail -n +"$((lines + 1))" "$work/mosquitto.log" \
  | grep -q 'Outgoing messages are being dropped for client fieldflash-platform' \
  || fail "the broker queued 72 MB for serve"
echo "PASS"
