# Sourced by the end-to-end tests of networked terminals (issue 13): Mosquitto and
# `fieldflash-platform serve` (tests/support/remote-stack.sh), and simulated terminals
# (`fieldflash-sim networked`) running the real fieldflash-agent, all on 127.0.0.1.
#
#   e2e_start                      the broker and the platform, in $work
#   e2e_terminal ID LAYOUT [OPT…]  a ledger row, credentials and a device root $work/ID
#                                  (`networked init` options OPT…); notes its parameters' digests
#   e2e_boot ID [--fault F …]      starts its bootloader loop (the agent on it) in the background
#   e2e_package VERSION ARGS…      builds and registers firmware VERSION for Acme DTU-3000 HV1.0
#                                  (images of $E2E_IMAGE_SIZE bytes, 200000 unless set):
#                                  ARGS are kind=version[:unhealthy|:near] (kind: kernel, rootfs,
#                                  main-program, updater), e.g. rootfs=V2.00 main-program=V2.00:unhealthy;
#                                  :near (kernel, rootfs): the factory V1.00 image with its version
#                                  and a few bytes changed, as a release near it (a delta is small)
#   e2e_wait_online ID             at its first boot, waits for the agent's retained state (it
#                                  subscribes to its commands before it publishes it, so a command
#                                  sent now reaches it)
#   e2e_wait_result ID OUTCOME     waits for the platform to ingest a result of ID with OUTCOME
#   e2e_stop ID                    stops its loop (SIGTERM: the agent stops, the loop ends)
#   e2e_check_params ID            its parameter files are still what they were at e2e_terminal
#   e2e_results ID                 how many results of ID the platform holds
set -euo pipefail
source "${FIELDFLASH_SOURCEDIR:?}/tests/support/remote-stack.sh"

export ASAN_OPTIONS="${ASAN_OPTIONS:-}:intercept_tls_get_addr=0"
sim=("${remote_stack_wrapper[@]}" "$FIELDFLASH_BUILDDIR/src/sim/fieldflash-sim")
# FIELDFLASH_AGENT: another agent binary on the terminals (bench/bench-agent's before/after runs).
agent=${FIELDFLASH_AGENT:-$FIELDFLASH_BUILDDIR/src/agent/fieldflash-agent}
work=$(mktemp -d /tmp/ff-remote-e2e-XXXXXX)
declare -A loop_pid=()

# Cuts the power of terminal $1: SIGKILL of its bootloader loop and of the agent it runs, either of
# them perhaps stopped by a fault (SIGSTOP), which SIGTERM would never reach.
e2e_kill_terminal () {
  local loop=${loop_pid[$1]} child
  child=$(cut -d' ' -f1 "/proc/$loop/task/$loop/children" 2>/dev/null || true)
  kill -KILL "$loop" ${child:+"$child"} 2>/dev/null || true
}

# After a failure too: a terminal still running may be stopped at a fault, so it is killed.
e2e_finish () {
  local id
  for id in "${!loop_pid[@]}"; do e2e_kill_terminal "$id"; done
  ff_test_stop -KILL "${loop_pid[@]}"
  remote_stack_stop
  # E2E_KEEP=1 keeps the terminals, logs and platform for a look after a failure.
  if [ -z "${E2E_KEEP:-}" ]; then rm -rf "$work"; else echo "kept $work" >&2; fi
}

# Says what went wrong with what each terminal's bootloader and agent said last.
fail () {
  local root
  echo "FAIL: $*" >&2
  for root in "$work"/terminals/*; do
    [ -d "$root" ] || continue
    echo "--- ${root##*/}: sim.log" >&2
    tail -n 15 "$root/sim.log" >&2 2>/dev/null || true
    echo "--- ${root##*/}: agent" >&2
    tail -n 15 "$root/loop.out" >&2 2>/dev/null || true
  done
  echo "--- platform" >&2
  tail -n 20 "$work/platform.log" >&2 || true
  exit 1
}

e2e_start () {
  remote_stack_start "$work"
  trap e2e_finish EXIT
  mkdir -p "$work/terminals" "$work/payloads"
}

root_of () { echo "$work/terminals/$1"; }

e2e_terminal () {
  local id=$1 layout=$2 root
  shift 2
  root=$(root_of "$id")
  remote_stack_add_terminal "$id"
  "${sim[@]}" networked init "$root" --device-id "$id" --layout "$layout" \
    --credentials "$work/credentials/$id" --broker-port "$REMOTE_MQTT_PORT" \
    --platform-url "$REMOTE_PLATFORM_URL" "$@" || fail "init $id"
  (cd "$root/params" && sha256sum app.ini points.ini) > "$work/params-$id.sha256"
}

e2e_boot () {
  local id=$1 root
  shift
  root=$(root_of "$id")
  "${sim[@]}" networked run "$root" --agent "$agent" "$@" >> "$root/loop.out" 2>&1 &
  loop_pid[$id]=$!
}

# Waits for the loop of $1 to end by itself (up to 60 s at native speed; past it, the loop is
# killed and $status is 124); its exit status in $status.
e2e_wait_loop () {
  status=0
  ff_test_wait_pid "${loop_pid[$1]}" || status=$?
  unset "loop_pid[$1]"
}

e2e_stop () {
  kill -TERM "${loop_pid[$1]}"
  e2e_wait_loop "$1"
  [ "$status" = 0 ] || fail "$1: the loop ended with $status on SIGTERM"
}

e2e_package () {
  local version=$1 spec kind payload_version unhealthy file
  local args=()
  shift
  for spec in "$@"; do
    kind=${spec%%=*}
    payload_version=${spec#*=}
    unhealthy=()
    if [[ $payload_version == *:unhealthy ]]; then
      payload_version=${payload_version%:unhealthy}
      unhealthy=(--unhealthy)
    fi
    file=$work/payloads/$version-$kind
    case "$kind" in
      kernel|rootfs)
        if [[ $payload_version == *:near ]]; then
          payload_version=${payload_version%:near}
          e2e_near_image "$kind" "$payload_version" "$file"
        else
          "${sim[@]}" networked make-image --kind "$kind" --version "$payload_version" \
            --size "${E2E_IMAGE_SIZE:-200000}" "${unhealthy[@]}" -o "$file"
        fi ;;
      *)
        "${sim[@]}" networked make-program --kind "$kind" --version "$payload_version" \
          "${unhealthy[@]}" -o "$file" ;;
    esac
    args+=("--$kind" "$file" "--$kind-version" "$payload_version")
  done
  remote_platform packages build --vendor Acme --model DTU-3000 --hardware HV1.0 \
    --version "$version" "${args[@]}" -o "$work/payloads/$version.ffpkg" > /dev/null \
    || fail "packages build $version"
  remote_platform firmware add "$work/payloads/$version.ffpkg" > /dev/null \
    || fail "firmware add $version"
}

# KIND VERSION FILE: the factory V1.00 image of KIND with VERSION in its header and 16 bytes of
# its body changed, its header's digest made again (the format of src/sim/ff-sim-image.c).
e2e_near_image () {
  "${sim[@]}" networked make-image --kind "$1" --version V1.00 --size "${E2E_IMAGE_SIZE:-200000}" \
    -o "$3.factory" || fail "make-image $1"
  python3 - "$3.factory" "$2" "$3" <<'EOF_PY' || fail "near image $1 $2"
import hashlib, sys
header, body = open(sys.argv[1], "rb").read().split(b"\n", 1)
fields = header.rsplit(b" sha256=", 1)[0].replace(b" version=V1.00 ", b" version=%s " % sys.argv[2].encode())
body = bytearray(body)
body[100:116] = b"a release near.."
digest = hashlib.sha256(fields + body).hexdigest().encode()
open(sys.argv[3], "wb").write(fields + b" sha256=" + digest + b"\n" + body)
EOF_PY
}

# mosquitto_sub as the platform's MQTT identity, with more options. In a subshell (run with & or
# inside $(…)) it replaces the subshell, so $! is mosquitto_sub's own PID and killing it stops it.
as_platform_sub () {
  local run=()
  (( BASH_SUBSHELL > 0 )) && run=(exec)
  "${run[@]}" mosquitto_sub -h 127.0.0.1 -p "$REMOTE_MQTT_PLATFORM_PORT" --cafile "$REMOTE_MQTT_DIR/ca.crt" \
    --cert "$REMOTE_MQTT_DIR/platform-client.crt" --key "$REMOTE_MQTT_DIR/platform-client.key" "$@"
}

# For a terminal's first boot: nothing is retained on its state topic before the agent's own.
e2e_wait_online () {
  local state
  state=$(as_platform_sub -t "ff/v1/t/$1/state" -C 1 -W "$(ff_test_seconds 60)") \
    || fail "$1 never came online"
  [[ $state =~ \"online\"[[:space:]]*:[[:space:]]*true ]] || fail "$1: state $state"
}

e2e_wait_result () {
  remote_stack_wait_line "$work/platform.log" "MQTT: result [0-9a-f]+ of $1: $2( |\$)"
}

e2e_results () {
  remote_platform remote results "$1" | grep -c . || true
}

e2e_check_params () {
  (cd "$(root_of "$1")/params" && sha256sum --quiet -c "$work/params-$1.sha256") \
    || fail "$1: the parameter files changed"
}

# The value of $2 in the running versions of $1 (written by the bootloader at its last boot).
e2e_running () {
  sed -n "s/^$2=//p" "$(root_of "$1")/run/versions"
}

e2e_env () {
  fw_printenv -c "$(root_of "$1")/fw_env.config" -n "$2" 2>/dev/null || true
}

e2e_program_version () {
  "$(root_of "$1")/programs/$2" --version 2>/dev/null || echo "(fails)"
}
