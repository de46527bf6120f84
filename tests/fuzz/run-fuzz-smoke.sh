#!/bin/sh
# Runs a libFuzzer target for a bounded number of inputs, starting from its seed corpus, so a broken fuzz
# build or a crash the corpus reaches quickly is noticed. New inputs go to a temporary directory, never into
# the corpus in the source tree. Usage: run-fuzz-smoke.sh FUZZER CORPUS RUNS
set -eu
fuzzer=$(realpath "$1") corpus=$(realpath "$2") runs=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
exec "$fuzzer" -runs="$runs" -seed=1 -print_final_stats=1 "$work" "$corpus"
