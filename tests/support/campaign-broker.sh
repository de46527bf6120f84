# Sourced after remote-stack.sh by tests of what a campaign's wave sends while the broker is away
# (test-campaigns-cancel.sh, test-campaigns-halt.sh): serve records the wave, the broker comes
# back logging every PUBLISH it receives, and the test counts the commands there.
#
#   campaign_start_wave ID N          # campaigns start ID; waits for serve's "wave 1 started, N
#                                     # commands"
#   campaign_broker_back              # the broker again, with log_type all; sets
#                                     # CAMPAIGN_BROKER_FROM, its log's first line of this start
#   campaign_published                # "NET-0001:1 NET-0004:1 " — the terminals whose commands
#                                     # the broker received since, with their counts
#   campaign_show ID EXPRESSION       # prints the Python EXPRESSION over `campaigns show ID
#                                     # --json` as c

campaign_start_wave () {
  local lines
  lines=$(wc -l < "$REMOTE_STACK_DIR/platform.log")
  remote_platform campaigns start "$1" > /dev/null
  remote_stack_wait_line "$REMOTE_STACK_DIR/platform.log" \
    "Campaign $1: wave 1 started, $2 commands" "$((lines + 1))"
}

campaign_broker_back () {
  grep -qx "log_type all" "$REMOTE_MQTT_DIR/mosquitto.conf" \
    || echo "log_type all" >> "$REMOTE_MQTT_DIR/mosquitto.conf"
  CAMPAIGN_BROKER_FROM=$(( $(wc -l < "$REMOTE_STACK_DIR/mosquitto.log") + 1 ))
  remote_stack_start_broker
}

campaign_published () {
  tail -n +"$CAMPAIGN_BROKER_FROM" "$REMOTE_STACK_DIR/mosquitto.log" \
    | sed -n "s|.*Received PUBLISH .*'ff/v1/t/\([^/]*\)/cmd'.*|\1|p" | sort | uniq -c \
    | awk '{print $2 ":" $1}' | tr '\n' ' '
}

campaign_show () {
  remote_platform campaigns show "$1" --json \
    | python3 -c "import json, sys; c = json.load(sys.stdin); print($2)"
}
