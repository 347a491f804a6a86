# SPDX-License-Identifier: BSD-3-Clause
"""Start a media relay inside a Topology's core netns.

Sluice     sluice on DPDK net_af_packet ports bound to the relay-side veths
           (Topology(kernel_relay=False)).
Rtpengine  Debian's rtpengine userspace daemon (--table=-1) on kernel
           sockets (Topology(kernel_relay=True)); the reference the harness
           is validated against.

Both have the same interface, so a test can run against either:

    cls = relay_class(kind)                     # 'sluice' | 'rtpengine'
    with Topology(kernel_relay=cls.kernel_relay) as topo:
        a = topo.add_endpoint('a', '198.18.1.1/24', '198.18.1.10/24')
        b = topo.add_endpoint('b', '198.18.2.1/24', '198.18.2.10/24')
        relay = make_relay(kind, topo, [a, b], binary=args.sluice)
        ng = relay.ng_client()
        ...
        assert relay.stop() == 0

Start-up waits until an ng `ping` answers `pong` (30 s); if the relay exits
first, RelayError carries the tail of its stderr.
"""

import os
import shutil
import time

from . import sanitize
from .ng import NgClient
from .topo import DPDK_RUNDIR


#: net_af_packet tuning from dpdk-notes 3/8 (framecnt=2048 is the jitter
#: buffer that keeps this VM loss-free; framesz=2048 needs mbufs with a data
#: room of at least 2016 bytes)
AF_PACKET_OPTS = 'qdisc_bypass=1,blocksz=4096,framesz=2048,framecnt=2048'


class RelayError(RuntimeError):
    pass


class Relay:
    """Common part: process handling, readiness, ng access, logs."""

    kind = None
    kernel_relay = False     # which Topology mode this relay needs

    def __init__(self, topo, interfaces, ng_addr=('127.0.0.1', 2223), extra_args=(),
                 start=True, timeout=30.0):
        if topo.kernel_relay != self.kernel_relay:
            raise RelayError('%s needs Topology(kernel_relay=%s)' % (self.kind,
                                                                     self.kernel_relay))
        self.topo = topo
        self.interfaces = [topo.endpoints[i] if isinstance(i, str) else i for i in interfaces]
        if not self.interfaces:
            raise RelayError('no interfaces')
        self.ng_addr = tuple(ng_addr)
        self.extra_args = [str(a) for a in extra_args]
        self.timeout = timeout
        self.proc = None
        self.returncode = None
        self.startup_s = None
        if start:
            self.start()

    # subclasses provide argv()
    def argv(self):
        raise NotImplementedError

    def command_line(self):
        """The full command as run (for logs and reports)."""
        return ' '.join(['ip', 'netns', 'exec', self.topo.core] + self.argv())

    def start(self):
        """Start the process and wait for ng pong (raise RelayError)."""
        t0 = time.monotonic()
        self.proc = self.topo.spawn(self.kind, self.argv())
        ng = NgClient(self.topo.core, self.ng_addr)
        try:
            deadline = t0 + self.timeout
            while True:
                rc = self.proc.poll()
                if rc is not None:
                    raise RelayError('%s exited with %s during start-up\n'
                                     'command: %s\n--- stderr tail ---\n%s'
                                     % (self.kind, rc, self.command_line(),
                                        self.proc.tail(40)))
                if ng.ping(timeout=0.25):
                    break
                if time.monotonic() > deadline:
                    tail = self.proc.tail(40)
                    self.stop()
                    raise RelayError('%s did not answer ng ping within %.0f s\n'
                                     'command: %s\n--- stderr tail ---\n%s'
                                     % (self.kind, self.timeout, self.command_line(), tail))
                time.sleep(0.1)
        finally:
            ng.close()
        self.startup_s = time.monotonic() - t0
        return self

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    @property
    def running(self):
        return self.proc is not None and self.proc.running

    def stop(self, timeout=10.0):
        """SIGTERM by pid, wait up to `timeout` s (then SIGKILL).

        Returns the exit code (0 = clean shutdown; negative = killed by
        that signal).  Idempotent.  A sanitizer report in the relay's
        stderr (an ASan/UBSan build, scripts/test-sanitize) is printed and
        turns an exit code of 0 into 1: it is not a clean shutdown, and
        the test fails at exit anyway (sltest.sanitize).
        """
        if self.proc is None:
            return None
        if self.returncode is None:
            rc = self.proc.stop(timeout=timeout)
            if sanitize.check_proc(self.proc) and rc == 0:
                rc = 1
            self.returncode = rc
            self._after_stop()
        return self.returncode

    def _after_stop(self):
        pass

    def ng_client(self, fmt='bencode'):
        """A new NgClient talking to this relay (from the core netns)."""
        return NgClient(self.topo.core, self.ng_addr, fmt=fmt)

    def address(self, name, family=4):
        """Address the relay advertises on logical interface `name`."""
        ep = self.topo.endpoints[name]
        return ep.relay_addr(family)

    def log_text(self):
        return self.proc.stderr_text() if self.proc else ''

    def log_tail(self, n=30):
        return self.proc.tail(n) if self.proc else ''

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


class Sluice(Relay):
    """sluice on net_af_packet vdevs, one per interface, in --vdev order.

    Sluice(binary, topo, interfaces=[ep_a, ep_b], extra_args=[], workers=1, rec_lcore=False,
           eal_extra=[], ng_addr=('127.0.0.1', 2223), log_level=6,
           start=True, timeout=30, vdev_opts=AF_PACKET_OPTS)

    Interface i (an Endpoint or its name) becomes DPDK port i and
    --interface=NAME/RELAY_IP/PLEN@i (plus the IPv6 address when the
    endpoint has one).
    """

    kind = 'sluice'
    kernel_relay = False

    def __init__(self, binary, topo, interfaces, extra_args=(), workers=1, eal_extra=(),
                 ng_addr=('127.0.0.1', 2223), log_level=6, start=True, timeout=30.0,
                 vdev_opts=None, rec_lcore=False):
        self.vdev_opts = vdev_opts or AF_PACKET_OPTS
        self.binary = os.path.abspath(binary)
        if not os.access(self.binary, os.X_OK):
            raise RelayError('sluice binary not found or not executable: %s' % self.binary)
        if workers < 1:
            raise RelayError('workers must be >= 1')
        self.workers = workers
        # --recording-dir takes the last EAL lcore for the recording lcore:
        # one lcore more, and still one af_packet queue pair per worker
        self.rec_lcore = rec_lcore
        self.eal_extra = [str(a) for a in eal_extra]
        self.log_level = log_level
        self.file_prefix = topo.tag
        topo.on_close(self._remove_rundir)
        super().__init__(topo, interfaces, ng_addr, extra_args, start, timeout)

    def lcore_args(self):
        """EAL lcore options: lcore 0 = control, lcores 1..workers = workers.

        With enough CPUs: -l 0-<workers>.  Otherwise oversubscribe with
        --lcores (dpdk-notes 2): lcore i pinned to CPU i while one exists,
        the rest float over all CPUs, e.g. workers=2 on 2 CPUs ->
        --lcores 0@0,1@1,2@(0-1).
        """
        cpus = sorted(os.sched_getaffinity(0))
        n = self.workers + 1 + (1 if self.rec_lcore else 0)
        if n <= len(cpus) and cpus[:n] == list(range(n)):
            return ['-l', '0-%d' % (n - 1)]
        allcpus = '(%s)' % ','.join(str(c) for c in cpus)
        if cpus == list(range(len(cpus))):
            allcpus = '(0-%d)' % (len(cpus) - 1)
        parts = []
        for i in range(n):
            parts.append('%d@%s' % (i, cpus[i] if i < len(cpus) else allcpus))
        return ['--lcores', ','.join(parts)]

    def argv(self):
        a = [self.binary, '--foreground', '--log-stderr', '--log-level=%d' % self.log_level]
        for port, ep in enumerate(self.interfaces):
            a.append('--interface=%s/%s/%d@%d' % (ep.name, ep.relay_ip, ep.relay_plen, port))
            if ep.relay_ip6:
                a.append('--interface=%s/%s/%d@%d' % (ep.name, ep.relay_ip6, ep.relay_plen6,
                                                      port))
        a.append('--listen-ng=%s:%d' % self.ng_addr)
        a += self.extra_args
        a.append('--')
        a += self.lcore_args()
        a += ['--no-pci', '--no-huge', '-m', '256', '--file-prefix=%s' % self.file_prefix]
        for port, ep in enumerate(self.interfaces):
            a.append('--vdev=net_af_packet%d,iface=%s,qpairs=%d,%s'
                     % (port, ep.relay_if, self.workers, self.vdev_opts))
        a += self.eal_extra
        return a

    def _after_stop(self):
        self._remove_rundir()

    def _remove_rundir(self):
        # DPDK leaves /var/run/dpdk/<prefix> behind (dpdk-notes 9.4)
        # (/var/run/dpdk itself is left: other DPDK processes may be using it)
        shutil.rmtree(os.path.join(DPDK_RUNDIR, self.file_prefix), ignore_errors=True)


class Rtpengine(Relay):
    """Debian's rtpengine in userspace mode on the kernel_relay topology.

    Rtpengine(topo, interfaces=[ep_a, ep_b], extra_args=[],
              ng_addr=('127.0.0.1', 2223), log_level=6, binary='rtpengine',
              start=True, timeout=30)
    """

    kind = 'rtpengine'
    kernel_relay = True

    def __init__(self, topo, interfaces, extra_args=(), ng_addr=('127.0.0.1', 2223),
                 log_level=6, binary='rtpengine', start=True, timeout=30.0):
        self.binary = shutil.which(binary) or binary
        self.log_level = log_level
        super().__init__(topo, interfaces, ng_addr, extra_args, start, timeout)

    def argv(self):
        a = [self.binary, '--config-file=none', '--table=-1', '--foreground', '--log-stderr',
             '--log-level=%d' % self.log_level]
        for ep in self.interfaces:
            a.append('--interface=%s/%s' % (ep.name, ep.relay_ip))
            if ep.relay_ip6:
                a.append('--interface=%s/%s' % (ep.name, ep.relay_ip6))
        a += ['--listen-ng=%s:%d' % self.ng_addr, '--port-min=30000', '--port-max=39999']
        a += self.extra_args
        return a


RELAYS = {'sluice': Sluice, 'rtpengine': Rtpengine}


def relay_class(kind):
    try:
        return RELAYS[kind]
    except KeyError:
        raise ValueError('unknown relay %r (sluice|rtpengine)' % kind) from None


def make_relay(kind, topo, interfaces, sluice_binary=None, **kw):
    """Start the relay named `kind`; 'sluice' needs `sluice_binary`.
    Extra keywords go to the class (Sluice-only ones such as workers are
    dropped for rtpengine)."""
    if kind == 'sluice':
        return Sluice(sluice_binary, topo, interfaces, **kw)
    for k in ('workers', 'eal_extra', 'vdev_opts'):
        kw.pop(k, None)
    return relay_class(kind)(topo, interfaces, **kw)
