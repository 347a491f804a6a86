# SPDX-License-Identifier: BSD-3-Clause
"""Small helpers shared by the integration test scripts.

  Checks              pass/fail list, printed at the end of a test
  ScenarioChecks      the same, grouped by scenario, with notes; run_plan() runs
                      a test's scenario plan against one relay, finish_plan()
                      prints the verdict
  common_args(desc)   argparse with --sluice, --keep, --verbose
  preflight(args)     None, or the exit code (77 not root, 1 no binary)
  raise_nofile(n)     raise RLIMIT_NOFILE (soft, up to the hard limit)
  wait_until(fn, timeout, interval)  bounded polling
  dp_stats(ng)        statistics.dataplane as a dict
  dp_delta(a, b)      counter differences (integers only)
  Telemetry(prefix)   DPDK telemetry socket client (/ethdev/stats,N ...)
  call_pair(...)      offer + answer one call between two endpoints
"""

import argparse
import json
import os
import resource
import socket
import time
import traceback

from . import REPO_ROOT
from .sdp import build_sdp, parse_sdp
from .topo import DPDK_RUNDIR

SKIP = 77


class Checks:
    """Collects (ok, text) results; a test fails if any check failed."""

    def __init__(self, verbose=False):
        self.results = []
        self.verbose = verbose

    def check(self, ok, what):
        ok = bool(ok)
        self.results.append((ok, what))
        if self.verbose or not ok:
            print('%s %s' % ('ok  ' if ok else 'FAIL', what), flush=True)
        return ok

    def eq(self, got, want, what):
        return self.check(got == want, '%s: got %r, want %r' % (what, got, want))

    @property
    def failed(self):
        return [w for ok, w in self.results if not ok]

    def finish(self, name, t_begin):
        """Print the verdict; return the exit code."""
        took = time.monotonic() - t_begin
        if self.failed:
            print('FAIL %s: %d of %d checks failed (%.1f s):' % (name, len(self.failed),
                                                                len(self.results), took))
            for w in self.failed:
                print('  - ' + w)
            return 1
        print('PASS %s: %d checks (%.1f s)' % (name, len(self.results), took))
        return 0


class ScenarioChecks:
    """pass/fail lines grouped by scenario; a test fails if any check failed."""

    def __init__(self, verbose=False):
        self.results = []
        self.scenario = None
        self.notes = []
        self.verbose = verbose

    def check(self, ok, what):
        ok = bool(ok)
        self.results.append((ok, self.scenario, what))
        if self.verbose or not ok:
            print('  %s [%s] %s' % ('ok  ' if ok else 'FAIL', self.scenario, what), flush=True)
        return ok

    def eq(self, got, want, what):
        return self.check(got == want, '%s: got %r, want %r' % (what, got, want))

    def note(self, text):
        self.notes.append((self.scenario, text))
        if self.verbose:
            print('  .... [%s] %s' % (self.scenario, text), flush=True)

    @property
    def failed(self):
        return [(s, w) for ok, s, w in self.results if not ok]


def run_plan(c, x, relay, plan, titles, verbose=False):
    """Run plan [(scenario, fn, args)] as fn(x, *args) against one relay; a
    scenario that raises fails without hiding the others, and one the relay
    did not survive is not run.  Prints a line per scenario (titles[num])."""
    t_sc = {}
    for num, fn, fargs in plan:
        c.scenario = num
        t0 = time.monotonic()
        if not relay.running:
            c.check(False, 'sluice not running: scenario not run')
            continue
        try:
            fn(x, *fargs)
        except Exception as e:  # one scenario's crash must not hide the others
            c.check(False, '%s%s raised %s: %s' % (fn.__name__, fargs, type(e).__name__, e))
            if verbose:
                traceback.print_exc()
        t_sc[num] = t_sc.get(num, 0) + time.monotonic() - t0
    for num in sorted(t_sc):
        mine = [ok for ok, s, _ in c.results if s == num]
        print('  [%s] %-44s %s (%d/%d checks, %.1f s)'
              % (num, titles[num], 'PASS' if all(mine) else 'FAIL', sum(mine),
                 len(mine), t_sc[num]), flush=True)
    c.scenario = '0'


def finish_plan(c, t_begin):
    """Print the notes and the verdict of a ScenarioChecks; return the exit code."""
    for scen, n in c.notes:
        print('  [%s] %s' % (scen, n))
    total = time.monotonic() - t_begin
    if c.failed:
        print('FAIL: %d of %d checks failed (%.1f s)' % (len(c.failed), len(c.results), total))
        for s, w in c.failed:
            print('  FAIL [%s] %s' % (s, w))
        return 1
    print('PASS: %d checks (%.1f s)' % (len(c.results), total))
    return 0


def common_args(description):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument('--sluice', default=os.path.join(REPO_ROOT, 'build', 'sluice'),
                    help='sluice binary (default: build/sluice)')
    ap.add_argument('--keep', action='store_true', help='keep the work dir (logs)')
    ap.add_argument('--verbose', '-v', action='store_true', help='print every check')
    return ap


def preflight(args):
    """None when the test can run, else its exit code (after a message)."""
    if os.geteuid() != 0:
        print('SKIP: needs root (network namespaces)')
        return SKIP
    if not os.access(args.sluice, os.X_OK):
        print('FAIL: sluice binary %s not found (build it or pass --sluice)' % args.sluice)
        return 1
    return None


def raise_nofile(want):
    """Raise the soft RLIMIT_NOFILE to `want` (bounded by the hard limit);
    returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        new = want if hard == resource.RLIM_INFINITY else min(want, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        except (ValueError, OSError):
            if hard != resource.RLIM_INFINITY and hard < want:
                # root may raise the hard limit too
                resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return soft


def wait_until(fn, timeout, interval=0.05):
    """Call fn() until it returns a true value or `timeout` s pass; return
    the last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(interval)


def dp_stats(ng):
    """statistics.dataplane of the relay (dict of counters + workers)."""
    return ng.statistics()['statistics']['dataplane']


def dp_delta(before, after):
    """{counter: after - before} for the integer counters."""
    return {k: after[k] - before.get(k, 0) for k in after
            if isinstance(after[k], int) and isinstance(before.get(k, 0), int)}


def rundir(prefix):
    return os.path.join(DPDK_RUNDIR, prefix)


class Telemetry:
    """Client of DPDK's telemetry socket /var/run/dpdk/<prefix>/dpdk_telemetry.v2
    (a Unix SOCK_SEQPACKET socket: not tied to a network namespace)."""

    def __init__(self, prefix, timeout=2.0):
        path = os.path.join(rundir(prefix), 'dpdk_telemetry.v2')
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        info = json.loads(self.sock.recv(16384).decode())
        self.max_len = int(info.get('max_output_len', 16384))

    def query(self, cmd):
        self.sock.send(cmd.encode())
        return json.loads(self.sock.recv(self.max_len).decode())

    def port_stats(self, port):
        return self.query('/ethdev/stats,%d' % port).get('/ethdev/stats') or {}

    def close(self):
        self.sock.close()


def call_pair(ng, call_id, a_ip, a_port, b_ip, b_port, flags=('trust-address',),
              direction=('a', 'b'), **kw):
    """Offer (caller a_ip:a_port) + answer (callee b_ip:b_port).

    Returns (to_b, to_a): the relay endpoints (ip, port) the callee and the
    caller must send to, i.e. the relay's b-side and a-side sockets.
    """
    off = ng.offer(call_id, 'ft-' + call_id, build_sdp(a_ip, a_port), flags=list(flags),
                   replace=['origin'], direction=list(direction), **kw)
    ans = ng.answer(call_id, 'ft-' + call_id, 'tt-' + call_id, build_sdp(b_ip, b_port),
                    flags=list(flags), replace=['origin'], **kw)
    mb, ma = parse_sdp(off['sdp']).audio(), parse_sdp(ans['sdp']).audio()
    return (mb.addr, mb.port), (ma.addr, ma.port)
