#!/usr/bin/python3
# Copyright (c) 2026 The keywarden authors
# SPDX-License-Identifier: Apache-2.0
"""Counts test results in a results folder and prints "N passed, N failed".

Reads meson's testlog*.json (one JSON object per line, one per test
program; a program's cmocka cases are counted one by one when its output
reports them) and pytest JUnit XML files. With --total, sums the
"N passed, N failed" lines given on stdin instead.
"""
import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

CMOCKA_PASSED = re.compile(r"\[  PASSED  \] (\d+) test")
CMOCKA_FAILED = re.compile(r"\[  FAILED  \] (\d+) test")


def count_meson(path):
    passed = failed = 0
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        t = json.loads(line)
        result = t.get("result")
        out = (t.get("stdout") or "") + (t.get("stderr") or "")
        p = sum(int(m) for m in CMOCKA_PASSED.findall(out))
        f = sum(int(m) for m in CMOCKA_FAILED.findall(out))
        if result in ("OK", "EXPECTEDFAIL"):
            passed += p if p else 1
        elif result == "SKIP":
            continue
        else:
            # A crashed or timed-out program counts at least one failure.
            passed += p
            failed += f if f else 1
    return passed, failed


SKIPPED = []


def count_junit(path):
    """Passed and failed cases. A skipped case is neither: it is listed by
    name and reason (see main) so a skip can never pass silently."""
    passed = failed = 0
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        skip = case.find("skipped")
        if skip is not None:
            SKIPPED.append("%s::%s: %s" % (case.get("classname"),
                                           case.get("name"),
                                           skip.get("message", "")))
        elif case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        else:
            passed += 1
    return passed, failed


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "--total":
        p = f = 0
        for line in sys.stdin:
            m = re.match(r"^(\d+) passed, (\d+) failed$", line.strip())
            if m:
                p += int(m.group(1))
                f += int(m.group(2))
        print(f"{p} passed, {f} failed")
        return 0
    folder = Path(sys.argv[1])
    p = f = 0
    for log in sorted(folder.glob("testlog*.json")):
        a, b = count_meson(log)
        p, f = p + a, f + b
    for xml in sorted(folder.glob("*.xml")):
        a, b = count_junit(xml)
        p, f = p + a, f + b
    for name in SKIPPED:
        print(f"skipped (not counted): {name}")
    print(f"{p} passed, {f} failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
