#!/bin/sh
# Fails when a translatable string has no translation in a language of po/LINGUAS, or when a source file with
# translatable strings is missing from po/POTFILES. Usage: check-translations.sh TOP [PO_DIR]
set -eu
top=$1
po_dir=${2:-$top/po}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0

cd "$top"
for file in $(grep -rlE '(^|[^A-Za-z0-9_])(N?_|C_|NC_)\("' iec104 src 2>/dev/null | sort); do
  if ! grep -qx "$file" po/POTFILES; then
    echo "po/POTFILES does not list $file, which has translatable strings" >&2
    status=1
  fi
done
for file in $(grep -l 'translatable="yes"' ui/*.ui 2>/dev/null); do
  if ! grep -qx "$file" po/POTFILES; then
    echo "po/POTFILES does not list $file, which has translatable strings" >&2
    status=1
  fi
done

build-aux/po-template "$work/fieldflash.pot"
for lang in $(grep -v '^#' po/LINGUAS); do
  msgmerge --quiet --no-fuzzy-matching -o "$work/$lang.po" "$po_dir/$lang.po" "$work/fieldflash.pot"
  stats=$(msgfmt --check --statistics -o /dev/null "$work/$lang.po" 2>&1) || status=1
  case "$stats" in
    *untranslated*|*fuzzy*)
      echo "$lang: $stats; these lack a translation:" >&2
      msgattrib --untranslated --no-obsolete --no-wrap "$work/$lang.po" | grep '^msgid ' | grep -v '^msgid ""$' >&2
      msgattrib --only-fuzzy --no-obsolete --no-wrap "$work/$lang.po" | grep '^msgid ' | grep -v '^msgid ""$' >&2
      status=1 ;;
  esac
done
exit $status
