# Sourced by the end-to-end tests: the built programs, a work directory removed on exit, the
# processes to stop on exit, and waits on a program's output. Everything runs on 127.0.0.1.

# In sanitizer builds: LeakSanitizer crashes scanning the dynamic TLS of glib-networking's dlopen()ed
# GnuTLS in processes that speak HTTPS; not tracking __tls_get_addr avoids that (leak checks stay on).
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:intercept_tls_get_addr=0"

source "${FIELDFLASH_SOURCEDIR:?}/tests/support/test-time.sh"

build=${FIELDFLASH_BUILDDIR:?}
# A cross build runs the programs under the emulator (the cross file's exe_wrapper).
read -ra wrapper <<< "${FIELDFLASH_EXE_WRAPPER:-}"
cli=("${wrapper[@]}" "$build/src/cli/fieldflash-cli")
platform=("${wrapper[@]}" "$build/src/platform/fieldflash-platform")
sim=("${wrapper[@]}" "$build/src/sim/fieldflash-sim")
work=$(mktemp -d /tmp/ff-e2e-XXXXXX)
phone=13800138000
pin=482913
pids=()
tablet=(--data-dir "$work/tablet")
plat=("${platform[@]}" --data-dir "$work/platform")

cleanup () {
  ff_test_stop "${pids[@]}"
  rm -rf "$work"
}
trap cleanup EXIT

# The simulator's last lines go with a failure: what the terminals did is half of the story.
fail () {
  echo "FAIL: $*" >&2
  if [ -s "$work/sim.log" ]; then echo "--- last lines of the simulator:" >&2; tail -n 40 "$work/sim.log" >&2; fi
  exit 1
}

# Waits (up to 60 s between two lines, at native speed) for a line matching $2 on the stream open
# on fd $1; prints it.
wait_line () {
  local line seconds
  seconds=$(ff_test_seconds 60)
  while IFS= read -r -t "$seconds" -u "$1" line; do
    echo "$line" >> "$work/events.log"
    if [[ $line =~ $2 ]]; then echo "$line"; return 0; fi
  done
  fail "no line matching '$2'"
}

# Waits (up to 60 s at native speed) for a line matching the extended regular expression $2 in the
# file $1, which a program is still writing; prints it.
wait_file_line () {
  ff_test_wait_file_line "$1" "$2" || fail "no line matching '$2' in $1"
}

# Starts fieldflash-sim with the fleet file $1 and more options ($2 …), waits until its $count
# terminals listen, fills the array "port" (device ID → port) and leaves the rest of its output
# going to $work/sim.log.
start_sim () {
  local fleet=$1 line i
  shift
  declare -gA port
  mkfifo "$work/sim.out"
  "${sim[@]}" --fleet "$fleet" "$@" < /dev/null > "$work/sim.out" 2>&1 &
  pids+=($!)
  exec 5< "$work/sim.out"
  for i in $(seq 1 "$count"); do
    line=$(wait_line 5 'listening on 127\.0\.0\.1:[0-9]+')
    [[ $line =~ terminal\ ([A-Z0-9]+)\ listening\ on\ 127\.0\.0\.1:([0-9]+) ]] || fail "sim: $line"
    port[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
  done
  cat <&5 > "$work/sim.log" &
  pids+=($!)
}

# The platform with the ledger $1 (CSV), the firmware images V1.00 ($work/v1.bin) and V2.00
# ($work/v2.bin) of Acme DTU-3000, a technician, this tablet and one task for the terminals $2
# (comma separated) to V2.00; then serves on a free port ($url), and the tablet logs in. A script
# that defines the function before_task runs it just before the task is made (supervisors…).
start_platform () {
  "${plat[@]}" init > /dev/null
  "${plat[@]}" terminals import "$1" > /dev/null
  "${plat[@]}" firmware add "$work/v1.bin" --vendor Acme --model DTU-3000 --version V1.00 \
    --hardware HV1.0 > /dev/null
  "${plat[@]}" firmware add "$work/v2.bin" --vendor Acme --model DTU-3000 --version V2.00 \
    --hardware HV1.0 > /dev/null
  echo "$pin" | "${plat[@]}" technicians add --phone "$phone" --name 张伟 > /dev/null
  "${cli[@]}" key "${tablet[@]}" --serial TAB-0001 > "$work/tablet.pub.pem"
  "${plat[@]}" handhelds add TAB-0001 --pubkey "$work/tablet.pub.pem" > /dev/null
  "${plat[@]}" export-key > "$work/platform.pem"
  if declare -F before_task > /dev/null; then before_task; fi
  "${plat[@]}" tasks create --technician "$phone" --handheld TAB-0001 --terminals "$2" \
    --firmware V2.00 > "$work/task.out"
  mkfifo "$work/platform.out"
  "${plat[@]}" serve --listen 127.0.0.1:0 < /dev/null > "$work/platform.out" 2> "$work/platform.err" &
  pids+=($!)
  exec 6< "$work/platform.out"
  url=$(wait_line 6 '^listening on https://127\.0\.0\.1:[0-9]+$')
  url=${url#listening on }
  cat <&6 > /dev/null &
  pids+=($!)
  "${cli[@]}" login "${tablet[@]}" --platform "$url" --platform-key "$work/platform.pem" \
    --platform-cert "$work/platform/tls.crt" --phone "$phone" --pin "$pin" > /dev/null
}
