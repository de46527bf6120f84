#!/bin/sh
# Proves the translation check bites: blank one zh_CN translation in a copy of po/ and expect the check to fail.
set -eu
top=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$top"/po/LINGUAS "$top"/po/*.po "$work/"
# Blank the first real translation (the entry after the header).
awk 'BEGIN { n = 0 } /^msgstr "/ { n++; if (n == 2) { print "msgstr \"\""; next } } { print }' \
  "$top/po/zh_CN.po" > "$work/zh_CN.po"
if "$top/tests/unit/check-translations.sh" "$top" "$work" 2>"$work/err"; then
  echo "the translation check passed although a zh_CN translation was blanked" >&2
  exit 1
fi
grep -q "lack a translation" "$work/err"
