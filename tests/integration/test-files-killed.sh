#!/bin/bash
# A program killed while it writes a file leaves no temporary file beside it, and the file it was
# replacing as it was: fieldflash-delta's output, and the broker's files of "fieldflash-platform
# mqtt config -o DIR" (which may run beside serve). The kill is a SIGKILL at the process's first
# fsync — the file's data written, not yet in place — from strace's fault injection; GLib's
# g_file_set_contents_full left its NAME.XXXXXX there. Without /proc the file is still written.
set -euo pipefail
source "$(dirname "$0")/e2e-lib.sh"

bound=$(ff_test_seconds 60)
delta=("${wrapper[@]}" "$build/src/delta-tool/fieldflash-delta")

# Runs "$@" until its first fsync, where it is killed (strace ends with the tracee's signal).
killed_while_writing () {
  local code=0
  timeout "$bound" strace -f -qq -o /dev/null -e trace=fsync \
    -e inject=fsync:signal=SIGKILL:when=1 "$@" < /dev/null > "$work/out" 2>&1 || code=$?
  [ "$code" -eq $((128 + 9)) ] \
    || fail "$* was not killed while writing: exit $code: $(cat "$work/out")"
}

# Lists a directory's entries, hidden ones included, with each file's checksum.
snapshot () {
  (cd "$1" && find . -mindepth 1 -printf '%p\n' | sort | while read -r name; do
     if [ -f "$name" ]; then echo "$name $(cksum < "$name")"; else echo "$name"; fi
   done)
}

# fieldflash-delta apply: an output over an earlier one.
python3 -c '
import random, sys
r = random.Random(7)
old = bytes(r.getrandbits(8) for _ in range(512 * 1024))
new = bytearray(old); new[1000:1100] = bytes(100); new[300000:300050] = b"x" * 50
open(sys.argv[1], "wb").write(old); open(sys.argv[2], "wb").write(bytes(new))
' "$work/old.bin" "$work/new.bin"
mkdir "$work/delta"
timeout "$bound" "${delta[@]}" diff "$work/old.bin" "$work/new.bin" -o "$work/patch.ffd" > /dev/null
printf 'the earlier output\n' > "$work/delta/check.bin"
before=$(snapshot "$work/delta")
killed_while_writing "${delta[@]}" apply "$work/old.bin" "$work/patch.ffd" \
  -o "$work/delta/check.bin"
after=$(snapshot "$work/delta")
[ "$before" = "$after" ] || fail "fieldflash-delta left: $after"
# Unlimited, the same command replaces the output.
timeout "$bound" "${delta[@]}" apply "$work/old.bin" "$work/patch.ffd" -o "$work/delta/check.bin" \
  > /dev/null
cmp -s "$work/new.bin" "$work/delta/check.bin" || fail "fieldflash-delta apply wrote another image"
# Where /proc is not mounted (a recovery system), the file is still replaced, the way GLib does it:
# an empty file system over /proc in a mount namespace of this test's own.
# In the sanitizer build LeakSanitizer, which reads its options and the threads in /proc, fails the
# exit whatever the program did; the file is what this checks.
rm "$work/delta/check.bin"
code=0
timeout "$bound" unshare -Urm sh -c 'mount -t tmpfs none /proc && exec "$@"' sh "${delta[@]}" \
  apply "$work/old.bin" "$work/patch.ffd" -o "$work/delta/check.bin" > "$work/out" 2>&1 || code=$?
if [ "$code" -ne 0 ] && ! { readelf -d "$build/src/delta-tool/fieldflash-delta" | grep -q libasan \
                            && grep -q 'LeakSanitizer has encountered a fatal error' "$work/out" \
                            && ! grep -q 'fieldflash-delta:' "$work/out"; }; then
  fail "fieldflash-delta apply without /proc: exit $code: $(cat "$work/out")"
fi
cmp -s "$work/new.bin" "$work/delta/check.bin" \
  || fail "fieldflash-delta apply without /proc wrote another image"

# mqtt config -o DIR, run a second time: its first fsync is that of DIR/ca.crt.
timeout "$bound" "${plat[@]}" init > /dev/null
timeout "$bound" "${plat[@]}" mqtt config -o "$work/broker" --host 127.0.0.1 --port 8883 > /dev/null
before=$(snapshot "$work/broker")
before_data=$(snapshot "$work/platform/mqtt")
killed_while_writing "${plat[@]}" mqtt config -o "$work/broker" --host 127.0.0.1 --port 8884
[ "$before" = "$(snapshot "$work/broker")" ] \
  || fail "mqtt config left in DIR: $(snapshot "$work/broker")"
[ "$before_data" = "$(snapshot "$work/platform/mqtt")" ] \
  || fail "mqtt config left in the data directory: $(snapshot "$work/platform/mqtt")"
echo ok
