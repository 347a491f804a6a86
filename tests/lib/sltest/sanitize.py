# SPDX-License-Identifier: BSD-3-Clause
"""Sanitizer reports in the logs of the processes a test ran.

A sluice built with AddressSanitizer/UndefinedBehaviorSanitizer
(scripts/test-sanitize) writes its reports to stderr, which the harness
keeps in a file per process (topo.Proc.err_path).  A report must fail the
test even when the process still exits 0 (a UBSan build without
-fno-sanitize-recover, LSan with exitcode=0, a test that never looks at
the exit code), so:

  check_proc(proc)   scans a stopped process's stderr; reports found are
                     printed once and remembered (Relay.stop() and
                     Topology teardown call it for every process)
  reports()          [(process name, excerpt)] found so far
  failed()           True when any report was found

At interpreter exit, after the topologies are cleaned up, a test that
found a report exits 1 whatever main() returned (see _exit_hook).
Un-instrumented programs (Kamailio, Chromium, rtpengine) never print these
markers, so scanning every process is safe.
"""

import atexit
import os
import re
import sys
import threading

#: what ASan, LSan and UBSan print at the start of a report
#: (UBSan: "<file>:<line>:<col>: runtime error: ...")
MARKER = re.compile(r'ERROR: (?:AddressSanitizer|LeakSanitizer)'
                    r'|^\S+:\d+:\d+: runtime error: '
                    r'|SUMMARY: (?:AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer)',
                    re.M)

#: lines of a report kept for the test's output (the whole file stays in
#: the work dir with SLTEST_KEEP=1)
EXCERPT_LINES = 60

_reports = []           # (name, excerpt)
_lock = threading.Lock()


def scan_text(text):
    """Excerpt of the first sanitizer report in `text`, or None."""
    m = MARKER.search(text or '')
    if m is None:
        return None
    start = text.rfind('\n', 0, m.start()) + 1
    lines = text[start:].splitlines()
    return '\n'.join(lines[:EXCERPT_LINES])


def check_text(name, text):
    """Record and print a report found in `text`; return True if found."""
    excerpt = scan_text(text)
    if excerpt is None:
        return False
    with _lock:
        _reports.append((name, excerpt))
    print('FAIL sanitizer report in the log of %s:\n%s\n--- end of excerpt ---'
          % (name, excerpt), flush=True)
    return True


def check_proc(proc):
    """Scan a (stopped) topo.Proc's stderr once; True if it holds a report.
    (The answer is kept on the Proc: Relay.stop() and the topology teardown
    both ask, and a later process of the same name reuses the log path.)"""
    found = getattr(proc, 'sanitizer_report', None)
    if found is None:
        found = check_text(proc.name, proc.stderr_text())
        proc.sanitizer_report = found
    return found


def reports():
    with _lock:
        return list(_reports)


def failed():
    with _lock:
        return bool(_reports)


def _exit_hook():
    # Registered at import, i.e. before topo's cleanup handler (atexit runs
    # handlers last-in first-out), so the teardown scans have run by now.
    # The test's own exit code is out of reach here: os._exit() is the only
    # way to turn a passing run into a failure.
    if not failed():
        return
    names = sorted({n for n, _ in reports()})
    print('FAIL: sanitizer reports in the logs of: %s' % ', '.join(names), flush=True)
    sys.stderr.flush()
    os._exit(1)


atexit.register(_exit_hook)
