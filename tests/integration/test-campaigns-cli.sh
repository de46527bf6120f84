#!/bin/bash
# Campaigns from the operator's CLI (no broker needed: nothing is sent before `serve` runs one):
# the selection by the rules of tasks (blacklist, hardware, already current, no credentials, in
# another campaign) with what was left out and why, networked terminals first in recorded waves,
# an empty selection refused with nothing stored, bad options refused, and the state changes.
set -euo pipefail
read -ra wrapper <<< "${FIELDFLASH_EXE_WRAPPER:-}"
work=$(mktemp -d /tmp/ff-campaigns-XXXXXX)
trap 'rm -rf "$work"' EXIT
platform () {
  "${wrapper[@]}" "${FIELDFLASH_BUILDDIR:?}/src/platform/fieldflash-platform" \
    --data-dir "$work/platform" "$@"
}
fail () { echo "FAIL: $*" >&2; exit 1; }
# The JSON of `campaigns show $1`, through python, evaluating the expression $2 on it as `c`.
show () {
  platform campaigns show "$1" --json \
    | python3 -c "import json, sys; c = json.load(sys.stdin); print($2)"
}

platform init > /dev/null
platform mqtt config -o "$work/mqtt" --port 1 > /dev/null
# DTU-0001..0008 networked (0007 and 0008 without credentials), 0009..0012 tablet only, 0013 of
# hardware HV9.9, 0014 runs V2.00 already.
{
  echo "device_id,name,latitude,longitude,vendor,model,hardware_version,software_version,software_checksum,host,port,common_address,profile,link"
  for i in $(seq 1 14); do
    id=$(printf 'DTU-%04d' "$i") link=mqtt hw=HV1.0 version=V1.00
    [ "$i" -ge 9 ] && link=offline
    [ "$i" = 13 ] && hw=HV9.9
    [ "$i" = 14 ] && version=V2.00
    echo "$id,Terminal $i,39.9,116.4,Acme,DTU-3000,$hw,$version,,127.0.0.1,2404,1,state-grid,$link"
  done
} > "$work/ledger.csv"
platform terminals import "$work/ledger.csv" > /dev/null
platform terminals credentials DTU-0001 -o "$work/credentials/DTU-0001" > /dev/null
# Several terminals at once: one directory each, named by the device ID.
platform terminals credentials DTU-0002 DTU-0003 DTU-0004 DTU-0005 DTU-0006 -o "$work/credentials" \
  > /dev/null
for i in 1 2 3 4 5 6; do
  [ -s "$work/credentials/DTU-000$i/terminal.crt" ] || fail "no credentials for DTU-000$i"
done
printf '#!/bin/sh\necho V2.00\n' > "$work/main-program"
platform packages build --vendor Acme --model DTU-3000 --hardware HV1.0 --version V2.00 \
  --main-program "$work/main-program" --main-program-version V2.00 -o "$work/v2.ffpkg" > /dev/null
platform firmware add "$work/v2.ffpkg" > /dev/null
platform blacklist add V2.00 DTU-0003 > /dev/null

echo "== bad options are refused and store nothing"
for bad in "--waves 10%,5%,100%" "--waves 10%,50%" "--waves 0%,100%" "--max-failures 0" \
           "--max-failures 101%" "--window 1:00-5:00" "--window 01:00-01:00" \
           "--offline-after 0"; do
  defaults=(--waves 50%,100% --max-failures 1)
  # shellcheck disable=SC2206
  options=($bad)
  if platform campaigns create --firmware V2.00 --running-version V1.00 "${defaults[@]}" \
       "${options[@]}" > "$work/out" 2>&1; then
    fail "accepted $bad"
  fi
done
# A window that ends when it starts says so (it looks like one), in the user's language too.
platform campaigns create --firmware V2.00 --running-version V1.00 --waves 100% --max-failures 1 \
  --window 00:00-00:00 > "$work/out" 2>&1 && fail "accepted --window 00:00-00:00"
grep -q "A window must end at another time than it starts" "$work/out" \
  || fail "--window 00:00-00:00: $(cat "$work/out")"
LANGUAGE=zh_CN LC_ALL=C.UTF-8 platform campaigns create --firmware V2.00 --running-version V1.00 \
  --waves 100% --max-failures 1 --window 03:00-03:00 > "$work/out" 2>&1 \
  && fail "accepted --window 03:00-03:00"
grep -q "维护窗口的结束时间必须不同于开始时间" "$work/out" || fail "zh_CN: $(cat "$work/out")"
if platform campaigns create --firmware V2.00 --waves 100% --max-failures 1 > /dev/null 2>&1; then
  fail "accepted a campaign without a selection"
fi
[ -z "$(platform campaigns list)" ] || fail "a refused campaign was stored"

echo "== an empty selection is refused"
if platform campaigns create --firmware V2.00 --running-version V9.00 --waves 100% \
     --max-failures 1 > "$work/out" 2>&1; then
  fail "accepted an empty selection"
fi
grep -q "No terminal can be upgraded to V2.00" "$work/out" || fail "no reason: $(cat "$work/out")"
if platform campaigns create --firmware V2.00 --terminals DTU-0014 --waves 100% \
     --max-failures 1 > "$work/out" 2>&1; then
  fail "accepted a terminal that runs V2.00 already"
fi
grep -q "already runs V2.00" "$work/out" || fail "no reason: $(cat "$work/out")"
if platform campaigns create --firmware V2.00 --terminals DTU-0001,DTU-0002,DTU-0001 \
     --waves 100% --max-failures 1 > "$work/out" 2>&1; then
  fail "accepted a terminal named twice"
fi
grep -q "Terminal DTU-0001 is named twice" "$work/out" || fail "no reason: $(cat "$work/out")"
if platform campaigns create --firmware V2.00 --terminals DTU-0001,,DTU-0002 \
     --waves 100% --max-failures 1 > "$work/out" 2>&1; then
  fail "accepted an empty device ID"
fi
grep -q "The list of terminals has an empty device ID" "$work/out" \
  || fail "no reason: $(cat "$work/out")"
if platform campaigns create --firmware V9.99 --terminals DTU-0001 --waves 100% \
     --max-failures 1 > "$work/out" 2>&1; then
  fail "accepted a version without firmware"
fi
grep -q "There is no firmware V9.99 for Acme DTU-3000 (terminal DTU-0001)" "$work/out" \
  || fail "no reason: $(cat "$work/out")"
[ -z "$(platform campaigns list)" ] || fail "a refused campaign was stored"

echo "== the selection by version: the rules of tasks, networked terminals first"
platform campaigns create --firmware V2.00 --running-version V1.00 --vendor Acme \
  --waves 10%,30%,60%,100% --max-failures 20% --window 22:00-04:00 --name "V1.00 is faulty" \
  > "$work/out"
grep -q "Created campaign C1" "$work/out" || fail "$(cat "$work/out")"
for excluded in "DTU-0003.*blacklisted" "DTU-0007.*no credentials" "DTU-0008.*no credentials" \
                "DTU-0013.*not compatible with hardware HV9.9"; do
  grep -q "Left out $excluded" "$work/out" || fail "not left out: $excluded"
done
[ "$(show C1 "c['state']")" = draft ] || fail "not a draft"
# 9 terminals (0001 0002 0004 0005 0006 networked, 0009..0012 tablet): waves end at ceil(0.9),
# ceil(2.7), ceil(5.4), 9 → 1, 3, 6, 9.
order=$(show C1 "' '.join('%d:%s:%s' % (w['wave'], t['device_id'][-2:], t['link'][0]) for w in c['wave_list'] for t in w['terminal_list'])")
expected="1:01:m 2:02:m 2:04:m 3:05:m 3:06:m 3:09:o 4:10:o 4:11:o 4:12:o"
[ "$order" = "$expected" ] || fail "order $order, expected $expected"
[ "$(show C1 "c['terminals']['pending']")" = 9 ] || fail "not 9 pending"

echo "== a terminal in an unfinished campaign is in no other"
if platform campaigns create --firmware V2.00 --terminals DTU-0001 --waves 100% \
     --max-failures 1 > "$work/out" 2>&1; then
  fail "a terminal went into two campaigns"
fi
grep -q "already in campaign C1" "$work/out" || fail "no reason: $(cat "$work/out")"

echo "== state changes"
expect_refused () {
  if platform campaigns "$1" C1 > "$work/out" 2>&1; then fail "$1 accepted in $2"; fi
  grep -q "Campaign C1 is $2" "$work/out" || fail "no reason: $(cat "$work/out")"
}
expect_refused pause draft
expect_refused resume draft
platform campaigns start C1 > /dev/null
[ "$(show C1 "c['state']")" = running ] || fail "not running"
expect_refused start running
platform campaigns pause C1 > /dev/null
[ "$(show C1 "c['state']")" = paused ] || fail "not paused"
platform campaigns resume C1 > /dev/null
platform campaigns cancel C1 > /dev/null
[ "$(show C1 "c['state']")" = cancelled ] || fail "not cancelled"
expect_refused resume cancelled
# In Chinese the state names are Chinese too, where people read them (the refusal, show's
# text); --json keeps the machine's English names.
if LANGUAGE=zh_CN LC_ALL=C.UTF-8 platform campaigns resume C1 > "$work/out" 2>&1; then
  fail "resume accepted in cancelled"
fi
grep -q "活动 C1 当前为“已取消”：不能变为“运行中”" "$work/out" || fail "zh_CN refusal: $(cat "$work/out")"
LANGUAGE=zh_CN LC_ALL=C.UTF-8 platform campaigns show C1 > "$work/out"
grep -q "已取消" "$work/out" || fail "zh_CN show: $(cat "$work/out")"
if grep -q "cancelled" "$work/out"; then fail "zh_CN show in English: $(cat "$work/out")"; fi
[ "$(LANGUAGE=zh_CN LC_ALL=C.UTF-8 show C1 "c['state']")" = cancelled ] || fail "--json not English"
if platform campaigns show C9 > /dev/null 2>&1; then fail "showed a campaign that is not"; fi

echo "== a cancelled campaign frees its terminals"
platform campaigns create --firmware V2.00 --terminals DTU-0001,DTU-0009 --waves 100% \
  --max-failures 1 > /dev/null
[ "$(show C2 "len(c['wave_list'][0]['terminal_list'])")" = 2 ] || fail "C2 not made"
platform campaigns list | grep -q "^C2.*draft" || fail "C2 not listed"

echo "== show gives the maintenance window, and when the next wave waits for it"
platform campaigns create --firmware V2.00 --terminals DTU-0002 --waves 100% --max-failures 1 \
  --window 01:00-05:00 > /dev/null
noon=$(date -u -d 2026-12-07T12:00:00Z +%s)
night=$(date -u -d 2026-12-08T02:00:00Z +%s)
[ "$(FIELDFLASH_PLATFORM_TIME=$noon show C3 "c['window'], c.get('next_wave_not_before')")" \
  = "01:00-05:00 2026-12-08T01:00:00Z" ] || fail "C3 at noon: $(platform campaigns show C3 --json)"
FIELDFLASH_PLATFORM_TIME=$noon platform campaigns show C3 > "$work/out"
grep -qx "Window: 01:00-05:00 UTC, closed now: the next wave starts no earlier than 2026-12-08 01:00:00Z" \
  "$work/out" || fail "C3 text at noon: $(cat "$work/out")"
[ "$(FIELDFLASH_PLATFORM_TIME=$night show C3 "c['window'], c.get('next_wave_not_before')")" \
  = "01:00-05:00 None" ] || fail "C3 inside its window"
FIELDFLASH_PLATFORM_TIME=$night platform campaigns show C3 > "$work/out"
grep -qx "Window: 01:00-05:00 UTC" "$work/out" || fail "C3 text at night: $(cat "$work/out")"
# A finished campaign starts no wave; one without a window says nothing of it.
[ "$(FIELDFLASH_PLATFORM_TIME=$noon show C1 "c['window'], c.get('next_wave_not_before')")" \
  = "22:00-04:00 None" ] || fail "C1 (cancelled) waits for a window"
[ "$(show C2 "c['window']")" = None ] || fail "C2 has a window"
if platform campaigns show C2 | grep -q Window; then fail "C2 shows a window"; fi

echo "== a tablet that is not in stock is refused in the user's language"
echo 123456 | platform technicians add --phone 13800138000 --name Tech > /dev/null
openssl genpkey -algorithm ed25519 -out "$work/tablet.pem" 2> /dev/null
openssl pkey -in "$work/tablet.pem" -pubout -out "$work/tablet.pub.pem"
platform handhelds add TAB-0001 --pubkey "$work/tablet.pub.pem" > /dev/null
platform tasks create --technician 13800138000 --handheld TAB-0001 --terminals DTU-0010 \
  --firmware V2.00 > /dev/null
if LANGUAGE=zh_CN LC_ALL=C.UTF-8 platform tasks create --technician 13800138000 \
     --handheld TAB-0001 --terminals DTU-0011 --firmware V2.00 > "$work/out" 2>&1; then
  fail "a checked-out tablet was given a second task"
fi
grep -q "平板 TAB-0001 不在库（当前状态：已领用）" "$work/out" || fail "zh_CN refusal: $(cat "$work/out")"
LANGUAGE=zh_CN LC_ALL=C.UTF-8 platform handhelds list > "$work/out"
grep -q "^TAB-0001	已领用	" "$work/out" || fail "zh_CN handhelds list: $(cat "$work/out")"
[ "$(platform handhelds list --json | python3 -c "import json, sys; print(json.load(sys.stdin)[0]['state'])")" \
  = checked-out ] || fail "handhelds list --json not the stored name"

echo "== tasks list and tasks cancel name a task's state in the user's language"
task=$(platform tasks list | cut -f1)
platform tasks cancel "$task" > /dev/null
LANGUAGE=zh_CN LC_ALL=C.UTF-8 platform tasks list > "$work/out"
grep -q "^$task.*已取消" "$work/out" || fail "zh_CN tasks list: $(cat "$work/out")"
[ "$(platform tasks list --json | python3 -c "import json, sys; print(json.load(sys.stdin)[0]['state'])")" \
  = cancelled ] || fail "--json not English"
if LANGUAGE=zh_CN LC_ALL=C.UTF-8 platform tasks cancel "$task" > "$work/out" 2>&1; then
  fail "a cancelled task was cancelled again"
fi
grep -q "任务 $task 当前为“已取消”：只有进行中的任务可以取消" "$work/out" \
  || fail "zh_CN refusal: $(cat "$work/out")"
echo "PASS"
