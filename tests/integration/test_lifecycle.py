#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Process lifecycle: signals, pidfile, config file, errors, EAL defaults.

(a) SIGTERM while a call streams both ways: sluice exits 0 within 5 s, its
    DPDK runtime dir /var/run/dpdk/<file-prefix> is gone (checked before the
    harness would remove it), no process of it is left.
(a2) SIGTERM while EAL initialises (its "IOVA mode" log line seen, not
    ready yet): sluice still stops by itself (not killed by the signal) within 5 s
    and removes its runtime dir, as the README promises for SIGTERM.
(e) --pidfile holds the pid while running and is removed after SIGTERM.
(b) Bad configuration: `port-min = abc` in a config file -> exit 1 and ONE
    stderr line naming the file, the line and the key; an unknown config key
    and unknown / out-of-range command line options likewise; `sluice --help`
    exits 0 and lists every long option that appears in config/sluice.conf.
(c) A config file carrying the interfaces, ports, listen-ng, foreground and
    logging ([sluice] section) plus only EAL arguments on the command line
    runs a working relay (ng ping, one call with media both ways, relay
    ports from the file's range); command line options override the file
    (--listen-ng and the port range: the file's ng port no longer answers).
(d) No EAL arguments at all: sluice logs "no EAL arguments: using --no-huge
    -m 256", EAL initialises and, as no DPDK port exists then, sluice exits
    1 with "DPDK port 0 does not exist", leaving no runtime dir.  Run inside
    a private mount namespace (ip netns exec makes one) where /var/run/dpdk is
    a private directory (the default file-prefix "rte" cannot collide with
    other DPDK processes, and leftovers are visible) and /sys/bus/pci/devices
    is empty (EAL probes PCI without --no-pci; the VM's own virtio devices
    stay untouched).  If another process has reserved hugepages, the run is
    repeated with HugePages_Free masked to 0 in /proc/meminfo (the
    --in-memory branch is checked on the real view).

Usage (root):  python3 tests/integration/test_lifecycle.py --sluice build/sluice
Exit status: 0 pass, 1 fail, 77 skipped (not root).
"""

import os
import re
import signal
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))

from sltest import REPO_ROOT  # noqa: E402
from sltest.itest import Checks, call_pair, common_args, preflight, rundir  # noqa: E402
from sltest.netns import netns_pids  # noqa: E402
from sltest.ng import NgClient  # noqa: E402
from sltest.relay import RelayError, Sluice  # noqa: E402
from sltest.rtp import Pattern, RtpPeer, verify_rtp  # noqa: E402
from sltest.topo import Topology  # noqa: E402

SLUICE_CONF = os.path.join(REPO_ROOT, 'config', 'sluice.conf')
TERM_LIMIT_S = 5.0


def parse_args(argv):
    return common_args('sluice process lifecycle and configuration').parse_args(argv)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie is not alive for our purposes
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().split(')')[-1].split()[0] != 'Z'
    except OSError:
        return False


def procs_with(marker):
    """Pids whose command line contains `marker` (excluding ourselves)."""
    out = []
    for d in os.listdir('/proc'):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open('/proc/%s/cmdline' % d, 'rb') as f:
                if marker.encode() in f.read():
                    out.append(int(d))
        except OSError:
            pass
    return out


def hugepages_free():
    with open('/proc/meminfo') as f:
        for ln in f:
            if ln.startswith('HugePages_Free:'):
                return int(ln.split()[1])
    return 0


def eal_args(relay):
    """The EAL part of the harness's command line for `relay`."""
    a = relay.lcore_args()
    a += ['--no-pci', '--no-huge', '-m', '256', '--file-prefix=%s' % relay.file_prefix]
    for port, ep in enumerate(relay.interfaces):
        a.append('--vdev=net_af_packet%d,iface=%s,qpairs=%d,%s'
                 % (port, ep.relay_if, relay.workers, relay.vdev_opts))
    return a


class ConfSluice(Sluice):
    """sluice --config-file=CONF [CLI...] -- <EAL args>: everything else from
    the file."""

    def __init__(self, binary, topo, interfaces, conf, cli=(), **kw):
        self.conf = conf
        self.cli = [str(x) for x in cli]
        super().__init__(binary, topo, interfaces, **kw)

    def argv(self):
        return [self.binary, '--config-file=%s' % self.conf] + self.cli + ['--'] + eal_args(self)


def stream_both(pa, pb, to_a, to_b, cid, n, stop=None):
    """Stream n RTP packets each way in two threads; returns (threads, res)."""
    res = {}

    def go(name, peer, dst, pat):
        res[name] = peer.send_stream(dst, n, 20, pat, stop=stop)
    th = [threading.Thread(target=go, args=('a>b', pa, to_a, Pattern(cid, 'a>b')), daemon=True),
          threading.Thread(target=go, args=('b>a', pb, to_b, Pattern(cid, 'b>a')), daemon=True)]
    for t in th:
        t.start()
    return th, res


def media_call(c, ng, a, b, cid, port, what, port_range=None, n=25):
    """One call with n packets each way; checks delivery (>= 90 %) and the
    relay ports' range."""
    pa = RtpPeer(a.ns, a.peer_ip, port)
    pb = RtpPeer(b.ns, b.peer_ip, port)
    try:
        to_b, to_a = call_pair(ng, cid, a.peer_ip, pa.rtp_port, b.peer_ip, pb.rtp_port)
        if port_range:
            lo, hi = port_range
            c.check(lo <= to_a[1] <= hi and lo <= to_b[1] <= hi,
                    '%s: relay ports %d/%d inside %d-%d' % (what, to_a[1], to_b[1], lo, hi))
        pa.start_capture(max_seconds=30)
        pb.start_capture(max_seconds=30)
        th, res = stream_both(pa, pb, to_a, to_b, cid, n)
        for t in th:
            t.join(n * 0.02 + 10)
        time.sleep(0.3)
        pa.stop_capture()
        pb.stop_capture()
        for name, rx, src in (('a>b', pb, to_b), ('b>a', pa, to_a)):
            v = verify_rtp(rx.captured(), Pattern(cid, name))
            c.check(v['valid'] >= 0.9 * n and v['invalid'] == 0 and v['srcs'] == ['%s:%d' % src],
                    '%s: media %s %d/%d intact from %s:%d (invalid %d, srcs %s)'
                    % (what, name, v['valid'], n, src[0], src[1], v['invalid'], v['srcs']))
        ng.delete(cid, check=False)
    finally:
        pa.close()
        pb.close()


def cleanup_daemon(pidfile, marker):
    """If sluice daemonized anyway, stop that process (by the pid it wrote)."""
    try:
        with open(pidfile) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        return None
    if pid_alive(pid) and pid in procs_with(marker):
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if not pid_alive(pid):
                break
            time.sleep(0.05)
        else:
            os.kill(pid, signal.SIGKILL)
        return pid
    return None


# --- (a) + (e) -------------------------------------------------------------------

def part_sigterm(c, args, topo, a, b):
    pidfile = os.path.join(topo.workdir, 'sluice-a.pid')
    try:
        relay = Sluice(args.sluice, topo, [a, b], extra_args=['--pidfile=%s' % pidfile])
    except RelayError as e:
        c.check(False, '(a) sluice started: %s' % e)
        return
    try:
        with open(pidfile) as f:
            text = f.read()
    except OSError as e:
        text = 'unreadable: %s' % e
    c.check(text.strip() == str(relay.pid),
            '(e) pidfile %s holds the pid while running (%r, pid %d)'
            % (os.path.basename(pidfile), text.strip(), relay.pid))
    ng = relay.ng_client()
    pa = RtpPeer(a.ns, a.peer_ip, 20000)
    pb = RtpPeer(b.ns, b.peer_ip, 20000)
    stop = threading.Event()
    th = []
    try:
        to_b, to_a = call_pair(ng, 'term-1', a.peer_ip, 20000, b.peer_ip, 20000)
        pa.start_capture(max_seconds=60)
        pb.start_capture(max_seconds=60)
        th, _ = stream_both(pa, pb, to_a, to_b, 'term-1', 500, stop)
        flowing = False
        for _ in range(100):
            if len(pa.rtp_rx) >= 10 and len(pb.rtp_rx) >= 10:
                flowing = True
                break
            time.sleep(0.05)
        c.check(flowing, '(a) call streaming both ways before SIGTERM (%d/%d packets in)'
                % (len(pb.rtp_rx), len(pa.rtp_rx)))
        prefix_dir = rundir(relay.file_prefix)
        c.check(os.path.isdir(prefix_dir), '(a) runtime dir %s exists while running'
                % prefix_dir)
        pid = relay.pid
        t0 = time.monotonic()
        rc = relay.proc.stop(timeout=10.0)          # SIGTERM by pid (SIGKILL after 10 s)
        took = time.monotonic() - t0
        c.check(rc == 0 and took <= TERM_LIMIT_S,
                '(a) SIGTERM mid-call: exit %s after %.2f s (want 0 within %.0f s)'
                % (rc, took, TERM_LIMIT_S))
        left = os.listdir(prefix_dir) if os.path.isdir(prefix_dir) else None
        c.check(left is None, '(a) %s removed by sluice (left: %s)' % (prefix_dir, left))
        c.check(not pid_alive(pid), '(a) process %d gone' % pid)
        others = procs_with(relay.file_prefix)
        c.check(not others, '(a) no process with file-prefix %s left (%s)'
                % (relay.file_prefix, others))
        in_core = netns_pids(topo.core)
        c.check(not in_core, '(a) no process left in the relay netns (%s)' % in_core)
        c.check(not os.path.exists(pidfile), '(e) pidfile removed after SIGTERM')
        log = relay.log_text()
        c.check('shutting down' in log, '(a) sluice logged its shutdown')
        before = len(pb.rtp_rx)
        time.sleep(0.2)
        c.check(len(pb.rtp_rx) == before, '(a) forwarding stopped with the process')
    finally:
        stop.set()
        for t in th:
            t.join(5)
        pa.close()
        pb.close()
        relay.stop()                                # bookkeeping (already exited)
    print('(a) SIGTERM during a call: exit %s in %.2f s; pidfile and %s gone'
          % (rc, took, prefix_dir))


def part_sigterm_startup(c, args, topo, a):
    """SIGTERM while EAL initialises (after its first 'EAL:' line, before
    ready): the README promises a clean stop that removes the runtime files."""
    relay = Sluice(args.sluice, topo, [a], start=False)
    relay.proc = topo.spawn('sluice-startup', relay.argv())
    # EAL has created its runtime files once it logs the IOVA mode; memory
    # and device set-up follow (about 100 ms here)
    seen = False
    for _ in range(2000):                       # <= 10 s
        text = relay.proc.stderr_text()
        if 'IOVA' in text or 'ready' in text or relay.proc.poll() is not None:
            seen = 'EAL:' in text
            break
        time.sleep(0.005)
    was_ready = 'ready' in relay.proc.stderr_text()
    t0 = time.monotonic()
    rc = relay.proc.stop(timeout=10.0)
    took = time.monotonic() - t0
    prefix_dir = rundir(relay.file_prefix)
    left = os.listdir(prefix_dir) if os.path.isdir(prefix_dir) else None
    tail = [ln for ln in relay.proc.stderr_text().splitlines() if ln.strip()][-2:]
    c.check(seen, '(a2) EAL start-up observed before SIGTERM')
    c.check(rc is not None and rc >= 0 and took <= TERM_LIMIT_S,
            '(a2) SIGTERM during EAL start-up (ready yet: %s): sluice exits by itself within '
            '%.0f s (exit %s after %.2f s; negative = killed by the signal)'
            % (was_ready, TERM_LIMIT_S, rc, took))
    c.check(left is None, '(a2) SIGTERM during start-up: %s removed (left: %s)'
            % (prefix_dir, left))
    print('(a2) SIGTERM during EAL start-up: exit %s after %.2f s, runtime dir left: %s; '
          'last log: %s' % (rc, took, left, ' | '.join(tail)))
    relay.stop()                                # bookkeeping; removes any leftover


# --- (b) ---------------------------------------------------------------------------

def run_sluice(topo, args, argv, timeout=30):
    return topo.run(None, [args.sluice] + argv, check=False, timeout=timeout)


def err_lines(res):
    return [ln for ln in res.stderr.splitlines() if ln.strip()]


def part_badconfig(c, args, topo, a):
    safe_eal = ['--', '-l', '0-1', '--no-pci', '--no-huge', '-m', '64',
                '--file-prefix=%sb' % topo.tag]
    conf = os.path.join(topo.workdir, 'bad-port.conf')
    with open(conf, 'w') as f:
        f.write('# lifecycle test: a bad value\n[sluice]\ninterface = a/%s/24@0\n'
                'port-min = abc\nport-max = 31000\n' % a.relay_ip)
    cases = [
        ('config port-min = abc', ['--foreground', '--log-stderr', '--config-file=%s' % conf],
         [re.escape(conf), r'\bline 4\b', 'port-min', 'abc']),
    ]
    conf2 = os.path.join(topo.workdir, 'bad-key.conf')
    with open(conf2, 'w') as f:
        f.write('[sluice]\ninterface = a/%s/24@0\nfrobnicate = 1\n' % a.relay_ip)
    cases.append(('config unknown key', ['--foreground', '--config-file=%s' % conf2],
                  [re.escape(conf2), r'\bline 3\b', 'frobnicate']))
    cases.append(('unknown option', ['--foreground', '--no-such-option',
                                     '--interface=a/%s' % a.relay_ip],
                  ['--no-such-option', 'unknown']))
    cases.append(('out-of-range option', ['--foreground', '--interface=a/%s' % a.relay_ip,
                                          '--port-min=70000'],
                  ['port-min', '70000']))
    cases.append(('missing config file', ['--foreground', '--config-file=%s/none.conf'
                                          % topo.workdir],
                  ['none.conf']))
    for name, argv, pats in cases:
        res = run_sluice(topo, args, argv + safe_eal)
        lines = err_lines(res)
        c.check(res.returncode == 1 and len(lines) == 1 and
                all(re.search(p, lines[0]) for p in pats) and not res.stdout.strip(),
                '(b) %s: exit 1 and one stderr line matching %s (exit %s, lines %s)'
                % (name, pats, res.returncode, lines[:5]))
        print('(b) %-22s exit %s: %s' % (name, res.returncode, ' | '.join(lines[:3])))
    rd = rundir('%sb' % topo.tag)
    c.check(not os.path.exists(rd), '(b) no runtime dir from the failed starts')

    # --help lists every long option of config/sluice.conf
    res = run_sluice(topo, args, ['--help'])
    keys = []
    with open(SLUICE_CONF) as f:
        for ln in f:
            m = re.match(r'^[#;]?\s?([a-z][a-z0-9-]+)\s*=\s*\S', ln)
            if m and m.group(1) not in keys:
                keys.append(m.group(1))
    missing = [k for k in keys if not re.search(r'--%s(=|\s|$)' % re.escape(k), res.stdout,
                                                re.M)]
    c.check(res.returncode == 0 and len(keys) >= 10 and not missing and not res.stderr.strip(),
            '(b) --help exits 0 (%s) and lists all %d options of sluice.conf (missing %s)'
            % (res.returncode, len(keys), missing))
    print('(b) --help: exit %s, %d lines; sluice.conf options: %s'
          % (res.returncode, len(res.stdout.splitlines()), ' '.join(keys)))


# --- (c) ---------------------------------------------------------------------------

def part_config(c, args, topo, a, b):
    pidfile = os.path.join(topo.workdir, 'conf.pid')
    conf = os.path.join(topo.workdir, 'sluice-c.conf')
    with open(conf, 'w') as f:
        f.write('# lifecycle test (c): everything but EAL from the file\n'
                '[other]\nport-min = 1\nport-max = 5\n\n'
                '[sluice]\n'
                'interface = a/%s/%d@0\n'
                'interface = b/%s/%d@1\n'
                'listen-ng = 127.0.0.1:2224\n'
                'port-min = 41000\n'
                'port-max = 41999\n'
                'delete-delay = 0\n'
                'foreground = true\n'
                'log-stderr = yes\n'
                'log-level = 6\n'
                'pidfile = %s\n'
                '\n[rtpengine]\nport-min = 2\nport-max = 3\nlisten-ng = 127.0.0.1:2299\n'
                % (a.relay_ip, a.relay_plen, b.relay_ip, b.relay_plen, pidfile))
    for run_no, (cli, ng_port, prange, what) in enumerate((
            ((), 2224, (41000, 41999), '(c) file only'),
            (('--listen-ng=127.0.0.1:2225', '--port-min=42000', '--port-max=42999'), 2225,
             (42000, 42999), '(c) command line overrides'))):
        try:
            relay = ConfSluice(args.sluice, topo, [a, b], conf, cli,
                               ng_addr=('127.0.0.1', ng_port))
        except RelayError as e:
            daemon = cleanup_daemon(pidfile, conf)
            c.check(False, '%s: sluice started from the config file: %s%s'
                    % (what, str(e).splitlines()[0],
                       ' (it daemonized as pid %d, stopped)' % daemon if daemon else ''))
            print(str(e))
            continue
        c.check(True, '%s: sluice answered ng ping on 127.0.0.1:%d (%s)'
                % (what, ng_port, ' '.join(relay.argv()[1:4])))
        if run_no == 1:
            other = NgClient(topo.core, ('127.0.0.1', 2224))
            c.check(not other.ping(timeout=0.5),
                    '%s: the file\'s listen-ng 127.0.0.1:2224 does not answer' % what)
            other.close()
        ng = relay.ng_client()
        media_call(c, ng, a, b, 'conf-%d' % run_no, 20010 + 2 * run_no, what, prange)
        rc = relay.stop()
        c.check(rc == 0, '%s: exit %s on SIGTERM' % (what, rc))
        c.check('ready' in relay.log_text(), '%s: log-stderr from the file (log captured)'
                % what)


# --- (d) ---------------------------------------------------------------------------

def part_no_eal(c, args, topo, a):
    priv = os.path.join(topo.workdir, 'dpdk-run')
    os.mkdir(priv)
    fake = os.path.join(topo.workdir, 'meminfo-nohuge')
    with open('/proc/meminfo') as src, open(fake, 'w') as dst:
        for ln in src:
            if ln.startswith(('HugePages_Total:', 'HugePages_Free:', 'HugePages_Rsvd:',
                              'HugePages_Surp:')):
                ln = '%s%8d\n' % (ln.split(':')[0] + ':', 0)
            dst.write(ln)
    free = hugepages_free()
    runs = []
    if free == 0:
        runs.append(('no hugepages', False, '--no-huge -m 256'))
    else:
        print('note: %d free hugepages on this machine right now (another process reserved '
              'them): checking the --in-memory branch on the real view and the --no-huge '
              'branch with HugePages_Free masked to 0' % free)
        runs.append(('free hugepages present', False, '--in-memory'))
        runs.append(('hugepages masked', True, '--no-huge -m 256'))
    for name, mask, want in runs:
        script = ('mount -t tmpfs -o size=1m,mode=755 sltpci /sys/bus/pci/devices && '
                  'mkdir -p /var/run/dpdk && mount --bind "$1" /var/run/dpdk && '
                  '{ [ -z "$2" ] || mount --bind "$2" /proc/meminfo; } && shift 2 && exec "$@"')
        argv = ['sh', '-c', script, 'sh', priv, fake if mask else '', args.sluice,
                '--foreground', '--log-stderr', '--interface=a/%s/24@0' % a.relay_ip,
                '--listen-ng=127.0.0.1:2226']
        t0 = time.monotonic()
        res = topo.run(None, argv, check=False, timeout=60)
        took = time.monotonic() - t0
        log = res.stderr
        msg = 'no EAL arguments: using %s' % want
        c.check(msg in log, '(d) %s: logged "%s"' % (name, msg))
        c.check('EAL initialisation failed' not in log and 'EAL: FATAL' not in log,
                '(d) %s: EAL initialised' % name)
        c.check(res.returncode == 1 and 'DPDK port 0 does not exist' in log,
                '(d) %s: exit 1 (%s) with "DPDK port 0 does not exist"'
                % (name, res.returncode))
        left = os.listdir(priv)
        c.check(not left, '(d) %s: no runtime dir left behind (%s)' % (name, left))
        lines = [ln for ln in log.splitlines() if 'no EAL arguments' in ln or
                 'does not exist' in ln or 'FATAL' in ln or 'failed' in ln]
        print('(d) %s: exit %s after %.2f s; %s' % (name, res.returncode, took,
                                                    ' | '.join(lines[:4])))
        if res.returncode != 1 or not left == []:
            print('--- sluice stderr ---\n' + log[-3000:])


def run(args):
    rc = preflight(args)
    if rc is not None:
        return rc
    c = Checks(args.verbose)
    t_begin = time.monotonic()
    with Topology(keep_workdir=args.keep) as topo:
        a = topo.add_endpoint('a', '198.18.1.1/24', '198.18.1.10/24')
        b = topo.add_endpoint('b', '198.18.2.1/24', '198.18.2.10/24')
        part_sigterm(c, args, topo, a, b)
        part_sigterm_startup(c, args, topo, a)
        part_badconfig(c, args, topo, a)
        part_config(c, args, topo, a, b)
        part_no_eal(c, args, topo, a)
    return c.finish('test_lifecycle', t_begin)


def main(argv=None):
    return run(parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
