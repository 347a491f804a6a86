# SPDX-License-Identifier: BSD-3-Clause
"""Headless Chromium inside a network namespace, driven over the DevTools
protocol on a pipe (stdlib only: no npm, no chromedriver, no websocket).

    with Chromium(ns, workdir, fake_audio='tone.wav') as br:
        page = br.open_page('file:///.../webrtc_call.html')
        sdp = page.evaluate('sl.offer()')          # awaits the promise

Why --remote-debugging-pipe: Chromium reads DevTools commands from fd 3 and
writes replies to fd 4, NUL-separated JSON.  No TCP port is opened (nothing
to collide with, nothing listening in the namespace), and the client is a
reader thread plus json.dumps: about 100 lines instead of a websocket
client or a node_modules tree in CI.

Chromium is started as /usr/lib/chromium/chromium (Debian's wrapper script
would add --enable-remote-extensions and --load-extension from
/etc/chromium.d) with the flags below, in a fresh --user-data-dir that is
removed by stop().  stop() closes the browser over CDP, then SIGTERM and
SIGKILL by pid; any process left in the namespace that descends from it
(renderer, utility, crashpad handler) is killed by pid as well.

Background networking is off (the sandbox has no internet, and the test
rules forbid trying); the tests also remove the namespace's default route
and count every frame the namespace sends: --disable-background-networking, component updates,
sync, domain reliability, pings, breakpad, and --host-resolver-rules that
turn every DNS lookup into NOTFOUND, so nothing is even looked up.
"""

import fcntl
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time

CANDIDATES = ('/usr/lib/chromium/chromium', '/usr/bin/chromium', '/usr/bin/chromium-browser')

BASE_FLAGS = (
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-default-apps',
    '--disable-extensions',
    '--disable-breakpad',
    '--disable-domain-reliability',
    '--disable-client-side-phishing-detection',
    '--disable-dev-shm-usage',
    '--no-pings',
    '--metrics-recording-only',
    '--password-store=basic',
    '--host-resolver-rules=MAP * ~NOTFOUND',
    '--disable-features=WebRtcHideLocalIpsWithMdns,MediaRouter,OptimizationHints,Translate,'
    'AutofillServerCommunication,CertificateTransparencyComponentUpdater',
    # WebRTC with the fake capture device, no permission prompt.  Deliberately
    # without --allow-loopback-in-peer-connection: with it Chromium adds a
    # 127.0.0.1 host candidate and makes it the default (c=, m= port), which
    # sluice cannot reach; the namespace's veth address is all a call needs.
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    '--autoplay-policy=no-user-gesture-required',
)


class CdpError(RuntimeError):
    """A DevTools command failed, timed out, or the browser went away."""


def chromium_binary():
    """Path of the Chromium binary, or None when it is not installed."""
    for p in CANDIDATES:
        if os.access(p, os.X_OK):
            return p
    return None


def _children(pid):
    """Direct and indirect children of pid (from /proc), best effort."""
    kids = {}
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % d) as f:
                st = f.read()
            ppid = int(st[st.rindex(')') + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for c in kids.get(p, []):
            out.append(c)
            todo.append(c)
    return out


class Page:
    """One tab, attached with a flat session."""

    def __init__(self, browser, target_id, session_id):
        self.browser = browser
        self.target_id = target_id
        self.session_id = session_id

    def send(self, method, params=None, timeout=10.0):
        return self.browser.send(method, params, session=self.session_id, timeout=timeout)

    def evaluate(self, expression, timeout=20.0):
        """Evaluate JS (awaiting a returned promise); the value, JSON-decoded.

        Raises CdpError with the JS exception text when it throws.
        """
        res = self.send('Runtime.evaluate', {
            'expression': expression, 'awaitPromise': True, 'returnByValue': True,
            'userGesture': True}, timeout=timeout)
        if 'exceptionDetails' in res:
            ex = res['exceptionDetails']
            desc = (ex.get('exception') or {}).get('description') or ex.get('text')
            raise CdpError('JS exception in %r: %s' % (expression[:60], desc))
        return res.get('result', {}).get('value')

    def close(self):
        """Close the tab (its peer connections go with it); errors ignored."""
        try:
            self.browser.send('Target.closeTarget', {'targetId': self.target_id}, timeout=5.0)
        except CdpError:
            pass

    def call(self, fn, *args, timeout=20.0):
        """evaluate('fn(json args...)')."""
        return self.evaluate('%s(%s)' % (fn, ', '.join(json.dumps(a) for a in args)),
                             timeout=timeout)


class Chromium:
    """Chromium(ns, workdir, fake_audio=None, extra_flags=(), binary=None,
    log_name='chromium', spawn_timeout=20)

    ns: netns to run in (None = current).  workdir: where the profile and the
    log go (the profile is a fresh mkdtemp below it, removed by stop()).
    fake_audio: WAV file for --use-file-for-fake-audio-capture.
    """

    def __init__(self, ns, workdir, fake_audio=None, extra_flags=(), binary=None,
                 log_name='chromium', spawn_timeout=20.0):
        self.ns = ns
        self.binary = binary or chromium_binary()
        if self.binary is None:
            raise CdpError('chromium not installed')
        self.workdir = workdir
        self.profile = tempfile.mkdtemp(prefix='chromium-profile-', dir=workdir)
        self.log_path = os.path.join(workdir, log_name + '.log')
        self.flags = list(BASE_FLAGS) + ['--user-data-dir=' + self.profile,
                                         '--remote-debugging-pipe']
        if fake_audio:
            self.flags.append('--use-file-for-fake-audio-capture=%s' % fake_audio)
        self.flags += list(extra_flags)
        self.proc = None
        self.events = []            # (method, params) of DevTools events, bounded
        self.console = []           # console messages of the pages, bounded
        self._pending = {}
        self._lock = threading.Lock()
        self._wlock = threading.Lock()
        self._next_id = 1
        self._reader = None
        self._closed = threading.Event()
        self._start(spawn_timeout)

    # --- process ----------------------------------------------------------
    def _start(self, timeout):
        # the pipes end up as fd 3 (commands to Chromium) and fd 4 (replies)
        cmd_r, cmd_w = os.pipe()
        res_r, res_w = os.pipe()
        # (moved above 9 first so the dup2 below cannot clobber one with the other;
        # F_DUPFD copies are inheritable, everything else Python opens is not)
        hi_r = fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 10)
        hi_w = fcntl.fcntl(res_w, fcntl.F_DUPFD, 10)
        os.close(cmd_r)
        os.close(res_w)

        def child_setup():
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)
            os.close(hi_r)
            os.close(hi_w)

        argv = [self.binary] + self.flags + ['about:blank']
        if self.ns:
            argv = ['ip', 'netns', 'exec', self.ns] + argv
        if shutil.which('setpriv'):
            # Chromium dies with the harness even if it is SIGKILLed
            argv = ['setpriv', '--pdeathsig', 'KILL', '--'] + argv
        self.argv = argv
        with open(self.log_path, 'ab') as log:
            try:
                self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                             stderr=log, preexec_fn=child_setup,
                                             close_fds=False,
                                             start_new_session=True)
            finally:
                os.close(hi_r)
                os.close(hi_w)
        self._cmd = os.fdopen(cmd_w, 'wb', buffering=0)
        self._res = os.fdopen(res_r, 'rb', buffering=0)
        self._reader = threading.Thread(target=self._read_loop, name='cdp-reader', daemon=True)
        self._reader.start()
        try:
            ver = self.send('Browser.getVersion', timeout=timeout)
        except CdpError as e:
            tail = self.log_tail(20)
            self.stop()
            raise CdpError('chromium did not answer on the DevTools pipe: %s\n%s' % (e, tail))
        self.version = ver.get('product', '?')

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def log_tail(self, n=30):
        try:
            with open(self.log_path, errors='replace') as f:
                return '\n'.join(f.read().splitlines()[-n:])
        except OSError:
            return ''

    def stop(self, timeout=5.0):
        """Close the browser, kill what is left by pid, remove the profile."""
        if self.proc is not None and self.proc.poll() is None:
            kids = _children(self.proc.pid)
            try:
                self.send('Browser.close', timeout=2.0)
            except CdpError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(3.0)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(5.0)
            # whatever Chromium started and left behind, by pid
            for pid in kids + _children(self.proc.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self._closed.set()
        for f in (getattr(self, '_cmd', None), getattr(self, '_res', None)):
            try:
                if f is not None:
                    f.close()
            except OSError:
                pass
        with self._lock:
            for slot in self._pending.values():
                slot['error'] = 'browser stopped'
                slot['event'].set()
        shutil.rmtree(self.profile, ignore_errors=True)
        return self.proc.returncode if self.proc else None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    # --- DevTools protocol ------------------------------------------------
    def _read_loop(self):
        buf = b''
        while not self._closed.is_set():
            try:
                chunk = self._res.read(65536)
            except (OSError, ValueError):
                break
            if not chunk:
                break
            buf += chunk
            while b'\0' in buf:
                raw, buf = buf.split(b'\0', 1)
                try:
                    msg = json.loads(raw)
                except ValueError:
                    continue
                self._dispatch(msg)
        with self._lock:
            for slot in self._pending.values():
                slot['error'] = 'DevTools pipe closed'
                slot['event'].set()

    def _dispatch(self, msg):
        if 'id' in msg:
            with self._lock:
                slot = self._pending.get(msg['id'])
            if slot is not None:
                slot['reply'] = msg
                slot['event'].set()
            return
        method, params = msg.get('method'), msg.get('params', {})
        if len(self.events) < 2000:
            self.events.append((method, params))
        if method == 'Runtime.consoleAPICalled' and len(self.console) < 2000:
            text = ' '.join(str(a.get('value', a.get('description', '')))
                            for a in params.get('args', []))
            self.console.append('%s: %s' % (params.get('type'), text))
        elif method == 'Runtime.exceptionThrown' and len(self.console) < 2000:
            det = params.get('exceptionDetails', {})
            self.console.append('exception: %s' % ((det.get('exception') or {})
                                                    .get('description') or det.get('text')))

    def send(self, method, params=None, session=None, timeout=10.0):
        """One DevTools command; its result dict.  CdpError on error/timeout."""
        if self._closed.is_set() or self.proc is None or self.proc.poll() is not None:
            raise CdpError('%s: browser not running' % method)
        with self._lock:
            mid = self._next_id
            self._next_id += 1
            slot = {'event': threading.Event(), 'reply': None, 'error': None}
            self._pending[mid] = slot
        msg = {'id': mid, 'method': method, 'params': params or {}}
        if session:
            msg['sessionId'] = session
        try:
            with self._wlock:
                self._cmd.write(json.dumps(msg).encode() + b'\0')
        except (OSError, ValueError) as e:
            with self._lock:
                self._pending.pop(mid, None)
            raise CdpError('%s: write failed: %s' % (method, e))
        ok = slot['event'].wait(timeout)
        with self._lock:
            self._pending.pop(mid, None)
        if not ok:
            raise CdpError('%s: no reply within %.1f s' % (method, timeout))
        if slot['error']:
            raise CdpError('%s: %s' % (method, slot['error']))
        reply = slot['reply']
        if 'error' in reply:
            raise CdpError('%s: %s' % (method, reply['error'].get('message')))
        return reply.get('result', {})

    def open_page(self, url, timeout=15.0):
        """New tab at url, attached; waits (bounded) for document.readyState."""
        tid = self.send('Target.createTarget', {'url': 'about:blank'})['targetId']
        sid = self.send('Target.attachToTarget', {'targetId': tid, 'flatten': True})['sessionId']
        page = Page(self, tid, sid)
        page.send('Runtime.enable')
        page.send('Page.enable')
        page.send('Page.navigate', {'url': url})
        deadline = time.monotonic() + timeout
        while True:
            try:
                st = page.evaluate('document.readyState + "|" + location.href', timeout=5.0)
            except CdpError:
                st = ''
            if st and st.startswith('complete|') and st.split('|', 1)[1] != 'about:blank':
                return page
            if time.monotonic() > deadline:
                raise CdpError('page %s not loaded within %.0f s (state %r)' % (url, timeout, st))
            time.sleep(0.1)
