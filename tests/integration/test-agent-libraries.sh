#!/bin/bash
# fieldflash-agent has libarchive linked in (src/agent/meson.build): the shared libarchive would
# bring libxml2, ICU, libstdc++ and five compression libraries into the terminal's daemon at start,
# 2.4 MB of its resident memory for tar reading it does not need them for (docs/agent.md, Memory).
# The agent's own list of shared libraries names none of them, and it still reads packages (the
# agent-remote and remote-e2e tests).
set -euo pipefail
agent=${FIELDFLASH_BUILDDIR:?}/src/agent/fieldflash-agent

needed=$(readelf -d "$agent" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p')
[ -n "$needed" ] || { echo "FAIL: no shared libraries read from $agent" >&2; exit 1; }
unwanted=$(grep -E '^lib(archive|xml2|icu[a-z]*|stdc\+\+|lzma|zstd|lz4|bz2|acl)\.so' <<< "$needed" \
           || true)
if [ -n "$unwanted" ]; then
  echo "FAIL: fieldflash-agent loads $(tr '\n' ' ' <<< "$unwanted")" >&2
  exit 1
fi
echo "fieldflash-agent loads: $(tr '\n' ' ' <<< "$needed")"
