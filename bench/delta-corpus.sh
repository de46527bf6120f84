#!/bin/sh
# Builds bench-delta's corpus of real firmware pairs from this repository's own history (no third-party
# binaries): for each pair of commits, the iec104 library linked as a Cortex-M0+ firmware image, the same
# library as an aarch64 shared object, and the x86-64 programs fieldflash-cli, fieldflash-sim and
# fieldflash-platform (stripped, release build). Usage: delta-corpus.sh OUTDIR
# Needs git, meson, gcc, gcc-arm-none-eabi + libnewlib-arm-none-eabi and gcc-aarch64-linux-gnu.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "$1" && cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Older and newer commits: a long stretch of development, and a short one (in which the protocol library
# changed, so no pair is identical).
pairs="7f1cb25:71ba842 71ba842:bb692af"

build_commit () {
  commit=$1 dir=$work/$1
  [ -d "$dir/out" ] && return 0
  mkdir -p "$dir/src" "$dir/out"
  git -C "$top" archive "$commit" | tar -x -C "$dir/src"
  # Cortex-M0+: the whole protocol library linked into one image, as a terminal's firmware would.
  arm-none-eabi-gcc -Os -mcpu=cortex-m0plus -mthumb -std=c11 -ffunction-sections -fdata-sections \
    -nostartfiles --specs=nano.specs --specs=nosys.specs -Wl,--entry=iec104_link_new \
    -I"$dir/src/iec104" "$dir"/src/iec104/*.c -o "$dir/iec104-m0.elf"
  arm-none-eabi-objcopy -O binary "$dir/iec104-m0.elf" "$dir/out/iec104-cortex-m0plus.bin"
  aarch64-linux-gnu-gcc -O2 -std=c11 -shared -fPIC -I"$dir/src/iec104" "$dir"/src/iec104/*.c \
    -o "$dir/out/libiec104-aarch64.so"
  aarch64-linux-gnu-strip "$dir/out/libiec104-aarch64.so"
  meson setup "$dir/build" "$dir/src" -Dapp=false --buildtype=release >/dev/null
  meson compile -C "$dir/build" src/cli/fieldflash-cli:executable src/sim/fieldflash-sim:executable \
    src/platform/fieldflash-platform:executable >/dev/null
  for program in cli/fieldflash-cli sim/fieldflash-sim platform/fieldflash-platform; do
    strip -o "$dir/out/$(basename "$program")-x86_64" "$dir/build/src/$program"
  done
}

for pair in $pairs; do
  old=${pair%%:*} new=${pair##*:}
  build_commit "$old"
  build_commit "$new"
  for file in "$work/$new"/out/*; do
    name=$(basename "$file")
    cp "$work/$old/out/$name" "$out/$old-$new-$name.old"
    cp "$file" "$out/$old-$new-$name.new"
  done
done
ls -l "$out"
