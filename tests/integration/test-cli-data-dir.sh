#!/bin/bash
# A tablet's directory is set up only by the verbs that set a tablet up (key, login). Every other
# verb given a directory without a tablet — a mistyped --data-dir or $FIELDFLASH_TABLET_DIR —
# fails with a message naming it and creates nothing: before, it made the directory, a new key
# and an empty store, and printed an empty list.
set -euo pipefail
source "$(dirname "$0")/e2e-lib.sh"

bound=$(ff_test_seconds 30)
mkdir "$work/empty"
check_refused () {
  local dir=$1 code
  shift
  code=0
  timeout "$bound" "$@" < /dev/null > "$work/out" 2> "$work/err" || code=$?
  [ "$code" -eq 1 ] || fail "$*: exit $code: $(cat "$work/err")"
  grep -qF "There is no tablet in $dir" "$work/err" || fail "$*: $(cat "$work/err")"
}
for dir in "$work/typo" "$work/empty"; do
  for verb in tasks reports upload sync "run --terminal DTU0001 --gps 39.9,116.4" \
              "rollback --terminal DTU0001"; do
    read -ra words <<< "$verb"
    check_refused "$dir" "${cli[@]}" "${words[@]}" --data-dir "$dir"
    check_refused "$dir" env FIELDFLASH_TABLET_DIR="$dir" "${cli[@]}" "${words[@]}"
  done
done
[ ! -e "$work/typo" ] || fail "a verb created the mistyped directory"
[ -z "$(ls -A "$work/empty")" ] || fail "a verb wrote into the empty directory: $(ls -A "$work/empty")"

# key sets the tablet up; then the other verbs open it.
timeout "$bound" "${cli[@]}" key --serial TAB-0001 "${tablet[@]}" < /dev/null > "$work/key.pem" \
  || fail "key --serial did not set the tablet up"
grep -q "BEGIN PUBLIC KEY" "$work/key.pem" || fail "key printed no public key"
timeout "$bound" "${cli[@]}" tasks "${tablet[@]}" < /dev/null > "$work/out" 2> "$work/err" \
  || fail "tasks on the tablet key set up: $(cat "$work/err")"
echo ok
