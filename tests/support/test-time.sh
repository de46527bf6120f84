# Sourced by the bash tests (e2e-lib.sh and remote-stack.sh source it): the bounds of their waits,
# which follow the emulation factor, and waits for a process or a line that cannot last for ever.
#
#   ff_test_seconds N            N seconds at native speed times FIELDFLASH_TEST_TIME_FACTOR
#   ff_test_wait_pid PID [N]     waits for the child PID; past the bound, SIGKILL and status 124
#   ff_test_stop [-SIGNAL] PID…  sends SIGNAL (TERM) to each, then waits for each as above
#   ff_test_wait_file_line FILE REGEX [FROM] [N]   waits for a line in a file being written
#
# Where the tests run emulated, build-aux/run-tests sets FIELDFLASH_TEST_TIME_FACTOR (3) as it
# passes meson the same --timeout-multiplier; unset, it is 1. It is read once, here: a value that
# is not a number from 1 to 1000 fails the test rather than shortening or ignoring its waits.

# The factor in thousandths (bash has integers only); digits past the third decimal are dropped.
ff_test_factor_milli=0
if [[ ${FIELDFLASH_TEST_TIME_FACTOR:-1} =~ ^([0-9]{1,4})(\.([0-9]{1,3})[0-9]*)?$ ]]; then
  ff_test_factor_milli=$((10#${BASH_REMATCH[1]} * 1000
                          + 10#$(printf '%-3s' "${BASH_REMATCH[3]}" | tr ' ' 0)))
fi
if ((ff_test_factor_milli < 1000 || ff_test_factor_milli > 1000000)); then
  echo "FIELDFLASH_TEST_TIME_FACTOR=$FIELDFLASH_TEST_TIME_FACTOR:" \
       "not a factor between 1 and 1000" >&2
  exit 1
fi

# Prints the bound of a wait, in whole seconds: $1 seconds at native speed times the factor,
# rounded up.
ff_test_seconds () {
  echo $((($1 * ff_test_factor_milli + 999) / 1000))
}

# Whether the process $1 is still a child of this shell (running, stopped or not yet reaped): a PID
# it has already waited for may be another process's by now, which is neither signalled nor
# waited for.
ff_test_is_child () {
  [ "$(ps -o ppid= -p "$1" 2>/dev/null | tr -d ' ')" = "$BASHPID" ]
}

# Waits for the background process $1 (a child of this shell) to end, at most ff_test_seconds
# ${2:-60}; returns its exit status. Past the bound it kills it with SIGKILL — a process stopped
# by a fault (SIGSTOP) or one that ignores SIGTERM never ends by itself, and `wait` alone would
# wait for it for ever — says so on standard error and returns 124, as timeout(1) does. tail --pid
# checks the process every 50 ms (bash's `wait` has no bound, and `wait -n` does not see a child
# that has already ended).
ff_test_wait_pid () {
  local pid=$1 seconds status=0 args
  seconds=$(ff_test_seconds "${2:-60}")
  if ff_test_is_child "$pid" && ! timeout "$seconds" tail -s 0.05 --pid="$pid" -f /dev/null; then
    args=$(ps -o stat=,args= -p "$pid" 2>/dev/null || true)
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    echo "process $pid ($args) did not end within $seconds s: killed" >&2
    return 124
  fi
  wait "$pid" 2>/dev/null || status=$?
  return "$status"
}

# Stops the background processes given: a signal (-TERM unless the first argument is -SIGNAL) to
# each of them, then a bounded wait for each (ff_test_wait_pid, 30 s: enough for a program's exit
# with a sanitizer's leak check). For cleanups: it never fails, and never waits for ever.
ff_test_stop () {
  local signal=-TERM pid
  if [[ ${1:-} == -* ]]; then signal=$1; shift; fi
  for pid in "$@"; do
    if ff_test_is_child "$pid"; then kill "$signal" "$pid" 2>/dev/null || true; fi
  done
  for pid in "$@"; do ff_test_wait_pid "$pid" 30 || true; done
}

# Waits (up to ff_test_seconds ${4:-60}; blocking on the file, no polling) for a line matching the
# extended regular expression $2 in the file $1 that a program is writing, from its line ${3:-1}
# on; prints the line. Fails (status 1) when none comes within the bound.
ff_test_wait_file_line () {
  local line follower tail_pid
  exec {follower}< <(exec timeout "$(ff_test_seconds "${4:-60}")" tail -n +"${3:-1}" -F "$1" \
                       2>/dev/null)
  tail_pid=$!
  while IFS= read -r -u "$follower" line; do
    if [[ $line =~ $2 ]]; then
      kill "$tail_pid" 2>/dev/null || true
      exec {follower}<&-
      echo "$line"
      return 0
    fi
  done
  exec {follower}<&-
  return 1
}
