#!/bin/bash
# The platform's side of remote upgrades against a real Mosquitto and `fieldflash-platform serve`
# on 127.0.0.1, with mosquitto_sub/mosquitto_pub playing the terminals (their certificates) and
# ff-remote-tool signing and checking their documents: the ACL, a signed command, a result ingested
# once and acknowledged, a forged result refused, the agent's HTTPS endpoints (package with Range,
# scheduled query with the blacklist, answered with the command already sent), no second command to
# a firmware while one is out, a command recorded but not sent (the broker away, the
# daemon killed) sent exactly once by the next `serve`, a result whose `serve` was killed between its
# check and its commit neither stored nor acknowledged until it is sent again, then killed between
# its commit and its ack stored once and acknowledged when sent again, and one claimed by a
# killed `serve` published by the next when the broker's ACL (an older one) does not let it check.
set -euo pipefail
source "${FIELDFLASH_SOURCEDIR:?}/tests/support/remote-stack.sh"
tool=("${remote_stack_wrapper[@]}" "$FIELDFLASH_BUILDDIR/tests/support/ff-remote-tool")
work=$(mktemp -d /tmp/ff-remote-XXXXXX)
trap 'remote_stack_finish "$work"' EXIT
fail () { echo "FAIL: $*" >&2; tail -n 20 "$work/platform.log" >&2 || true; exit 1; }

remote_stack_start "$work"
for id in DTU-0001 DTU-0002 DTU-0003 DTU-0004; do remote_stack_add_terminal "$id"; done
creds=$work/credentials

# A subscriber of terminal $1 (client ID $2, a persistent session) to its topics $3…, taking $N
# messages into $work/$1.out ("TOPIC PAYLOAD" lines); waits until the broker has it. It is a
# connection beside the terminal's own (the publishers here), on the platform's listener. The broker's
# retained copy of the topic's last command or ack, delivered at each subscription, is left out
# (-R): only what is published from then on (or queued in the session) counts.
subscribe () {
  local who=$1 id=$2 count=$3 lines
  shift 3
  lines=$(wc -l < "$work/mosquitto.log")
  local topics=()
  for topic in "$@"; do topics+=(-t "$topic"); done
  remote_stack_as_terminal_aside "$who" mosquitto_sub -i "$id" -c -q 1 -v -R -C "$count" "${topics[@]}" \
    > "$work/$who.out" &
  remote_stack_pids+=($!)
  remote_stack_wait_line "$work/mosquitto.log" "as $id " "$((lines + 1))"
}
# The payload of message $2 (1-based) of $work/$1.out, and its topic.
payload () { sed -n "${2}p" "$work/$1.out" | cut -d' ' -f2-; }
topic () { sed -n "${2}p" "$work/$1.out" | cut -d' ' -f1; }

# Terminal $1 answers its command $2 with a signed failed result (still on V1.00), and waits
# until serve stored it.
answer_failed () {
  local failed_id
  "${tool[@]}" sign-result "$creds/$1/terminal.key" "$1" "$2" failed V1.00 > "$work/failed-$1.json"
  failed_id=$(python3 -c 'import base64, json, sys; d = json.load(open(sys.argv[1])); print(json.loads(base64.b64decode(d["document"]))["result_id"])' "$work/failed-$1.json")
  lines=$(wc -l < "$work/platform.log")
  remote_stack_as_terminal "$1" mosquitto_pub -q 1 -t "ff/v1/t/$1/result" -f "$work/failed-$1.json"
  remote_stack_wait_line "$work/platform.log" "result $failed_id of $1: failed\$" "$((lines + 1))"
}
# A package (a main program V2.00) registered as firmware V2.00 of the Acme DTU-3000.
printf '#!/bin/sh\necho V2.00\n' > "$work/main-program"
remote_platform packages build --vendor Acme --model DTU-3000 --hardware HV1.0 --version V2.00 \
  --main-program "$work/main-program" --main-program-version V2.00 -o "$work/v2.ffpkg" > /dev/null
remote_platform firmware add "$work/v2.ffpkg" --version V9.99 2> "$work/refused.err" \
  && fail "firmware add took a version its package's manifest does not give"
grep -q "manifest says otherwise" "$work/refused.err" || fail "$(cat "$work/refused.err")"
remote_platform firmware add "$work/v2.ffpkg" > /dev/null
sha=$(sha256sum "$work/v2.ffpkg" | cut -d' ' -f1)
remote_platform blacklist add V2.00 DTU-0003 > /dev/null

echo "== the ledger's optional link column, all rows or none"
header=device_id,name,latitude,longitude,vendor,model,hardware_version,software_version,software_checksum,host,port,common_address,profile,link
row="Terminal,39.9,116.4,Acme,DTU-3000,HV1.0,V1.00,,127.0.0.1,2404,1,state-grid"
printf '%s\nDTU-0005,%s,mqtt\nDTU-0006,%s,radio\n' "$header" "$row" "$row" > "$work/bad-link.csv"
if remote_platform terminals import "$work/bad-link.csv" 2> "$work/import.err"; then fail "link radio"; fi
grep -q 'line 3: the link must be offline or mqtt' "$work/import.err" || fail "$(cat "$work/import.err")"
remote_platform terminals show DTU-0005 2> /dev/null && fail "DTU-0005 imported from a refused file"
printf '%s\nDTU-0005,%s,mqtt\nDTU-0006,%s,offline\n' "$header" "$row" "$row" > "$work/link.csv"
remote_platform terminals import "$work/link.csv" | grep -q '2 added' || fail "import with links"
remote_platform terminals show DTU-0005 | grep -q '^Link: mqtt;' || fail "DTU-0005 not mqtt"
remote_platform terminals show DTU-0006 | grep -q '^Link: offline;' || fail "DTU-0006 not offline"
remote_platform terminals import "$work/link.csv" | grep -q '2 unchanged' || fail "import again"
sed -i 's/,offline$/,mqtt/' "$work/link.csv"
remote_platform terminals import "$work/link.csv" 2> /dev/null && fail "a link changed without --update"
remote_platform terminals import --update "$work/link.csv" | grep -q '1 updated' || fail "--update"
remote_platform terminals show DTU-0006 | grep -q '^Link: mqtt;' || fail "DTU-0006 not mqtt"
# Linked, but without credentials: refused, and so is every terminal named with it.
remote_platform remote upgrade DTU-0004 DTU-0005 --firmware V2.00 2> "$work/refused.err" \
  && fail "a terminal without credentials was sent a command"
grep -q 'Terminal DTU-0005 has no credentials' "$work/refused.err" || fail "$(cat "$work/refused.err")"
# A terminal named twice and a version without firmware for its hardware: refused (the same
# refusals as a campaign's), so no command for DTU-0004 either.
remote_platform remote upgrade DTU-0004 DTU-0001 DTU-0004 --firmware V2.00 2> "$work/refused.err" \
  && fail "a terminal named twice was sent a command"
grep -q 'Terminal DTU-0004 is named twice' "$work/refused.err" || fail "$(cat "$work/refused.err")"
remote_platform remote upgrade DTU-0004 --firmware V9.99 2> "$work/refused.err" \
  && fail "a terminal was sent a command for a version without firmware"
grep -q 'There is no firmware V9.99 for Acme DTU-3000 (terminal DTU-0004)' "$work/refused.err" \
  || fail "$(cat "$work/refused.err")"

echo "== ACL: a terminal reads only its own commands"
# DTU-0001 subscribes to DTU-0002's command topic too; the command for DTU-0002 goes first.
subscribe DTU-0001 DTU-0001-sub 1 ff/v1/t/DTU-0002/cmd ff/v1/t/DTU-0001/cmd
subscribe DTU-0002 DTU-0002-sub 1 ff/v1/t/DTU-0002/cmd
remote_platform remote upgrade DTU-0002 --firmware V2.00 > "$work/upgrade-2.out"
ff_test_wait_pid "${remote_stack_pids[1]}"
command_2=$(sed -n 's/^DTU-0002: command \([0-9a-f]*\) .*/\1/p' "$work/upgrade-2.out")
remote_platform remote upgrade DTU-0001 --firmware V2.00 > "$work/upgrade.out"
ff_test_wait_pid "${remote_stack_pids[0]}"
[ "$(topic DTU-0001 1)" = ff/v1/t/DTU-0001/cmd ] || fail "DTU-0001 read $(topic DTU-0001 1)"

echo "== the command is signed by the platform, for this terminal and this package"
command_id=$(sed -n 's/^DTU-0001: command \([0-9a-f]*\) .*/\1/p' "$work/upgrade.out")
checked=$(payload DTU-0001 1 | "${tool[@]}" verify-command "$creds/DTU-0001/platform.pub.pem" DTU-0001)
[ "$checked" = "upgrade $command_id $sha" ] || fail "command: $checked"
if payload DTU-0001 1 | "${tool[@]}" verify-command "$creds/DTU-0001/platform.pub.pem" DTU-0002 \
     2> /dev/null; then
  fail "a command for DTU-0001 was taken for DTU-0002"
fi

echo "== ACL: a terminal writes only its own results"
# The platform's identity listens to every result; DTU-0001 writes DTU-0002's topic, then its own.
lines=$(wc -l < "$work/mosquitto.log")
mosquitto_sub -h 127.0.0.1 -p "$REMOTE_MQTT_PLATFORM_PORT" --cafile "$REMOTE_MQTT_DIR/ca.crt" \
  --cert "$REMOTE_MQTT_DIR/platform-client.crt" --key "$REMOTE_MQTT_DIR/platform-client.key" \
  -i acl-watch -v -C 1 -t 'ff/v1/t/+/result' > "$work/watch.out" &
remote_stack_pids+=($!)
remote_stack_wait_line "$work/mosquitto.log" "as acl-watch " "$((lines + 1))"
remote_stack_as_terminal DTU-0001 mosquitto_pub -q 1 -t ff/v1/t/DTU-0002/result -m intruder
remote_stack_as_terminal DTU-0001 mosquitto_pub -q 1 -t ff/v1/t/DTU-0001/result -m own
ff_test_wait_pid "${remote_stack_pids[2]}"
[ "$(cat "$work/watch.out")" = "ff/v1/t/DTU-0001/result own" ] || fail "watch: $(cat "$work/watch.out")"

echo "== a result published twice is stored once, acknowledged each time, and lands in history"
subscribe DTU-0001 DTU-0001-sub 2 ff/v1/t/DTU-0001/cmd
"${tool[@]}" sign-result "$creds/DTU-0001/terminal.key" DTU-0001 "$command_id" succeeded V2.00 \
  > "$work/result.json"
result_id=$(python3 -c 'import base64, json, sys; d = json.load(open(sys.argv[1])); print(json.loads(base64.b64decode(d["document"]))["result_id"])' "$work/result.json")
remote_stack_as_terminal DTU-0001 mosquitto_pub -q 1 -t ff/v1/t/DTU-0001/result -f "$work/result.json"
remote_stack_as_terminal DTU-0001 mosquitto_pub -q 1 -t ff/v1/t/DTU-0001/result -f "$work/result.json"
ff_test_wait_pid "${remote_stack_pids[3]}"
for n in 1 2; do
  checked=$(payload DTU-0001 "$n" | "${tool[@]}" verify-command "$creds/DTU-0001/platform.pub.pem" DTU-0001)
  [[ $checked == "ack "*" $result_id" ]] || fail "ack $n: $checked"
done
[ "$(remote_platform remote results DTU-0001 | grep -c "$result_id")" = 1 ] || fail "results"
remote_platform history DTU-0001 | grep -q 'V1.00.*V2.00.*remote' || fail "history: $(remote_platform history DTU-0001)"
remote_platform terminals list | grep -q $'DTU-0001\t.*\tV2.00\t' || fail "ledger not on V2.00"

# The terminal's page: its retained state (published as the agent would), the result beside reports.
remote_stack_as_terminal DTU-0001 mosquitto_pub -q 1 -r -t ff/v1/t/DTU-0001/state \
  -m '{"format_version":1,"device_id":"DTU-0001","online":true,"agent_state":"idle","command_id":null,"layout":"ab","slot":"a","versions":{"kernel":null,"rootfs":null,"main-program":"V2.00","updater":null},"time":"2026-12-06T10:00:00Z"}'
# The result again after it: the daemon reads the state first (one connection, in order). It is
# stored already, byte for byte: acknowledged again without a second signature check.
repeated () {
  curl -sS --cacert "$REMOTE_PLATFORM_DIR/tls.crt" "$REMOTE_PLATFORM_URL/metrics" \
    | sed -n 's/^fieldflash_remote_results_repeated_total //p'
}
before=$(repeated)
[ -n "$before" ] || fail "/metrics: no remote_results_repeated_total"
lines=$(wc -l < "$work/platform.log")
remote_stack_as_terminal DTU-0001 mosquitto_pub -q 1 -t ff/v1/t/DTU-0001/result -f "$work/result.json"
remote_stack_wait_line "$work/platform.log" "result $result_id of DTU-0001: succeeded \\(again\\)" \
  "$((lines + 1))"
[ "$(repeated)" = $((before + 1)) ] || fail "repeated: $before, then $(repeated)"
# The same document with another signature is no repeat: checked, and refused.
python3 - "$work/result.json" > "$work/tampered.json" <<'PY'
import base64, json, sys
d = json.load(open(sys.argv[1]))
signature = bytearray(base64.b64decode(d["signature"]))
signature[0] ^= 1
d["signature"] = base64.b64encode(bytes(signature)).decode()
print(json.dumps(d))
PY
lines=$(wc -l < "$work/platform.log")
remote_stack_as_terminal DTU-0001 mosquitto_pub -q 1 -t ff/v1/t/DTU-0001/result -f "$work/tampered.json"
remote_stack_wait_line "$work/platform.log" 'refused a result on the topic of DTU-0001: .*signature' \
  "$((lines + 1))"
[ "$(repeated)" = $((before + 1)) ] || fail "a tampered result counted as repeated"
remote_platform terminals show DTU-0001 > "$work/show.out"
grep -q '^Link: mqtt; credentials: issued; state: online, idle, .*main-program V2.00' "$work/show.out" \
  || fail "show: $(cat "$work/show.out")"
grep -q "^Remote results: 1" "$work/show.out" && grep -q "$result_id" "$work/show.out" \
  || fail "show: $(cat "$work/show.out")"

echo "== an older version needs --rollback, and goes as a signed rollback command"
printf '#!/bin/sh\necho V1.50\n' > "$work/main-program-1.50"
remote_platform packages build --vendor Acme --model DTU-3000 --hardware HV1.0 --version V1.50 \
  --main-program "$work/main-program-1.50" --main-program-version V1.50 -o "$work/v1.50.ffpkg" > /dev/null
remote_platform firmware add "$work/v1.50.ffpkg" > /dev/null
sha150=$(sha256sum "$work/v1.50.ffpkg" | cut -d' ' -f1)
remote_platform remote upgrade DTU-0001 --firmware V2.00 2> "$work/refused.err" && fail "V2.00 again"
grep -q 'already runs V2.00' "$work/refused.err" || fail "$(cat "$work/refused.err")"
remote_platform remote upgrade DTU-0001 --firmware V1.50 2> "$work/refused.err" && fail "a downgrade"
grep -q 'older than V2.00' "$work/refused.err" || fail "$(cat "$work/refused.err")"
# The session of DTU-0001 holds the ack of the result sent again above; the rollback comes next.
subscribe DTU-0001 DTU-0001-sub 2 ff/v1/t/DTU-0001/cmd
remote_platform remote upgrade DTU-0001 --firmware V1.50 --rollback > "$work/rollback.out"
ff_test_wait_pid "${remote_stack_pids[-1]}"
rollback_id=$(sed -n 's/^DTU-0001: command \([0-9a-f]*\) .*/\1/p' "$work/rollback.out")
checked=$(payload DTU-0001 2 | "${tool[@]}" verify-command "$creds/DTU-0001/platform.pub.pem" DTU-0001)
[ "$checked" = "rollback $rollback_id $sha150" ] || fail "rollback: $checked"
# The upgrade's result once more (an outbox that missed its ack): the ack reaches the terminal's
# session, and the rollback stays the retained message of its topic — an ack published retained
# replaced it there, and a terminal subscribing anew (its session lost) never got the rollback.
subscribe DTU-0001 DTU-0001-sub 1 ff/v1/t/DTU-0001/cmd
remote_stack_as_terminal DTU-0001 mosquitto_pub -q 1 -t ff/v1/t/DTU-0001/result -f "$work/result.json"
ff_test_wait_pid "${remote_stack_pids[-1]}"
checked=$(payload DTU-0001 1 | "${tool[@]}" verify-command "$creds/DTU-0001/platform.pub.pem" DTU-0001)
[[ $checked == "ack "*" $result_id" ]] || fail "the ack of the result sent once more: $checked"
retained=$(remote_stack_as_terminal DTU-0001 mosquitto_sub -i DTU-0001-anew -q 1 -C 1 \
  -W "$(ff_test_seconds 30)" -t ff/v1/t/DTU-0001/cmd) || fail "nothing retained"
checked=$("${tool[@]}" verify-command "$creds/DTU-0001/platform.pub.pem" DTU-0001 <<< "$retained")
[ "$checked" = "rollback $rollback_id $sha150" ] || fail "retained after the ack again: $checked"

echo "== a forged result (signed with another terminal's key) is refused"
"${tool[@]}" sign-result "$creds/DTU-0002/terminal.key" DTU-0001 "$command_id" failed V9.99 \
  > "$work/forged.json"
lines=$(wc -l < "$work/platform.log")
remote_stack_as_terminal DTU-0001 mosquitto_pub -q 1 -t ff/v1/t/DTU-0001/result -f "$work/forged.json"
remote_stack_wait_line "$work/platform.log" 'refused a result on the topic of DTU-0001' "$((lines + 1))"
[ "$(remote_platform remote results DTU-0001 | wc -l)" = 1 ] || fail "a forged result was stored"
remote_platform terminals list | grep -q $'DTU-0001\t.*\tV2.00\t' || fail "the ledger moved"
curl -sS --cacert "$REMOTE_PLATFORM_DIR/tls.crt" "$REMOTE_PLATFORM_URL/metrics" > "$work/metrics.txt"
for counter in remote_results_ingested_total remote_results_duplicate_total \
               remote_results_refused_total; do
  grep -q "^fieldflash_$counter [1-9]" "$work/metrics.txt" || fail "/metrics: no $counter"
done

echo "== a campaign takes no terminal with a command to its firmware out, unanswered"
# DTU-0002's remote upgrade to V2.00 (above) is out: its wave would send a second command, and the
# agent would install the version twice. Named, it is refused; chosen by the filter, left out.
remote_platform campaigns create --firmware V2.00 --terminals DTU-0002 --waves 100% \
  --max-failures 1 > /dev/null 2> "$work/refused.err" && fail "a campaign took DTU-0002 with its command out"
grep -q "Terminal DTU-0002 has command $command_2 to V2.00 out, not answered yet" \
  "$work/refused.err" || fail "$(cat "$work/refused.err")"
remote_platform campaigns create --firmware V2.00 --below V2.00 --vendor Acme --model DTU-3000 \
  --waves 100% --max-failures 1 > "$work/filtered.out" || fail "campaigns create by vendor and model"
grep -q "^Left out DTU-0002: .*has command $command_2 to V2.00 out" "$work/filtered.out" \
  || fail "DTU-0002 not left out: $(cat "$work/filtered.out")"
remote_platform campaigns cancel C1 > /dev/null
# Answered (the terminal failed it), DTU-0002 may be in a campaign.
answer_failed DTU-0002 "$command_2"

echo "== a terminal's result or progress naming another terminal's command moves nothing of it"
# DTU-0001 signs its own result, but for the command of DTU-0002's campaign: a failure there
# would halt the campaign (--max-failures 1), so one terminal could halt every campaign.
remote_platform campaigns create --firmware V2.00 --terminals DTU-0002 --waves 100% \
  --max-failures 1 > /dev/null
lines=$(wc -l < "$work/platform.log")
remote_platform campaigns start C2 > /dev/null
remote_stack_wait_line "$work/platform.log" 'Campaign C2: wave 1 started, 1 commands' "$((lines + 1))"
campaign_command=$(remote_platform campaigns show C2 --json \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["wave_list"][0]["terminal_list"][0]["command_id"])')
remote_stack_as_terminal DTU-0001 mosquitto_pub -q 1 -t ff/v1/t/DTU-0001/progress \
  -m "{\"format_version\":1,\"device_id\":\"DTU-0001\",\"command_id\":\"$campaign_command\",\"step\":\"install\"}"
"${tool[@]}" sign-result "$creds/DTU-0001/terminal.key" DTU-0001 "$campaign_command" failed V2.00 \
  > "$work/cross.json"
cross_id=$(python3 -c 'import base64, json, sys; d = json.load(open(sys.argv[1])); print(json.loads(base64.b64decode(d["document"]))["result_id"])' "$work/cross.json")
lines=$(wc -l < "$work/platform.log")
remote_stack_as_terminal DTU-0001 mosquitto_pub -q 1 -t ff/v1/t/DTU-0001/result -f "$work/cross.json"
remote_stack_wait_line "$work/platform.log" \
  "refused result $cross_id of DTU-0001: .*which the platform did not send to DTU-0001" \
  "$((lines + 1))"
state=$(remote_platform campaigns show C2 --json \
  | python3 -c 'import json, sys; c = json.load(sys.stdin); print(c["state"], c["wave_list"][0]["terminal_list"][0]["state"])')
[ "$state" = "running sent" ] || fail "DTU-0001 moved DTU-0002's campaign: $state"
remote_platform campaigns cancel C2 > /dev/null

echo "== progress and a retained state with members of the wrong types are read as nothing"
# json-glib's getters are critical on an array or an object where a string or a boolean is asked
# for: serve (progress) and terminals show (the state) died of one under fatal-criticals.
remote_stack_as_terminal DTU-0002 mosquitto_pub -q 1 -t ff/v1/t/DTU-0002/progress \
  -m '{"format_version":1,"device_id":"DTU-0002","command_id":["x"],"step":{}}'
lines=$(wc -l < "$work/platform.log")
remote_stack_as_terminal DTU-0002 mosquitto_pub -q 1 -r -t ff/v1/t/DTU-0002/state \
  -m '{"format_version":1,"device_id":"DTU-0002","online":{},"agent_state":[],"versions":{"main-program":{},"rootfs":5}}'
remote_stack_wait_line "$work/platform.log" "the state of DTU-0002 is kept" "$((lines + 1))"
remote_platform terminals show DTU-0002 > "$work/show.out" || fail "terminals show DTU-0002"
grep -q '^Link: mqtt; credentials: issued; state: offline, -, main-program -, rootfs - (' \
  "$work/show.out" || fail "show: $(cat "$work/show.out")"
! grep -q CRITICAL "$work/platform.log" || fail "serve was critical"

echo "== the package over HTTPS: only for a terminal a command named it to, with Range"
url_path=/api/v1/agent/packages/$sha
get_package () {
  curl -sS --cacert "$REMOTE_PLATFORM_DIR/tls.crt" -o "$work/got" -w '%{http_code}' \
    -H "Authorization: $("${tool[@]}" authorization "$creds/$1/terminal.key" "$1" GET "$url_path")" \
    "${@:2}" "$REMOTE_PLATFORM_URL$url_path"
}
[ "$(get_package DTU-0001)" = 200 ] && cmp -s "$work/got" "$work/v2.ffpkg" || fail "download"
[ "$(get_package DTU-0001 -H 'Range: bytes=100-')" = 206 ] || fail "range"
cmp -s "$work/got" <(tail -c +101 "$work/v2.ffpkg") || fail "the range's bytes"
# DTU-0004 was named with DTU-0005 in a refused remote upgrade: no command was recorded for it.
[ "$(get_package DTU-0004)" = 404 ] || fail "a terminal without a command got the package"
code=$(curl -sS --cacert "$REMOTE_PLATFORM_DIR/tls.crt" -o /dev/null -w '%{http_code}' \
  -H "Authorization: $("${tool[@]}" authorization "$creds/DTU-0002/terminal.key" DTU-0001 GET "$url_path")" \
  "$REMOTE_PLATFORM_URL$url_path")
[ "$code" = 401 ] || fail "a request signed with another terminal's key: $code"

echo "== scheduled query: nothing new for a blacklisted terminal or one on a higher version, the command for another"
# The query of terminal $1 running main program $2 (V1.00 unless given).
query () {
  printf '{"format_version":1,"device_id":"%s","versions":{"kernel":null,"rootfs":null,"main-program":"%s","updater":null}}' "$1" "${2:-V1.00}" > "$work/query.json"
  curl -sS --cacert "$REMOTE_PLATFORM_DIR/tls.crt" -X POST --data-binary @"$work/query.json" \
    -H "Authorization: $("${tool[@]}" authorization "$creds/$1/terminal.key" "$1" POST /api/v1/agent/query "$work/query.json")" \
    "$REMOTE_PLATFORM_URL/api/v1/agent/query"
}
answer=$(query DTU-0003)
[ "$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["update"])' "$answer")" = False ] \
  || fail "blacklisted: $answer"
# A terminal running a version above the newest package (V9.99) is offered nothing: the agent
# would refuse V2.00 as a downgrade, after downloading it.
answer=$(query DTU-0004 V9.99)
[ "$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["update"])' "$answer")" = False ] \
  || fail "V2.00 offered to a terminal on V9.99: $answer"
answer=$(query DTU-0004)
checked=$(python3 -c 'import json, sys; print(json.dumps(json.loads(sys.argv[1])["command"]))' "$answer" \
  | "${tool[@]}" verify-command "$creds/DTU-0004/platform.pub.pem" DTU-0004)
[[ $checked == "upgrade "*" $sha" ]] || fail "query: $answer"
# The same query again (a retry, a replay) gets the same command while it is unanswered: each
# used to sign and store another.
for again in 1 2; do
  answer=$(query DTU-0004)
  rechecked=$(python3 -c 'import json, sys; print(json.dumps(json.loads(sys.argv[1])["command"]))' "$answer" \
    | "${tool[@]}" verify-command "$creds/DTU-0004/platform.pub.pem" DTU-0004)
  [ "$rechecked" = "$checked" ] || fail "query $again more: $rechecked, first $checked"
done
commands=$(sqlite3 "$REMOTE_PLATFORM_DIR/platform.db" \
  "SELECT count(*) FROM remote_commands WHERE device_id = 'DTU-0004'")
[ "$commands" = 1 ] || fail "three queries stored $commands commands"
# A terminal with a command to V2.00 out and unanswered (DTU-0002's from its cancelled campaign,
# retained on its topic and queued in its session) gets it from a query: a command of its own
# would install the version twice, from the answer and from the broker.
commands_2=$(sqlite3 "$REMOTE_PLATFORM_DIR/platform.db" \
  "SELECT command_id FROM remote_commands WHERE device_id = 'DTU-0002' ORDER BY rowid")
[ "$(echo "$commands_2" | tail -n 1)" = "$campaign_command" ] || fail "commands: $commands_2"
answer=$(query DTU-0002)
checked=$(python3 -c 'import json, sys; print(json.dumps(json.loads(sys.argv[1])["command"]))' "$answer" \
  | "${tool[@]}" verify-command "$creds/DTU-0002/platform.pub.pem" DTU-0002)
[[ $checked == "upgrade $campaign_command "* ]] \
  || fail "query of DTU-0002: $checked, not $campaign_command"
[ "$(sqlite3 "$REMOTE_PLATFORM_DIR/platform.db" \
     "SELECT command_id FROM remote_commands WHERE device_id = 'DTU-0002' ORDER BY rowid")" \
  = "$commands_2" ] || fail "the query of DTU-0002 recorded a command"

echo "== credentials issued again replace the key: the old one no longer signs requests"
old_key=$work/old-DTU-0003.key
cp "$creds/DTU-0003/terminal.key" "$old_key"
remote_platform terminals credentials DTU-0003 -o "$creds/DTU-0003" | grep -q '^Replaced the credentials of DTU-0003' \
  || fail "no word of the replaced key"
printf '{"format_version":1,"device_id":"DTU-0003","versions":{"kernel":null,"rootfs":null,"main-program":"V1.00","updater":null}}' > "$work/query.json"
code=$(curl -sS --cacert "$REMOTE_PLATFORM_DIR/tls.crt" -o /dev/null -w '%{http_code}' -X POST \
  --data-binary @"$work/query.json" \
  -H "Authorization: $("${tool[@]}" authorization "$old_key" DTU-0003 POST /api/v1/agent/query "$work/query.json")" \
  "$REMOTE_PLATFORM_URL/api/v1/agent/query")
[ "$code" = 401 ] || fail "the replaced key still signs: $code"
answer=$(query DTU-0003)
[ "$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["update"])' "$answer")" = False ] \
  || fail "the new key: $answer"
# A request signed more than 300 s away from the platform's clock is refused; within, taken. The
# platform reads its clock after the tool signed: that delay (seconds under qemu) moves the request
# away from the platform's time when it is behind and toward it when ahead, hence the margins.
for offset in -301 330; do
  code=$(FF_REMOTE_TOOL_CLOCK_OFFSET=$offset get_package DTU-0001)
  [ "$code" = 401 ] || fail "a request $offset s off: $code"
done
[ "$(FF_REMOTE_TOOL_CLOCK_OFFSET=-250 get_package DTU-0001)" = 200 ] || fail "250 s off refused"

echo "== a second command to a firmware is refused while one is out, unanswered"
# DTU-0004's command to V2.00 from its query (above) is out: another to V2.00 would install it a
# second time (the agent executes each command ID once). Once it is answered, one may go.
query_4=$(sqlite3 "$REMOTE_PLATFORM_DIR/platform.db" \
  "SELECT command_id FROM remote_commands WHERE device_id = 'DTU-0004'")
remote_platform remote upgrade DTU-0004 --firmware V2.00 > /dev/null 2> "$work/refused.err" \
  && fail "a second command to V2.00 for DTU-0004"
grep -q "has command $query_4 to V2.00 out, not answered yet" "$work/refused.err" \
  || fail "$(cat "$work/refused.err")"
answer_failed DTU-0004 "$query_4"

echo "== a command recorded while the broker is away is sent once by the next serve"
remote_stack_kill_broker
if remote_platform remote upgrade DTU-0004 --firmware V2.00 > "$work/away.out" 2> "$work/away.err"; then
  fail "remote upgrade without a broker succeeded"
fi
grep -q 'recorded but not all were sent' "$work/away.err" || fail "$(cat "$work/away.err")"
away_id=$(sed -n 's/^DTU-0004: command \([0-9a-f]*\) .*/\1/p' "$work/away.out")
remote_stack_kill_platform KILL
remote_stack_start_broker
subscribe DTU-0004 DTU-0004-sub 2 ff/v1/t/DTU-0004/cmd
lines=$(wc -l < "$work/platform.log")
remote_stack_start_platform
remote_stack_wait_line "$work/platform.log" "command $away_id sent" "$((lines + 1))"
# Killed and started again: nothing is left to send, so the next message is the ack below.
remote_stack_kill_platform KILL
remote_stack_start_platform
"${tool[@]}" sign-result "$creds/DTU-0004/terminal.key" DTU-0004 "$away_id" succeeded V2.00 \
  > "$work/result4.json"
remote_stack_as_terminal DTU-0004 mosquitto_pub -q 1 -t ff/v1/t/DTU-0004/result -f "$work/result4.json"
ff_test_wait_pid "${remote_stack_pids[-1]}"
checked=$(payload DTU-0004 1 | "${tool[@]}" verify-command "$creds/DTU-0004/platform.pub.pem" DTU-0004)
[ "$checked" = "upgrade $away_id $sha" ] || fail "first message: $checked"
checked=$(payload DTU-0004 2 | "${tool[@]}" verify-command "$creds/DTU-0004/platform.pub.pem" DTU-0004)
[[ $checked == "ack "* ]] || fail "second message (sent twice?): $checked"
echo "== a tampered result among good ones, arriving together, is refused alone"
# One connection, three results in a row (one line each): their signatures are checked in one
# batch; the second's is broken. The first answers DTU-0002's remote upgrade to V1.50, the third
# its campaign's command to V2.00 (a result answers one command of its terminal).
remote_platform remote upgrade DTU-0002 --firmware V1.50 > "$work/upgrade-2-150.out"
command_2_150=$(sed -n 's/^DTU-0002: command \([0-9a-f]*\) .*/\1/p' "$work/upgrade-2-150.out")
for n in 1 2 3; do
  batch_command=$command_2_150 batch_version=V1.50
  [ "$n" = 3 ] && batch_command=$campaign_command batch_version=V2.00
  "${tool[@]}" sign-result "$creds/DTU-0002/terminal.key" DTU-0002 "$batch_command" succeeded \
    "$batch_version" > "$work/batch-$n.json"
done
python3 - "$work"/batch-{1,2,3}.json > "$work/batch.lines" <<'PY'
import base64, json, sys
for n, path in enumerate(sys.argv[1:]):
    d = json.load(open(path))
    if n == 1:
        signature = bytearray(base64.b64decode(d["signature"]))
        signature[10] ^= 1
        d["signature"] = base64.b64encode(bytes(signature)).decode()
    print(json.dumps(d, separators=(",", ":")))
PY
batch_ids=()
for n in 1 2 3; do
  batch_ids+=("$(python3 -c 'import base64, json, sys; d = json.load(open(sys.argv[1])); print(json.loads(base64.b64decode(d["document"]))["result_id"])' "$work/batch-$n.json")")
done
# The batch is checked and committed by a worker thread; the main loop publishes the acks of the
# two good results once it is committed, and none of the tampered one.
subscribe DTU-0002 DTU-0002-batch 2 ff/v1/t/DTU-0002/cmd
lines=$(wc -l < "$work/platform.log")
remote_stack_as_terminal DTU-0002 mosquitto_pub -q 1 -l -t ff/v1/t/DTU-0002/result < "$work/batch.lines"
for n in 0 2; do
  remote_stack_wait_line "$work/platform.log" "result ${batch_ids[n]} of DTU-0002: succeeded\$" \
    "$((lines + 1))"
done
remote_stack_wait_line "$work/platform.log" 'refused a result on the topic of DTU-0002: .*signature' \
  "$((lines + 1))"
remote_platform remote results DTU-0002 > "$work/batch.out"
grep -q "${batch_ids[0]}" "$work/batch.out" && grep -q "${batch_ids[2]}" "$work/batch.out" \
  || fail "the good results of the batch were not stored: $(cat "$work/batch.out")"
grep -q "${batch_ids[1]}" "$work/batch.out" && fail "the tampered result was stored"
ff_test_wait_pid "${remote_stack_pids[-1]}"
for n in 1 2; do
  checked=$(payload DTU-0002 "$n" | "${tool[@]}" verify-command "$creds/DTU-0002/platform.pub.pem" DTU-0002)
  [[ $checked == "ack "*" ${batch_ids[2 * (n - 1)]}" ]] || fail "ack $n of the batch: $checked"
done

echo "== serve killed between a batch's checks and its commit: nothing acknowledged, the result sent again stored once"
# DTU-0003's result of an upgrade to V1.50: serve is killed once it has checked it, before the
# batch's commit; nothing is stored and no ack goes out. The terminal sends it again (it keeps it
# until acknowledged): the next serve stores it once and acknowledges it.
# (`remote upgrade` publishes the command itself.)
remote_platform remote upgrade DTU-0003 --firmware V1.50 > "$work/killed-upgrade.out"
killed_command=$(sed -n 's/^DTU-0003: command \([0-9a-f]*\) .*/\1/p' "$work/killed-upgrade.out")
"${tool[@]}" sign-result "$creds/DTU-0003/terminal.key" DTU-0003 "$killed_command" succeeded \
  V1.50 > "$work/killed.json"
killed_id=$(python3 -c 'import base64, json, sys; d = json.load(open(sys.argv[1])); print(json.loads(base64.b64decode(d["document"]))["result_id"])' "$work/killed.json")
subscribe DTU-0003 DTU-0003-killed 1 ff/v1/t/DTU-0003/cmd
remote_stack_kill_platform TERM
lines=$(wc -l < "$work/platform.log")
FIELDFLASH_PLATFORM_FAULT=kill-before-commit=1 remote_stack_start_platform
remote_stack_as_terminal DTU-0003 mosquitto_pub -q 1 -t ff/v1/t/DTU-0003/result -f "$work/killed.json"
remote_stack_wait_line "$work/platform.log" \
  'FIELDFLASH_PLATFORM_FAULT: killed before committing 1 checked results' "$((lines + 1))"
remote_stack_wait_killed "serve was not killed before its commit"
remote_platform remote results DTU-0003 | grep -q "$killed_id" && fail "stored without its commit"
[ -s "$work/DTU-0003.out" ] && fail "acknowledged before its commit: $(cat "$work/DTU-0003.out")"
echo "== serve killed between a batch's commit and its acks: the result sent again acknowledged, stored once"
# Sent again, the result is stored; serve is killed once the worker thread committed it, before
# the main loop publishes its ack. The terminal still has it in its outbox and sends it again.
lines=$(wc -l < "$work/platform.log")
FIELDFLASH_PLATFORM_FAULT=kill-after-commit=1 remote_stack_start_platform
remote_stack_as_terminal DTU-0003 mosquitto_pub -q 1 -t ff/v1/t/DTU-0003/result -f "$work/killed.json"
remote_stack_wait_line "$work/platform.log" \
  'FIELDFLASH_PLATFORM_FAULT: killed after committing 1 checked results' "$((lines + 1))"
remote_stack_wait_killed "serve was not killed after its commit"
[ "$(remote_platform remote results DTU-0003 | grep -c "$killed_id")" = 1 ] \
  || fail "not stored by its commit: $(remote_platform remote results DTU-0003)"
[ -s "$work/DTU-0003.out" ] && fail "acknowledged by a killed serve: $(cat "$work/DTU-0003.out")"
remote_stack_start_platform
remote_stack_as_terminal DTU-0003 mosquitto_pub -q 1 -t ff/v1/t/DTU-0003/result -f "$work/killed.json"
ff_test_wait_pid "${remote_stack_pids[-1]}"
checked=$(payload DTU-0003 1 | "${tool[@]}" verify-command "$creds/DTU-0003/platform.pub.pem" DTU-0003)
[[ $checked == "ack "*" $killed_id" ]] || fail "after the restart: $checked"
[ "$(remote_platform remote results DTU-0003 | grep -c "$killed_id")" = 1 ] \
  || fail "the result sent again is not stored once: $(remote_platform remote results DTU-0003)"

echo "== a broker whose ACL predates the check: a claimed command is published again, not lost"
# The ACL of an older `mqtt config`: the platform may write the command topics, not read them, nor
# use ff/v1/platform/check. Mosquitto grants the check's subscriptions and drops the retained
# commands and the marker, which never comes back: after its timeout (2 s here, by the test hook;
# a minute otherwise) serve publishes what it claimed (the terminal ignores a command ID it has
# handled) rather than trust the claim.
sed -i -e 's|^topic readwrite ff/v1/t/+/cmd$|topic write ff/v1/t/+/cmd|' \
  -e '\|^topic readwrite ff/v1/platform/check$|d' "$REMOTE_MQTT_DIR/acl"
grep -qx 'topic write ff/v1/t/+/cmd' "$REMOTE_MQTT_DIR/acl" || fail "acl: $(cat "$REMOTE_MQTT_DIR/acl")"
remote_stack_kill_broker
remote_platform remote upgrade DTU-0004 --firmware V1.50 --rollback > "$work/old-acl.out" \
  2> /dev/null && fail "remote upgrade without a broker succeeded"
old_acl_id=$(sed -n 's/^DTU-0004: command \([0-9a-f]*\) .*/\1/p' "$work/old-acl.out")
remote_stack_kill_platform KILL
remote_stack_start_broker
subscribe DTU-0004 DTU-0004-sub 1 ff/v1/t/DTU-0004/cmd
lines=$(wc -l < "$work/platform.log")
FIELDFLASH_PLATFORM_FAULT=kill-after-claim=1 remote_stack_start_platform
remote_stack_wait_line "$work/platform.log" 'FIELDFLASH_PLATFORM_FAULT: killed after claiming 1' \
  "$((lines + 1))"
remote_stack_wait_killed "serve was not killed after its claim"
lines=$(wc -l < "$work/platform.log")
FIELDFLASH_PLATFORM_FAULT=check-timeout=2 remote_stack_start_platform
remote_stack_wait_line "$work/platform.log" \
  'of 1 commands claimed and not acknowledged, 0 reached the broker, 1 are published now \(the broker could not be asked\)' \
  "$((lines + 1))"
ff_test_wait_pid "${remote_stack_pids[-1]}"
checked=$(payload DTU-0004 1 | "${tool[@]}" verify-command "$creds/DTU-0004/platform.pub.pem" DTU-0004)
[ "$checked" = "rollback $old_acl_id $sha150" ] || fail "after the refused check: $checked"
echo "== a broker that never answers holds up nothing: the API still answers"
remote_stack_kill_platform TERM
remote_stack_kill_broker
# Listens on the broker's port with a full accept queue and never accepts: a connection to it
# hangs in its TCP handshake, as to a broker behind a dropped route.
python3 -c 'import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(0)
fill = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(1)]
import signal; print("ready", flush=True); signal.pause()' "$REMOTE_MQTT_PLATFORM_PORT" \
  > "$work/silent.log" &
remote_stack_pids+=($!)
remote_stack_wait_line "$work/silent.log" ready
lines=$(wc -l < "$work/platform.log")
"${remote_stack_platform[@]}" --data-dir "$REMOTE_PLATFORM_DIR" serve \
  --listen "127.0.0.1:$REMOTE_HTTPS_PORT" < /dev/null >> "$work/platform.log" 2>&1 &
REMOTE_PLATFORM_PID=$!
remote_stack_wait_line "$work/platform.log" "listening on" "$((lines + 1))"
code=$(curl -sS --max-time "$(ff_test_seconds 60)" --cacert "$REMOTE_PLATFORM_DIR/tls.crt" \
  -o /dev/null -w '%{http_code}' "$REMOTE_PLATFORM_URL/healthz") || true
[ "$code" = 200 ] || fail "healthz with a silent broker: $code"
echo "PASS"
