# Sourced by bash tests of networked terminals: a platform data directory with an MQTT broker
# (Debian's mosquitto with the configuration `fieldflash-platform mqtt config` writes) and
# `fieldflash-platform serve`, both on free loopback ports, stopped at exit by their PIDs.
#
#   source "$FIELDFLASH_SOURCEDIR/tests/support/remote-stack.sh"   # needs FIELDFLASH_BUILDDIR
#   remote_stack_start DIR      # DIR: a work directory (made if missing, left in place)
#   remote_stack_add_terminal DEVICE-ID [VENDOR MODEL HARDWARE VERSION]
#                               # a ledger row (default Acme DTU-3000 HV1.0 V1.00), link mqtt,
#                               # credentials in $REMOTE_STACK_DIR/credentials/DEVICE-ID
#   remote_platform ARGS…       # fieldflash-platform --data-dir "$REMOTE_PLATFORM_DIR" ARGS…
#   remote_stack_kill_platform [SIGNAL]   # stops serve (default TERM; KILL for a crash); a serve
#                               # that has not ended 30 s (scaled) after the signal is killed
#   remote_stack_start_platform           # starts serve again (same port), waits for MQTT
#   remote_stack_wait_killed MESSAGE      # serve ends by SIGKILL (a fault hook's), or fails
#   remote_stack_kill_broker / remote_stack_start_broker   # the broker, on the same port
#   remote_stack_stop           # stops both (done at exit, unless the caller set an EXIT trap
#                               # before remote_stack_start: that trap must call it)
#   trap 'remote_stack_finish DIR' EXIT   # such a trap: also kills the PIDs in remote_stack_pids
#                               # (the test's subscribers), fails the test on what a sanitizer
#                               # reported in serve's log, and removes DIR
#   remote_stack_as_terminal ID PROGRAM ARGS…   # mosquitto_sub/mosquitto_pub as terminal ID, on
#                               # the terminals' listener (its client ID is forced to ID)
#   remote_stack_as_terminal_aside ID PROGRAM ARGS…   # the same on the platform's listener, where
#                               # client IDs are free: a second connection of terminal ID's beside
#                               # its own (an agent's, or a test's subscriber); the ACL still holds
#
# Set REMOTE_STACK_PUBLIC_PORT before remote_stack_start to give the platform another public port
# than serve's (a relay in front of it, e.g. `fieldflash-sim networked cut-link`): the commands'
# package URLs and REMOTE_PLATFORM_URL name it.
#
# After remote_stack_start:
#   REMOTE_STACK_DIR       DIR
#   REMOTE_PLATFORM_DIR    the platform's data directory (initialised)
#   REMOTE_MQTT_DIR        the broker's configuration (mosquitto.conf, acl, ca.crt, …)
#   REMOTE_MQTT_PORT       the broker's TLS port on 127.0.0.1 for the terminals
#   REMOTE_MQTT_PLATFORM_PORT   its TLS port on 127.0.0.1 for the platform's own clients
#   REMOTE_HTTPS_PORT      serve's port on 127.0.0.1; REMOTE_PLATFORM_URL=https://127.0.0.1:PORT
#   REMOTE_BROKER_PID, REMOTE_PLATFORM_PID
#   logs: DIR/mosquitto.log, DIR/platform.log (serve's stdout and stderr)
# mosquitto_sub/mosquitto_pub as a terminal: --cafile "$REMOTE_MQTT_DIR/ca.crt"
#   --cert DIR/credentials/ID/terminal.crt --key DIR/credentials/ID/terminal.key -h 127.0.0.1
#   -p "$REMOTE_MQTT_PORT"; as the platform: --cert/--key "$REMOTE_MQTT_DIR/platform-client.*"
#   -p "$REMOTE_MQTT_PLATFORM_PORT" (on the terminals' port its client ID would be
#   fieldflash-platform: serve's, which it would disconnect).

source "$(dirname "${BASH_SOURCE[0]}")/test-time.sh"

read -ra remote_stack_wrapper <<< "${FIELDFLASH_EXE_WRAPPER:-}"
remote_stack_platform=("${remote_stack_wrapper[@]}" "${FIELDFLASH_BUILDDIR:?}/src/platform/fieldflash-platform")
REMOTE_BROKER_PID=
REMOTE_PLATFORM_PID=
remote_stack_pids=()

remote_platform () {
  "${remote_stack_platform[@]}" --data-dir "$REMOTE_PLATFORM_DIR" "$@"
}

remote_stack_fail () {
  echo "remote-stack: $*" >&2
  for log in "$REMOTE_STACK_DIR/mosquitto.log" "$REMOTE_STACK_DIR/platform.log"; do
    if [ -s "$log" ]; then echo "--- $log" >&2; tail -n 30 "$log" >&2; fi
  done
  exit 1
}

# A TCP port on 127.0.0.1 free right now (bound, then closed), below the kernel's ephemeral range:
# the broker and the platform are restarted on their ports, and a port of that range may meanwhile
# be the source port of any connection of a test beside this one (a swarm makes thousands), where
# the restart then fails "Address already in use". Below it, only a port picked this way can clash.
remote_stack_free_port () {
  python3 -c 'import random, socket
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
for attempt in range(1000):
    port = random.randrange(10000, low) if low > 11000 else 0
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(s.getsockname()[1])
        break'
}

# Waits (up to 60 s at native speed, or $REMOTE_STACK_WAIT_SECONDS for a bench at fleet size;
# ff_test_wait_file_line) for a line matching the extended regular expression $2 in the file $1
# that a program is writing, from its line $3 (default 1) on.
remote_stack_wait_line () {
  ff_test_wait_file_line "$1" "$2" "${3:-1}" "${REMOTE_STACK_WAIT_SECONDS:-60}" > /dev/null \
    || remote_stack_fail "no line matching '$2' in $1"
}

remote_stack_start_platform () {
  local log=$REMOTE_STACK_DIR/platform.log lines=0
  [ -f "$log" ] && lines=$(wc -l < "$log")
  "${remote_stack_platform[@]}" --data-dir "$REMOTE_PLATFORM_DIR" serve \
    --listen "127.0.0.1:$REMOTE_HTTPS_PORT" < /dev/null >> "$log" 2>&1 &
  REMOTE_PLATFORM_PID=$!
  # The lines of this start only.
  remote_stack_wait_line "$log" 'MQTT: connected' "$((lines + 1))"
}

remote_stack_kill_platform () {
  if [ -n "$REMOTE_PLATFORM_PID" ]; then
    ff_test_stop -"${1:-TERM}" "$REMOTE_PLATFORM_PID"
    REMOTE_PLATFORM_PID=
  fi
}

# After a fault hook of serve (FIELDFLASH_PLATFORM_FAULT) said it kills it: waits for serve to end
# (ff_test_wait_pid) and fails with $1 unless it ended by SIGKILL.
remote_stack_wait_killed () {
  local status=0
  ff_test_wait_pid "$REMOTE_PLATFORM_PID" || status=$?
  REMOTE_PLATFORM_PID=
  [ "$status" = 137 ] || remote_stack_fail "$1 (exit status $status)"
}

remote_stack_kill_broker () {
  if [ -n "$REMOTE_BROKER_PID" ]; then
    ff_test_stop "$REMOTE_BROKER_PID"
    REMOTE_BROKER_PID=
  fi
}

remote_stack_start_broker () {
  local log=$REMOTE_STACK_DIR/mosquitto.log lines=0 conf=$REMOTE_MQTT_DIR/mosquitto.conf
  [ -f "$log" ] && lines=$(wc -l < "$log")
  # Run as root, mosquitto would switch to the user "mosquitto", who cannot read the keys the
  # test wrote: it stays the test's user.
  if [ "$(id -u)" = 0 ]; then
    conf=$REMOTE_STACK_DIR/mosquitto-root.conf
    { echo "user root"; cat "$REMOTE_MQTT_DIR/mosquitto.conf"; } > "$conf"
  fi
  mosquitto -c "$conf" >> "$log" 2>&1 &
  REMOTE_BROKER_PID=$!
  remote_stack_wait_line "$log" 'mosquitto version .* running' "$((lines + 1))"
}

remote_stack_stop () {
  remote_stack_kill_platform TERM
  remote_stack_kill_broker
}

# An EXIT trap's work; keeps the test's exit status unless a sanitizer reported something.
remote_stack_finish () {
  local status=$? log=${REMOTE_STACK_DIR:-$1}/platform.log
  ff_test_stop "${remote_stack_pids[@]}"
  remote_stack_stop
  # In a sanitizer build, what the daemon's runs reported (leaks at exit included) fails the test.
  if grep -q 'Sanitizer' "$log" 2>/dev/null; then
    grep -A 30 'Sanitizer' "$log" >&2
    status=1
  fi
  rm -rf "$1"
  exit "$status"
}

# mosquitto_sub or mosquitto_pub ($2) with terminal $1's certificate, then their options. In a
# subshell (run with & or inside $(…)) it replaces the subshell, so $! is the program's own PID:
# killing it stops the program, not a subshell that would leave it running.
remote_stack_as_terminal () {
  remote_stack_as_terminal_on "$REMOTE_MQTT_PORT" "$@"
}

remote_stack_as_terminal_aside () {
  remote_stack_as_terminal_on "$REMOTE_MQTT_PLATFORM_PORT" "$@"
}

remote_stack_as_terminal_on () {
  local port=$1 who=$2 program=$3 run=()
  shift 3
  (( BASH_SUBSHELL > 0 )) && run=(exec)
  "${run[@]}" "$program" -h 127.0.0.1 -p "$port" --cafile "$REMOTE_MQTT_DIR/ca.crt" \
    --cert "$REMOTE_STACK_DIR/credentials/$who/terminal.crt" \
    --key "$REMOTE_STACK_DIR/credentials/$who/terminal.key" "$@"
}

remote_stack_start () {
  REMOTE_STACK_DIR=$1
  REMOTE_PLATFORM_DIR=$REMOTE_STACK_DIR/platform
  REMOTE_MQTT_DIR=$REMOTE_STACK_DIR/mqtt
  mkdir -p "$REMOTE_STACK_DIR/credentials"
  REMOTE_MQTT_PORT=$(remote_stack_free_port)
  REMOTE_MQTT_PLATFORM_PORT=$(remote_stack_free_port)
  REMOTE_HTTPS_PORT=$(remote_stack_free_port)
  REMOTE_PLATFORM_URL=https://127.0.0.1:${REMOTE_STACK_PUBLIC_PORT:-$REMOTE_HTTPS_PORT}
  # Stopped at exit, unless the caller has an exit trap of its own (which then calls
  # remote_stack_stop).
  if [ -z "$(trap -p EXIT)" ]; then trap remote_stack_stop EXIT; fi
  remote_platform init > /dev/null || remote_stack_fail "init failed"
  remote_platform mqtt config -o "$REMOTE_MQTT_DIR" --host 127.0.0.1 --port "$REMOTE_MQTT_PORT" \
    --platform-port "$REMOTE_MQTT_PLATFORM_PORT" --platform-url "$REMOTE_PLATFORM_URL" > /dev/null || remote_stack_fail "mqtt config failed"
  remote_stack_start_broker
  remote_stack_start_platform
}

remote_stack_add_terminal () {
  local id=$1 vendor=${2:-Acme} model=${3:-DTU-3000} hardware=${4:-HV1.0} version=${5:-V1.00}
  local csv=$REMOTE_STACK_DIR/ledger-$id.csv
  {
    echo "device_id,name,latitude,longitude,vendor,model,hardware_version,software_version,software_checksum,host,port,common_address,profile"
    echo "$id,Terminal $id,39.915,116.404,$vendor,$model,$hardware,$version,,127.0.0.1,2404,1,state-grid"
  } > "$csv"
  remote_platform terminals import "$csv" > /dev/null || remote_stack_fail "import of $id failed"
  remote_platform terminals set-link "$id" mqtt > /dev/null || remote_stack_fail "set-link $id"
  remote_platform terminals credentials "$id" -o "$REMOTE_STACK_DIR/credentials/$id" > /dev/null \
    || remote_stack_fail "credentials of $id failed"
}
