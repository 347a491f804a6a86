# SPDX-License-Identifier: BSD-3-Clause
"""Run Kamailio 5.6 (the rig in tests/kamailio/) inside a Topology's core netns.

    kam = Kamailio(topo)            # renders the template, starts, waits for OPTIONS 200
    ...                             # SIP UAs talk to 127.0.0.1:5060 in topo.core
    kam.slt_lines()                 # the "SLT:" xlog lines
    kam.stop()                      # SIGTERM by pid, returns the exit code

Kamailio 5.6 flags used: -DD (stay in the foreground, still fork workers),
-E (log to stderr), -f cfg, -P pidfile, -Y runtime dir, -w working dir,
-m/-M shared/private memory in MB.  The relay must be answering ng pings
before Kamailio starts: the rtpengine module probes it at start-up and
disables a silent node for 60 s.
"""

import os
import re
import shutil
import socket
import time

from . import REPO_ROOT
from .netns import netns_socket

TEMPLATE = os.path.join(REPO_ROOT, 'tests', 'kamailio', 'kamailio.cfg.tmpl')
DEFAULT_FLAGS = 'replace-origin trust-address'


class KamailioError(RuntimeError):
    pass


def have_kamailio():
    """True when a kamailio binary is installed (the Debian package also
    ships the rtpengine module the rig needs)."""
    return bool(shutil.which('kamailio') or os.access('/usr/sbin/kamailio', os.X_OK))


def render(template, values):
    """Replace @KEY@ placeholders; every placeholder must be provided."""
    with open(template) as f:
        text = f.read()
    for k, v in values.items():
        text = text.replace('@%s@' % k, str(v))
    left = sorted(set(re.findall(r'@([A-Z_]+)@', text)))
    if left:
        raise KamailioError('template placeholders without value: %s' % ', '.join(left))
    return text


def sip_options_ping(ns, addr, timeout=0.5):
    """Send one OPTIONS from netns `ns` to addr; return the status code or None."""
    s = netns_socket(ns, socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(('127.0.0.1', 0))
        lport = s.getsockname()[1]
        branch = 'z9hG4bK' + os.urandom(6).hex()
        msg = ('OPTIONS sip:%s:%d SIP/2.0\r\n'
               'Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport\r\n'
               'Max-Forwards: 70\r\n'
               'From: <sip:probe@127.0.0.1>;tag=%s\r\n'
               'To: <sip:%s:%d>\r\n'
               'Call-ID: %s@sltest\r\n'
               'CSeq: 1 OPTIONS\r\n'
               'Content-Length: 0\r\n\r\n'
               % (addr[0], addr[1], lport, branch, os.urandom(4).hex(), addr[0], addr[1],
                  os.urandom(8).hex()))
        s.sendto(msg.encode(), tuple(addr))
        s.settimeout(timeout)
        try:
            data = s.recv(65535)
        except (socket.timeout, ConnectionRefusedError):
            return None
        m = re.match(rb'SIP/2\.0 (\d{3})', data)
        return int(m.group(1)) if m else None
    finally:
        s.close()


class Kamailio:
    """Kamailio in topo.core with the rendered rig config.

    Kamailio(topo, ng_addr=('127.0.0.1', 2223), sip_addr=('127.0.0.1', 5060),
             offer_flags=None, flags=DEFAULT_FLAGS, directions=('a', 'b'),
             template=TEMPLATE, debug=2, children=2, start=True, timeout=15,
             answer_flags=None)

    offer_flags default: flags + ' direction=A direction=B' from
    `directions` (the caller's and callee's relay interfaces; None = no
    direction).  answer_flags (the answer in a 1xx/2xx) default: flags.
    """

    def __init__(self, topo, ng_addr=('127.0.0.1', 2223), sip_addr=('127.0.0.1', 5060),
                 offer_flags=None, flags=DEFAULT_FLAGS, directions=('a', 'b'),
                 template=TEMPLATE, debug=2, children=2, start=True, timeout=15.0,
                 binary='kamailio', answer_flags=None):
        self.topo = topo
        self.ng_addr = tuple(ng_addr)
        self.sip_addr = tuple(sip_addr)
        self.flags = flags
        if offer_flags is None:
            offer_flags = flags
            if directions:
                offer_flags += ''.join(' direction=%s' % d for d in directions)
        self.offer_flags = offer_flags
        self.answer_flags = answer_flags if answer_flags is not None else flags
        self.binary = shutil.which(binary) or '/usr/sbin/kamailio'
        self.timeout = timeout
        self.dir = os.path.join(topo.workdir, 'kamailio')
        self.rundir = os.path.join(self.dir, 'run')
        os.makedirs(self.rundir, exist_ok=True)
        self.cfg_path = os.path.join(self.dir, 'kamailio.cfg')
        self.pid_path = os.path.join(self.rundir, 'kamailio.pid')
        with open(self.cfg_path, 'w') as f:
            f.write(render(template, {
                'LISTEN': self.sip_addr[0], 'SIPPORT': self.sip_addr[1],
                'NGHOST': self.ng_addr[0], 'NGPORT': self.ng_addr[1],
                'OFFER_FLAGS': self.offer_flags, 'FLAGS': self.flags,
                'ANSWER_FLAGS': self.answer_flags,
                'DEBUG': debug, 'CHILDREN': children,
            }))
        self.proc = None
        self.returncode = None
        self.startup_s = None
        if start:
            self.start()

    def argv(self):
        return [self.binary, '-DD', '-E', '-f', self.cfg_path, '-P', self.pid_path,
                '-Y', self.rundir, '-w', self.dir, '-m', '64', '-M', '8']

    def check_config(self):
        """`kamailio -c` on the rendered config; raise KamailioError on errors."""
        res = self.topo.run(None, [self.binary, '-c', '-f', self.cfg_path], check=False)
        if res.returncode != 0:
            raise KamailioError('config check failed:\n' + res.stderr[-3000:])

    def start(self):
        t0 = time.monotonic()
        self.proc = self.topo.spawn('kamailio', self.argv())
        deadline = t0 + self.timeout
        while True:
            rc = self.proc.poll()
            if rc is not None:
                raise KamailioError('kamailio exited with %s during start-up\n%s'
                                    % (rc, self.proc.tail(40)))
            if sip_options_ping(self.topo.core, self.sip_addr) == 200:
                break
            if time.monotonic() > deadline:
                tail = self.proc.tail(40)
                self.stop()
                raise KamailioError('kamailio not answering OPTIONS within %.0f s\n%s'
                                    % (self.timeout, tail))
            time.sleep(0.2)
        self.startup_s = time.monotonic() - t0
        return self

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def stop(self, timeout=10.0):
        """SIGTERM the main process by pid (it stops its children); exit code."""
        if self.proc is None:
            return None
        if self.returncode is None:
            self.returncode = self.proc.stop(timeout=timeout)
        return self.returncode

    def log_text(self):
        return self.proc.stderr_text() if self.proc else ''

    def log_tail(self, n=40):
        return self.proc.tail(n) if self.proc else ''

    def slt_lines(self):
        """The rig's own xlog lines ('SLT: ...'), prefix included."""
        return [ln[ln.index('SLT:'):] for ln in self.log_text().splitlines() if 'SLT:' in ln]

    def wait_log(self, regex, timeout=5.0):
        """Wait (bounded) until a log line matches; return the match or None."""
        pat = re.compile(regex)
        deadline = time.monotonic() + timeout
        while True:
            for ln in self.log_text().splitlines():
                m = pat.search(ln)
                if m:
                    return m
            if time.monotonic() > deadline:
                return None
            time.sleep(0.1)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False
