#!/usr/bin/env python3
"""Adds up the results of `meson test` in the given build directories and prints one summary line."""
import json
import sys

counts = {"passed": 0, "failed": 0, "skipped": 0}
for build in sys.argv[1:]:
    with open(f"{build}/meson-logs/testlog.json", encoding="utf-8") as log:
        for line in log:
            result = json.loads(line)["result"]
            if result in ("OK", "EXPECTEDFAIL"):
                counts["passed"] += 1
            elif result == "SKIP":
                counts["skipped"] += 1
            else:
                counts["failed"] += 1
print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
sys.exit(1 if counts["failed"] else 0)
