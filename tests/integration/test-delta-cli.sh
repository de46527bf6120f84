#!/bin/bash
# fieldflash-delta from a shell: diff, apply and info on a real firmware pair (OLD NEW), and the
# refusals a technician would meet (another old image, a damaged patch, a bad command line), each
# leaving no output file behind.
set -euo pipefail

build=${FIELDFLASH_BUILDDIR:?}
# A cross build runs the program under the emulator (the cross file's exe_wrapper).
read -ra wrapper <<< "${FIELDFLASH_EXE_WRAPPER:-}"
delta=("${wrapper[@]}" "$build/src/delta-tool/fieldflash-delta")
old=${1:?OLD image}
new=${2:?NEW image}
work=$(mktemp -d /tmp/ff-delta-XXXXXX)
trap 'rm -rf "$work"' EXIT
fail () { echo "FAIL: $*" >&2; exit 1; }

"${delta[@]}" diff "$old" "$new" -o "$work/patch" > "$work/diff.out"
grep -q "bytes for a $(stat -c %s "$new")-byte image" "$work/diff.out" || fail "diff summary: $(cat "$work/diff.out")"
[ "$(stat -c %s "$work/patch")" -lt "$(stat -c %s "$new")" ] || fail "the patch is not smaller than the image"

"${delta[@]}" apply "$old" "$work/patch" -o "$work/made"
cmp -s "$work/made" "$new" || fail "apply made another image"

"${delta[@]}" info "$work/patch" > "$work/info"
grep -q "old image: *$(stat -c %s "$old") bytes, SHA-256 $(sha256sum "$old" | cut -d' ' -f1)" "$work/info" \
  || fail "info: old image: $(cat "$work/info")"
grep -q "new image: *$(stat -c %s "$new") bytes, SHA-256 $(sha256sum "$new" | cut -d' ' -f1)" "$work/info" \
  || fail "info: new image: $(cat "$work/info")"
grep -Eq "patcher RAM: *[0-9]+ bytes of state \(budget 4096\)" "$work/info" || fail "info: RAM: $(cat "$work/info")"

# Another old image: refused, exit 1, nothing written.
set +e
"${delta[@]}" apply "$new" "$work/patch" -o "$work/wrong" 2> "$work/err"
status=$?
set -e
[ $status -eq 1 ] || fail "apply to another old image exited $status"
grep -q "made for another old image" "$work/err" || fail "message: $(cat "$work/err")"
[ ! -e "$work/wrong" ] || fail "a refused apply left an output file"

# A damaged patch: refused, nothing written.
cp "$work/patch" "$work/damaged"
printf '\xff\xff\xff\xff' | dd of="$work/damaged" bs=1 seek=200 conv=notrunc status=none
set +e
"${delta[@]}" apply "$old" "$work/damaged" -o "$work/wrong" 2> "$work/err"
status=$?
set -e
[ $status -eq 1 ] || fail "a damaged patch exited $status"
[ ! -e "$work/wrong" ] || fail "a damaged patch left an output file"

# Bad command lines: exit 2.
set +e
"${delta[@]}" apply "$old" "$work/patch" 2> /dev/null; [ $? -eq 2 ] || fail "apply without -o"
# An empty output name is no file: a usage error before anything is read or written.
"${delta[@]}" apply "$old" "$work/patch" -o '' 2> /dev/null; [ $? -eq 2 ] || fail "apply -o ''"
"${delta[@]}" diff "$old" "$new" -o '' 2> /dev/null; [ $? -eq 2 ] || fail "diff -o ''"
"${delta[@]}" frobnicate 2> /dev/null; [ $? -eq 2 ] || fail "an unknown verb"
set -e
echo "delta cli: ok"
