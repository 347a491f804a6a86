# SPDX-License-Identifier: BSD-3-Clause
"""Test topology: one "core" netns for the relay plus endpoint netns's.

    endpoint ns "a"                core ns                     endpoint ns "b"
    +--------------+        +------------------------+        +--------------+
    | <p>ea        |--veth--| <p>ra   relay/sluice   |        |              |
    | 198.18.1.10  |        |         kamailio       |--veth--| <p>eb        |
    | def via .1.1 |        |  lo 127.0.0.1:2223 ng  |  <p>rb | 198.18.2.10  |
    +--------------+        +------------------------+        +--------------+

* The core netns holds the relay and Kamailio, so 127.0.0.1:2223 and :5060
  never collide with anything on the host or in a parallel test run.
* Relay-side veth ends (in core) get no IP address by default: sluice's DPDK
  af_packet ports own them and answer ARP/ND themselves.  IPv6 is disabled on
  them so the kernel sends no RS/ND/MLD noise into the DPDK port.
  With kernel_relay=True the relay addresses are put on those ends instead
  (for rtpengine, which uses kernel sockets).
* Endpoint ends get the peer address, a default route via the relay address
  and `ethtool -K tx off` (full UDP checksums: af_packet sees the frames as
  they are on the wire, see dpdk-notes 9.6).
* Names derive from the pid plus a per-process counter, so parallel runs do
  not collide.  Interface names stay <= 15 characters.
* Cleanup runs on close(), on context exit, at interpreter exit and on
  SIGTERM/SIGHUP (turned into SystemExit so `with` blocks unwind): processes
  started through the topology are stopped by pid, then the namespaces are
  deleted (which deletes the veths), then the work directory is removed.
"""

import atexit
import ipaddress
import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from . import sanitize
from .netns import ip, netns_list, ns_argv, run_in, sysctl

#: every address the harness configures must be inside these ranges
ALLOWED_NETS = (ipaddress.ip_network('198.18.0.0/15'), ipaddress.ip_network('2001:db8::/32'))

NS_PREFIX = 'slt-'          # netns names: slt-<pid>-<n>-<role>
DPDK_RUNDIR = '/var/run/dpdk'
KEEP_MARK = 'KEPT'           # file in a work dir kept on purpose (not swept)

_counter = itertools.count()
_live = []                  # Topology objects not yet closed
_live_lock = threading.Lock()
_handlers_installed = False
_CLEANUP_SIGNALS = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}


def check_addr(addr):
    """Parse 'IP/PLEN' (or bare IP) and insist it is inside ALLOWED_NETS.

    Returns an ipaddress.IPv4Interface / IPv6Interface.
    """
    ifc = ipaddress.ip_interface(addr)
    if not any(ifc.ip in net for net in ALLOWED_NETS):
        raise ValueError('address %s outside 198.18.0.0/15 and 2001:db8::/32' % addr)
    return ifc


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale():
    """Delete leftovers of earlier harness runs whose process is gone.

    Only names of our own scheme are touched: netns `slt-<pid>-...`, DPDK
    run directories `/var/run/dpdk/slt<pid>x...` and work directories
    `$TMPDIR/sltest-<pid>-...` whose <pid> no longer exists.  Nothing is
    killed here (children of a killed harness get SIGTERM from the kernel,
    see Topology.spawn).
    """
    for ns in netns_list():
        m = re.match(r'^slt-(\d+)-', ns)
        if m and not _pid_alive(int(m.group(1))):
            ip('netns', 'del', ns, check=False)
    try:
        entries = os.listdir(DPDK_RUNDIR)
    except FileNotFoundError:
        entries = []
    for d in entries:
        m = re.match(r'^slt(\d+)x', d)
        if m and not _pid_alive(int(m.group(1))):
            shutil.rmtree(os.path.join(DPDK_RUNDIR, d), ignore_errors=True)
    tmp = tempfile.gettempdir()
    for d in os.listdir(tmp):
        m = re.match(r'^sltest-(\d+)-\d+-', d)
        path = os.path.join(tmp, d)
        if (m and not _pid_alive(int(m.group(1))) and os.path.isdir(path)
                and not os.path.exists(os.path.join(path, KEEP_MARK))):
            shutil.rmtree(path, ignore_errors=True)


def _cleanup_all():
    with _live_lock:
        topos = list(_live)
    for t in reversed(topos):
        try:
            t.close()
        except Exception as e:  # never let one failure stop the others
            print('sltest: cleanup of %s failed: %s' % (t.core, e), file=sys.stderr)


def _on_signal(signum, frame):
    # Unwind through the `with` blocks (their __exit__ cleans up); atexit
    # catches anything that was not inside a with block.
    raise SystemExit(128 + signum)


def _install_handlers():
    global _handlers_installed
    if _handlers_installed:
        return
    _handlers_installed = True
    atexit.register(_cleanup_all)
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) in (signal.SIG_DFL, None):
            signal.signal(sig, _on_signal)
    # SIGINT already raises KeyboardInterrupt, which unwinds the same way.


class Proc:
    """A process started inside a netns by Topology.spawn().

    stdout and stderr go to files in the topology's work directory
    (`out_path`, `err_path`), so a chatty process can never block on a
    full pipe.
    """

    def __init__(self, name, ns, argv, popen, out_path, err_path):
        self.name = name
        self.ns = ns
        self.argv = argv
        self.popen = popen
        self.out_path = out_path
        self.err_path = err_path

    @property
    def pid(self):
        return self.popen.pid

    def poll(self):
        """Exit code, or None while running."""
        return self.popen.poll()

    @property
    def running(self):
        return self.popen.poll() is None

    def wait(self, timeout):
        """Wait up to `timeout` s; return the exit code or None if still running."""
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout=10.0, sig=signal.SIGTERM):
        """Signal the process by pid, wait up to `timeout` s, SIGKILL if needed.

        Returns the exit code (negative = killed by that signal, as in
        subprocess).  Idempotent.
        """
        if self.popen.poll() is not None:
            return self.popen.returncode
        try:
            self.popen.send_signal(sig)
        except ProcessLookupError:
            pass
        rc = self.wait(timeout)
        if rc is None:
            try:
                self.popen.kill()
            except ProcessLookupError:
                pass
            rc = self.wait(5.0)
        return rc

    @staticmethod
    def _read(path):
        try:
            with open(path, 'r', errors='replace') as f:
                return f.read()
        except FileNotFoundError:
            return ''

    def stdout_text(self):
        return self._read(self.out_path)

    def stderr_text(self):
        return self._read(self.err_path)

    def tail(self, n=30, stream='stderr'):
        """Last `n` lines of stderr (or stdout), as one string."""
        text = self.stderr_text() if stream == 'stderr' else self.stdout_text()
        return '\n'.join(text.splitlines()[-n:])


class Endpoint:
    """One endpoint netns and the veth that joins it to core.

    Attributes (strings unless noted):
      name        logical name ('a'); also the relay interface name used in
                  --interface=NAME/... options
      index       order of creation, 0-based (= DPDK port id when the relay
                  is given the endpoints in creation order)
      ns          endpoint netns name
      relay_if    veth end in the core netns (what DPDK af_packet opens)
      peer_if     veth end in the endpoint netns
      relay_ip, relay_plen, peer_ip, peer_plen      IPv4 (no prefix) and prefix length
      relay_ip6, relay_plen6, peer_ip6, peer_plen6  IPv6 or None
    """

    def __init__(self, name, index, ns, relay_if, peer_if, relay, peer, relay6, peer6):
        self.name = name
        self.index = index
        self.ns = ns
        self.relay_if = relay_if
        self.peer_if = peer_if
        self.relay_ip = str(relay.ip)
        self.relay_plen = relay.network.prefixlen
        self.peer_ip = str(peer.ip)
        self.peer_plen = peer.network.prefixlen
        self.relay_ip6 = str(relay6.ip) if relay6 else None
        self.relay_plen6 = relay6.network.prefixlen if relay6 else None
        self.peer_ip6 = str(peer6.ip) if peer6 else None
        self.peer_plen6 = peer6.network.prefixlen if peer6 else None

    def relay_addr(self, family=4):
        return self.relay_ip if family == 4 else self.relay_ip6

    def peer_addr(self, family=4):
        return self.peer_ip if family == 4 else self.peer_ip6

    def __repr__(self):
        return ('Endpoint(%s ns=%s relay_if=%s relay=%s peer=%s relay6=%s peer6=%s)'
                % (self.name, self.ns, self.relay_if, self.relay_ip, self.peer_ip,
                   self.relay_ip6, self.peer_ip6))


class Host:
    """A netns behind a router netns (Topology.add_host): off-link for the relay.

    Attributes: name, ns, router (the router's Endpoint), gw_if (veth end in
    the router netns), peer_if (veth end in the host netns), gw_ip, gw_plen,
    peer_ip, peer_plen, gw_ip6, gw_plen6, peer_ip6, peer_plen6 (strings /
    ints, IPv6 ones None without IPv6).  peer_addr(family) as for Endpoint.
    """

    def __init__(self, name, ns, router, gw_if, peer_if, gw, peer, gw6, peer6):
        self.name = name
        self.ns = ns
        self.router = router
        self.gw_if = gw_if
        self.peer_if = peer_if
        self.gw_ip = str(gw.ip)
        self.gw_plen = gw.network.prefixlen
        self.peer_ip = str(peer.ip)
        self.peer_plen = peer.network.prefixlen
        self.gw_ip6 = str(gw6.ip) if gw6 else None
        self.gw_plen6 = gw6.network.prefixlen if gw6 else None
        self.peer_ip6 = str(peer6.ip) if peer6 else None
        self.peer_plen6 = peer6.network.prefixlen if peer6 else None

    def peer_addr(self, family=4):
        return self.peer_ip if family == 4 else self.peer_ip6

    def gw_addr(self, family=4):
        return self.gw_ip if family == 4 else self.gw_ip6

    def __repr__(self):
        return ('Host(%s ns=%s via %s gw=%s peer=%s gw6=%s peer6=%s)'
                % (self.name, self.ns, self.router.name, self.gw_ip, self.peer_ip,
                   self.gw_ip6, self.peer_ip6))


class Topology:
    """Namespaces + veths for one test run.  Use as a context manager.

    Topology(kernel_relay=False, keep_workdir=False)   (env SLTEST_KEEP=1 keeps the workdir)
      .core       name of the core netns (relay, Kamailio, ng on 127.0.0.1)
      .workdir    private temp directory (logs, configs); removed on close
      .tag        unique short tag 'slt<pid>x<n>' (used for DPDK --file-prefix)
      .endpoints  dict name -> Endpoint, in creation order
      .hosts      dict name -> Host (off-link netns's behind add_router ones)
    """

    def __init__(self, kernel_relay=False, keep_workdir=False):
        _install_handlers()
        sweep_stale()
        pid = os.getpid()
        n = next(_counter)
        self.kernel_relay = kernel_relay
        # SLTEST_KEEP=1 keeps every run's logs and configs for a post-mortem
        self.keep_workdir = keep_workdir or os.environ.get('SLTEST_KEEP', '') not in ('', '0')
        self.id = '%d-%d' % (pid, n)
        self.tag = 'slt%dx%d' % (pid, n)
        self.core = '%s%d-%d-core' % (NS_PREFIX, pid, n)
        # interface names: 'sl' + hex pid + hex counter + 'r'|'e' + endpoint name
        self._ifbase = 'sl%x%x' % (pid, n)
        self.endpoints = {}
        self.hosts = {}         # name -> Host (behind a router, see add_host)
        self._namespaces = []   # created, deleted in reverse
        self._procs = []        # Proc, stopped in reverse
        self._close_hooks = []  # callables run at close (after procs stop)
        self._closed = False
        self.workdir = tempfile.mkdtemp(prefix='sltest-%s-' % self.id)
        with _live_lock:
            _live.append(self)
        try:
            self._add_ns(self.core)
            ip('link', 'set', 'lo', 'up', ns=self.core)
        except BaseException:
            self.close()
            raise

    # --- context manager -------------------------------------------------
    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            self.close()
        except Exception as e:
            if exc_type is None:
                raise
            # do not mask the test's own exception with a cleanup problem
            print('sltest: %s' % e, file=sys.stderr)
        return False

    # --- building --------------------------------------------------------
    def _add_ns(self, ns):
        ip('netns', 'add', ns)
        self._namespaces.append(ns)

    def add_endpoint(self, name, relay_ip, peer_ip, relay_ip6=None, peer_ip6=None):
        """Create endpoint netns `name` joined to core by a veth pair.

        relay_ip/peer_ip are 'IP/PLEN' in the same subnet (198.18.0.0/15);
        relay_ip6/peer_ip6 likewise in 2001:db8::/32, or None for no IPv6
        (IPv6 is then disabled on the endpoint veth too).
        Returns the Endpoint.
        """
        if self._closed:
            raise RuntimeError('topology closed')
        if not re.match(r'^[a-z0-9]{1,4}$', name):
            raise ValueError('endpoint name must be 1-4 of [a-z0-9]: %r' % name)
        if name in self.endpoints:
            raise ValueError('endpoint %s exists' % name)
        relay = check_addr(relay_ip)
        peer = check_addr(peer_ip)
        if relay.version != 4 or relay.network != peer.network:
            raise ValueError('relay_ip/peer_ip must be IPv4 in one subnet')
        relay6 = peer6 = None
        if relay_ip6 or peer_ip6:
            relay6, peer6 = check_addr(relay_ip6), check_addr(peer_ip6)
            if relay6.version != 6 or relay6.network != peer6.network:
                raise ValueError('relay_ip6/peer_ip6 must be IPv6 in one subnet')
        relay_if = '%sr%s' % (self._ifbase, name)
        peer_if = '%se%s' % (self._ifbase, name)
        if len(relay_if) > 15:
            raise ValueError('interface name %s too long' % relay_if)
        ns = '%s%s-%s' % (NS_PREFIX, self.id, name)

        self._add_ns(ns)
        ip('link', 'set', 'lo', 'up', ns=ns)
        ip('link', 'add', relay_if, 'type', 'veth', 'peer', 'name', peer_if, 'netns', ns,
           ns=self.core)

        # core side
        if self.kernel_relay:
            ip('addr', 'add', relay.with_prefixlen, 'dev', relay_if, ns=self.core)
            if relay6:
                ip('addr', 'add', relay6.with_prefixlen, 'dev', relay_if, 'nodad', ns=self.core)
            else:
                sysctl(self.core, 'net.ipv6.conf.%s.disable_ipv6' % relay_if, 1)
        else:
            # DPDK owns this end: no addresses, and keep IPv6 RS/ND/MLD away
            sysctl(self.core, 'net.ipv6.conf.%s.disable_ipv6' % relay_if, 1)
        ip('link', 'set', relay_if, 'up', ns=self.core)

        # endpoint side
        if not peer6:
            sysctl(ns, 'net.ipv6.conf.%s.disable_ipv6' % peer_if, 1)
        ip('addr', 'add', peer.with_prefixlen, 'dev', peer_if, ns=ns)
        if peer6:
            ip('addr', 'add', peer6.with_prefixlen, 'dev', peer_if, 'nodad', ns=ns)
        ip('link', 'set', peer_if, 'up', ns=ns)
        ip('route', 'add', 'default', 'via', str(relay.ip), ns=ns)
        if peer6:
            ip('-6', 'route', 'add', 'default', 'via', str(relay6.ip), ns=ns)
        # full UDP checksums from endpoint senders (no CHECKSUM_PARTIAL on veth)
        run_in(ns, ['ethtool', '-K', peer_if, 'tx', 'off'])

        ep = Endpoint(name, len(self.endpoints), ns, relay_if, peer_if, relay, peer,
                      relay6, peer6)
        self.endpoints[name] = ep
        return ep

    def endpoint(self, name):
        return self.endpoints[name]

    def add_router(self, name, relay_ip, router_ip, relay_ip6=None, router_ip6=None):
        """Like add_endpoint, but the endpoint netns is an IP router.

        The netns gets `router_ip` (and `router_ip6`) on its veth to core,
        net.ipv4.ip_forward=1 (net.ipv6.conf.all.forwarding=1 with IPv6) and
        rp_filter 0, so hosts attached with add_host() reach the relay
        through it.  Returns the Endpoint (in `endpoints`, so its position
        is its DPDK port id; `peer_ip` is the router's address, i.e. the
        relay's --gateway for that interface).
        """
        ep = self.add_endpoint(name, relay_ip, router_ip, relay_ip6, router_ip6)
        sysctl(ep.ns, 'net.ipv4.ip_forward', 1)
        sysctl(ep.ns, 'net.ipv4.conf.all.rp_filter', 0)
        sysctl(ep.ns, 'net.ipv4.conf.default.rp_filter', 0)
        sysctl(ep.ns, 'net.ipv4.conf.%s.rp_filter' % ep.peer_if, 0)
        if router_ip6:
            sysctl(ep.ns, 'net.ipv6.conf.all.forwarding', 1)
        return ep

    def add_host(self, name, router, gw_ip, host_ip, gw_ip6=None, host_ip6=None):
        """Create host netns `name` behind `router` (an Endpoint from add_router).

        A veth joins the router netns (address `gw_ip`) and the host netns
        (address `host_ip`, default route via gw_ip); IPv6 likewise when
        gw_ip6/host_ip6 are given, else disabled on both ends.  The host
        is off-link for the relay: it reaches it only through the router.
        Returns a Host (also in `hosts`; never in `endpoints`).
        """
        if self._closed:
            raise RuntimeError('topology closed')
        if not re.match(r'^[a-z0-9]{1,4}$', name):
            raise ValueError('host name must be 1-4 of [a-z0-9]: %r' % name)
        if name in self.endpoints or name in self.hosts:
            raise ValueError('endpoint or host %s exists' % name)
        if isinstance(router, str):
            router = self.endpoints[router]
        gw, host = check_addr(gw_ip), check_addr(host_ip)
        if gw.version != 4 or gw.network != host.network:
            raise ValueError('gw_ip/host_ip must be IPv4 in one subnet')
        gw6 = host6 = None
        if gw_ip6 or host_ip6:
            gw6, host6 = check_addr(gw_ip6), check_addr(host_ip6)
            if gw6.version != 6 or gw6.network != host6.network:
                raise ValueError('gw_ip6/host_ip6 must be IPv6 in one subnet')
        gw_if = '%sg%s' % (self._ifbase, name)
        host_if = '%sh%s' % (self._ifbase, name)
        if len(gw_if) > 15:
            raise ValueError('interface name %s too long' % gw_if)
        ns = '%s%s-%s' % (NS_PREFIX, self.id, name)

        self._add_ns(ns)
        ip('link', 'set', 'lo', 'up', ns=ns)
        ip('link', 'add', gw_if, 'type', 'veth', 'peer', 'name', host_if, 'netns', ns,
           ns=router.ns)
        for side_ns, ifname, a4, a6 in ((router.ns, gw_if, gw, gw6), (ns, host_if, host, host6)):
            if not a6:
                sysctl(side_ns, 'net.ipv6.conf.%s.disable_ipv6' % ifname, 1)
            ip('addr', 'add', a4.with_prefixlen, 'dev', ifname, ns=side_ns)
            if a6:
                ip('addr', 'add', a6.with_prefixlen, 'dev', ifname, 'nodad', ns=side_ns)
            ip('link', 'set', ifname, 'up', ns=side_ns)
            # full UDP checksums on frames that end up at af_packet (dpdk-notes 9.6)
            run_in(side_ns, ['ethtool', '-K', ifname, 'tx', 'off'])
        sysctl(router.ns, 'net.ipv4.conf.%s.rp_filter' % gw_if, 0)
        ip('route', 'add', 'default', 'via', str(gw.ip), ns=ns)
        if host6:
            ip('-6', 'route', 'add', 'default', 'via', str(gw6.ip), ns=ns)
        h = Host(name, ns, router, gw_if, host_if, gw, host, gw6, host6)
        self.hosts[name] = h
        return h

    # --- processes -------------------------------------------------------
    def spawn(self, name, argv, ns=None, env=None, cwd=None, pdeathsig=True):
        """Start argv inside netns `ns` (default: core); return a Proc.

        The process is stopped by pid when the topology closes.  With
        `pdeathsig` it also gets SIGTERM from the kernel if the thread that
        spawned it dies (e.g. the harness is SIGKILLed), so spawn from the
        main thread.
        """
        if self._closed:
            raise RuntimeError('topology closed')
        ns = self.core if ns is None else ns
        argv = [str(a) for a in argv]
        full = ns_argv(ns, argv)
        if pdeathsig and shutil.which('setpriv'):
            full = ['setpriv', '--pdeathsig', 'TERM', '--'] + full
        safe = re.sub(r'[^A-Za-z0-9_.-]', '_', name)
        out_path = os.path.join(self.workdir, safe + '.out')
        err_path = os.path.join(self.workdir, safe + '.err')
        with open(out_path, 'wb') as out, open(err_path, 'wb') as err:
            popen = subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                     env=env, cwd=cwd or self.workdir,
                                     start_new_session=True)
        proc = Proc(name, ns, argv, popen, out_path, err_path)
        self._procs.append(proc)
        return proc

    def on_close(self, fn):
        """Register fn() to run at close, after processes are stopped."""
        self._close_hooks.append(fn)

    def run(self, ns, argv, check=True, timeout=30):
        """Run a short command in netns `ns` (None = core) and wait."""
        return run_in(ns or self.core, argv, check=check, timeout=timeout)

    # --- teardown --------------------------------------------------------
    def close(self):
        """Stop processes, run close hooks, delete namespaces and the work dir.

        Idempotent and re-entrant: every step removes what it finished from
        its list, so a close() interrupted half-way (or called again from
        atexit) picks up where it stopped.  SIGTERM/SIGINT/SIGHUP are held
        back while it runs (delivered afterwards).
        """
        if self._closed:
            return
        blocked = False
        if threading.current_thread() is threading.main_thread():
            signal.pthread_sigmask(signal.SIG_BLOCK, _CLEANUP_SIGNALS)
            blocked = True
        try:
            errors = self._teardown()
        finally:
            if blocked:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, _CLEANUP_SIGNALS)
        if errors:
            raise RuntimeError('topology cleanup: ' + '; '.join(errors))

    def _teardown(self):
        errors = []
        while self._procs:
            proc = self._procs[-1]
            try:
                proc.stop(timeout=10.0)
                # before the work dir (and the log) goes: a sanitizer
                # report fails the test (sanitize._exit_hook)
                sanitize.check_proc(proc)
            except Exception as e:
                errors.append('stop %s: %s' % (proc.name, e))
            self._procs.pop()
        while self._close_hooks:
            fn = self._close_hooks.pop()
            try:
                fn()
            except Exception as e:
                errors.append('hook: %s' % e)
        while self._namespaces:
            ns = self._namespaces[-1]
            # bounded retry: a namespace can be busy for a moment after its
            # last process exits
            last = None
            for _ in range(10):
                if ns not in netns_list():
                    break
                try:
                    ip('netns', 'del', ns)
                    break
                except subprocess.CalledProcessError as e:
                    last = e
                    time.sleep(0.1)
            else:
                errors.append('netns del %s: %s' % (ns, last))
            self._namespaces.pop()
        if not self.keep_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        elif os.path.isdir(self.workdir):
            # kept on purpose: sweep_stale() must not remove it later
            open(os.path.join(self.workdir, KEEP_MARK), 'w').close()
        self._closed = True
        with _live_lock:
            if self in _live:
                _live.remove(self)
        return errors
