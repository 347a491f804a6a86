#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Kamailio end to end, SIP phone -> WebRTC browser: Kamailio 5.6 anchors
the media in sluice with rtpengine_offer(<WebRTC flags>) toward the callee
and rtpengine_answer("RTP/AVP ICE=remove") back toward the caller
(tests/kamailio/kamailio_webrtc.cfg.tmpl).

    caller: sipua.Caller, SIP 127.0.0.1:5061 (core), RTP 198.18.1.10 (netns a)
    Kamailio 127.0.0.1:5060 (core) --ng--> sluice 127.0.0.1:2223
    callee: a SIP UAS in this script (127.0.0.1:5070, core) that hands the
            INVITE's SDP to headless Chromium in netns b (198.18.2.10) and
            answers with the page's SDP; media: Chromium <-> sluice b-side

    caller --RTP--> sluice a-side 198.18.1.1 | sluice b-side 198.18.2.1 <--ICE/DTLS-SRTP--> Chromium

Cases (one call each, Kamailio restarted with the case's offer flags):
  savpf      "RTP/SAVPF ICE=force rtcp-mux-offer": the issue's flags plus
             rtcp-mux-offer.  Chromium refuses an offer without a=rtcp-mux
             ("RTCP-MUX is not enabled when it is required"), so the issue's
             two flags alone cannot reach a browser, with sluice as with
             rtpengine (rtpengine-compat 3.5: mux is offered only on request
             or when the caller offered it).  sluice offers SDES and DTLS
             on RTP/SAVPF; the browser takes DTLS.
  webrtc     "UDP/TLS/RTP/SAVPF ICE=force rtcp-mux-offer rtcp-mux-require
             SDES-off": the browser-ready flag set (rtpengine-compat 4.4).
Both with "replace-origin trust-address direction=a direction=b"; the
answer flags are "replace-origin trust-address RTP/AVP ICE=remove".

The caller starts its RTP once the browser is connected and sluice has
authenticated the browser's first SRTP packet (a phone would start at the
ACK; what is lost while ICE and DTLS complete is not what this test is
about).  Each case passes only when:
  * SIP: INVITE 200, ACK, BYE 200 on both UAs; Kamailio logged offer,
    answer (200) and delete as ok;
  * the INVITE the browser got is sluice's (b-side candidate only, the
    expected profile, fingerprint, a=setup:actpass, ICE, rtcp-mux) and the
    browser accepted it; the 200 the caller got is RTP/AVP from sluice's
    a-side with no ICE/DTLS/mux left;
  * getStats: connected, DTLS + SRTP profile, selected pair succeeded +
    nominated with packets both ways, REMOTE side = sluice b-side address
    and the port of the INVITE;
  * caller -> browser: inbound-rtp from the caller's SSRC >= 90 % of what it
    sent, every frame byte-identical to the caller's payloads (after SRTP),
    the caller's RTCP SRs decrypted by the browser;
  * browser -> caller: only sluice's a-side port, only the browser's SSRC
    and payload type, >= 90 % of its packetsSent, the 440 Hz tone audible
    in the PCMU, the browser's RTCP decrypted;
and at the end: the browser netns sent only to sluice, no process left in
it, profile removed, sluice exits 0.

Usage (root):  python3 tests/integration/test_kamailio_webrtc.py [--sluice build/sluice]
               [--case savpf|webrtc] [--offer-flags '...'] [-v] [--keep]
Exit status: 0 pass, 1 fail, 77 skipped (not root / kamailio or chromium missing).
"""

import json
import os
import signal
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
sys.path.insert(0, os.path.join(HERE, '..', 'browser'))
sys.path.insert(0, os.path.join(HERE, '..', 'kamailio'))

import browsercall as bc  # noqa: E402
import sipua  # noqa: E402
from chromium import CdpError, Chromium, chromium_binary  # noqa: E402
from sltest import REPO_ROOT  # noqa: E402
from sltest.itest import SKIP, Checks, common_args, preflight, wait_until  # noqa: E402
from sltest.kamailio import Kamailio, KamailioError, have_kamailio  # noqa: E402
from sltest.netns import ip, netns_pids  # noqa: E402
from sltest.ng import NgError, stream_stats  # noqa: E402
from sltest.relay import RelayError, Sluice  # noqa: E402
from sltest.rtp import Pattern  # noqa: E402
from sltest.topo import Topology  # noqa: E402

TEMPLATE = os.path.join(REPO_ROOT, 'tests', 'kamailio', 'kamailio_webrtc.cfg.tmpl')
BASE = 'replace-origin trust-address'
CASES = {
    'savpf': ('RTP/SAVPF', 'RTP/SAVPF ICE=force rtcp-mux-offer'),
    'webrtc': ('UDP/TLS/RTP/SAVPF',
               'UDP/TLS/RTP/SAVPF ICE=force rtcp-mux-offer rtcp-mux-require SDES-off'),
}
ANSWER_FLAGS = BASE + ' RTP/AVP ICE=remove'
BUDGET_S = 120
CALLEE_ADDR = ('127.0.0.1', 5070)
CALLER_ADDR = ('127.0.0.1', 5061)
PROXY = ('127.0.0.1', 5060)


class BudgetExceeded(Exception):
    pass


def parse_args(argv):
    ap = common_args('Kamailio: SIP phone -> sluice -> WebRTC browser')
    ap.add_argument('--case', choices=sorted(CASES), action='append',
                    help='run only these (repeatable; default all)')
    ap.add_argument('--offer-flags', help='diagnostics: rtpengine_offer() flags instead of a '
                    'case\'s (direction=a direction=b and %s are added)' % BASE)
    ap.add_argument('--duration', type=float, default=4.0, help='seconds of caller RTP')
    ap.add_argument('--log-level', type=int, default=7, help='sluice --log-level')
    ap.add_argument('--workers', type=int, default=1, help='sluice worker lcores')
    return ap.parse_args(argv)


class BrowserCallee:
    """SIP UAS on behalf of the Chromium page: the INVITE's SDP goes to
    sl.answerOffer(), the page's answer comes back in the 200.  Runs in a
    thread; every wait is bounded."""

    def __init__(self, sip_ns, sip_addr, page, timeout=20.0, call_time=60.0):
        self.sip = sipua.SipSocket(sip_ns, sip_addr)
        self.page = page
        self.timeout = timeout
        self.call_time = call_time
        self.local_tag = sipua.rand_hex(6)
        self.contact = '<sip:browser@%s>' % self.sip.hostport()
        self.errors = []
        self.status = {}
        self.call_id = None
        self.sdp_received = self.sdp_sent = None
        self.invite = self.invite_src = self.last_response = None

    def _response(self, req, code, reason, body='', with_tag=True):
        to = req.get('to')
        if with_tag and 'tag=' not in to:
            to = '%s;tag=%s' % (to, self.local_tag)
        hdrs = [('Via', v) for v in req.get_all('via')]
        hdrs += [('Record-Route', r) for r in req.get_all('record-route')]
        hdrs += [('From', req.get('from')), ('To', to), ('Call-ID', req.get('call-id')),
                 ('CSeq', req.get('cseq'))]
        if req.method == 'INVITE' and 100 < code < 300:
            hdrs.append(('Contact', self.contact))
        hdrs.append(('User-Agent', 'sluice-test-browser-ua'))
        return sipua.build_message('SIP/2.0 %d %s' % (code, reason), hdrs, body)

    def _reply_to(self, req, src):
        return sipua.via_address(req.get('via') or '', src)

    def run(self):
        try:
            self._wait_invite()
            if self.last_response is not None:
                self._wait_ack()
                self._wait_bye()
        except sipua.UaError as e:
            self.errors.append(str(e))
        except Exception as e:  # a bug here must fail the test, not hang it
            self.errors.append('browser UA: %r' % e)

    def _recv_until(self, deadline):
        left = deadline - time.monotonic()
        return self.sip.recv(min(left, 0.5)) if left > 0 else (None, None)

    def _wait_invite(self):
        deadline = time.monotonic() + self.timeout
        while True:
            if time.monotonic() > deadline:
                raise sipua.UaError('no INVITE within %.0f s' % self.timeout)
            msg, src = self._recv_until(deadline)
            if msg is not None and msg.is_request and msg.method == 'INVITE':
                break
        self.invite, self.invite_src = msg, src
        self.call_id = msg.get('call-id')
        self.sdp_received = msg.body
        self.status['invite_received'] = True
        dst = self._reply_to(msg, src)
        self.sip.send(self._response(msg, 100, 'Trying', with_tag=False), dst)
        try:
            self.sdp_sent = self.page.call('sl.answerOffer', msg.body or '', timeout=15)
        except CdpError as e:
            self.errors.append('browser refused the offer: %s' % e)
            self.sip.send(self._response(msg, 488, 'Not Acceptable Here'), dst)
            self._wait_ack(negative=True)
            return
        self.sip.send(self._response(msg, 180, 'Ringing'), dst)
        self.last_response = self._response(msg, 200, 'OK', self.sdp_sent)
        self.sip.send(self.last_response, dst)

    def _wait_ack(self, negative=False):
        dst = self._reply_to(self.invite, self.invite_src)
        deadline = time.monotonic() + 32 * sipua.T1                  # timer H
        interval, next_retx = sipua.T1, time.monotonic() + sipua.T1
        while True:
            now = time.monotonic()
            if now > deadline:
                if negative:
                    return
                raise sipua.UaError('no ACK for 200 OK')
            if now >= next_retx and self.last_response is not None:  # timer G
                self.sip.send(self.last_response, dst)
                interval = min(interval * 2, sipua.T2)
                next_retx = now + interval
            msg, src = self.sip.recv(max(0.001, min(deadline, next_retx) - now))
            if msg is None or not msg.is_request or msg.get('call-id') != self.call_id:
                continue
            if msg.method == 'INVITE' and self.last_response is not None:
                self.sip.send(self.last_response, dst)
            elif msg.method == 'ACK':
                self.status['ack_received'] = True
                return

    def _wait_bye(self):
        deadline = time.monotonic() + self.call_time
        while True:
            if time.monotonic() > deadline:
                raise sipua.UaError('no BYE within %.0f s' % self.call_time)
            msg, src = self._recv_until(deadline)
            if msg is None or not msg.is_request or msg.get('call-id') != self.call_id:
                continue
            if msg.method == 'BYE':
                self.sip.send(self._response(msg, 200, 'OK'), self._reply_to(msg, src))
                self.status['bye_received'] = True
                end = time.monotonic() + 0.3    # BYE retransmissions, bounded
                while time.monotonic() < end:
                    m2, s2 = self.sip.recv(max(0.001, end - time.monotonic()))
                    if m2 is not None and m2.is_request and m2.method == 'BYE':
                        self.sip.send(self._response(m2, 200, 'OK'), self._reply_to(m2, s2))
                return
            if msg.method == 'INVITE' and not sipua.param(msg.get('to') or '', 'tag'):
                self.sip.send(self.last_response, self._reply_to(msg, src))

    def close(self):
        self.sip.close()


class PhoneCaller(sipua.Caller):
    """sipua.Caller that starts RTP once `ready(caller)` returns (bounded by
    the hook itself) and, since a browser never goes quiet, ends the media
    phase when its own stream is done."""

    def __init__(self, *a, ready=None, **kw):
        super().__init__(*a, **kw)
        self.ready = ready

    def _accept_200(self, resp):
        super()._accept_200(resp)
        if self.ready is not None:
            self.ready(self)

    def wait_media_done(self):
        cap = (self.media.t_start or time.monotonic()) + self.duration + 5.0
        while self.media.sending() and time.monotonic() < cap:
            self.media.thread.join(0.1)
        time.sleep(0.5)


class Run:
    def __init__(self, args, topo, a, b, relay, browser):
        self.args = args
        self.topo, self.a, self.b = topo, a, b
        self.relay, self.browser = relay, browser
        self.ng = relay.ng_client()
        self.c = Checks(verbose=args.verbose)
        self.summary = []
        self.diag = []

    def browser_leg_packets(self, call_id, tag):
        try:
            rows = stream_stats(self.ng.query(call_id))
        except NgError:
            return 0
        return sum(r['packets'] for r in rows if r['tag'] == tag and not r['rtcp'])

    def call(self, name, proto, offer_flags, port):
        """One call through a Kamailio rendered with this case's offer flags."""
        pre = '[%s] ' % name
        flags = '%s %s direction=%s direction=%s' % (BASE, offer_flags, self.a.name,
                                                     self.b.name)
        try:
            kam = Kamailio(self.topo, template=TEMPLATE, offer_flags=flags, flags=ANSWER_FLAGS)
        except KamailioError as e:
            self.c.check(False, '%skamailio started: %s' % (pre, e))
            return
        page = None
        try:
            page = self.browser.open_page(bc.PAGE_URL)
            self._call(pre, name, proto, offer_flags, flags, port, kam, page)
        finally:
            if page is not None:
                page.close()
            kam.stop()

    def _call(self, pre, name, proto, offer_flags, flags, port, kam, page):
        c, a, b = self.c, self.a, self.b
        info = page.call('sl.init', {'insertable': True})
        uas = BrowserCallee(self.topo.core, CALLEE_ADDR, page)
        t_uas = threading.Thread(target=uas.run, name='browser-ua', daemon=True)
        t_uas.start()
        got = {}

        def ready(caller):
            conn = page.call('sl.waitConnected', 15000, timeout=20)
            got['conn'] = conn
            if conn.get('connectionState') == 'connected':
                got['sluice_in'] = wait_until(
                    lambda: self.browser_leg_packets(caller.call_id, uas.local_tag), 5.0, 0.05)

        def before_bye(caller):
            tx = caller.media.tx or {}
            deadline = time.monotonic() + 3.0
            while True:
                st = page.evaluate('sl.stats()')
                inb = bc.first(st.get('inbound'), ssrc=tx.get('ssrc')) or {}
                if (inb.get('packetsReceived') or 0) >= tx.get('sent', 0) or \
                        time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            got['stats'] = st
            got['payloads'] = [bytes.fromhex(h) for h in page.call('sl.received', 5000)]
            try:
                got['rows'] = stream_stats(self.ng.query(caller.call_id))
            except NgError as e:
                got['rows'] = []
                self.diag.append('%sng query: %s' % (pre, e))

        call_id = 'kamwebrtc-%s-%s@sluice.test' % (name, self.topo.tag)
        caller = PhoneCaller(self.topo.core, CALLER_ADDR, PROXY, 'sip:browser@%s:%d'
                             % CALLEE_ADDR, a.ns, a.peer_addr(), port,
                             duration=self.args.duration, call_id=call_id, timeout=20.0,
                             before_bye=before_bye, ready=ready)
        try:
            rep = caller.run()
            captured = caller.media.peer.captured()
            captured_rtcp = caller.media.peer.captured(rtcp=True)
            tx = caller.media.tx or {}
        finally:
            caller.close()
            t_uas.join(10.0)
            uas.close()
        rc_kam = kam.stop()
        slt = kam.slt_lines()

        # --- signalling ----------------------------------------------------------
        c.check(rep.get('ok'), '%scaller completed the call%s'
                % (pre, '' if rep.get('ok') else ': ' + '; '.join(rep.get('errors', []))))
        c.check(not uas.errors and not t_uas.is_alive(), '%sbrowser UA completed the call%s'
                % (pre, ': ' + '; '.join(uas.errors) if uas.errors else ''))
        c.check(rep.get('sip', {}).get('invite_status') == 200 and
                rep.get('sip', {}).get('bye_status') == 200 and
                uas.status.get('ack_received') and uas.status.get('bye_received'),
                '%sINVITE 200, ACK, BYE 200 (caller %s, browser UA %s)'
                % (pre, {k: v for k, v in rep.get('sip', {}).items() if k != 'trace'},
                   uas.status))
        for what, pat in (('offer', 'SLT: offer ok'), ('answer', 'SLT: answer (200) ok'),
                          ('delete', 'SLT: delete ok')):
            c.check(any(pat in ln for ln in slt), '%sKamailio: %s ok' % (pre, what))
        if rc_kam not in (0, None):
            self.diag.append('%snote: kamailio exited %s' % (pre, rc_kam))

        # --- SDP each side got ----------------------------------------------------
        to_browser = to_caller = None
        if uas.sdp_received:
            to_browser = bc.check_sdp_to_browser(c, pre, uas.sdp_received, b.relay_addr(),
                                                 ('actpass',), proto=proto,
                                                 sdes=False if 'SDES-off' in flags else None,
                                                 components=1 if 'rtcp-mux-require' in flags
                                                 else 2)
        else:
            c.check(False, '%sthe browser UA got an INVITE with SDP' % pre)
        c.check(uas.sdp_sent is not None, '%sbrowser accepted sluice\'s offer%s'
                % (pre, '' if uas.sdp_sent else ' (%s)' % '; '.join(uas.errors)))
        if uas.sdp_sent:
            bc.check_browser_sdp(c, pre, uas.sdp_sent, b.peer_addr(), 'answer', proto=proto)
        if rep.get('sdp_received'):
            to_caller = bc.check_sdp_to_phone(c, pre, rep['sdp_received'], a.relay_addr())
        if self.args.verbose or c.failed:
            self.diag.append('%sINVITE at the browser:\n%s%sbrowser answer:\n%s%s200 at the '
                             'caller:\n%s' % (pre, uas.sdp_received, pre, uas.sdp_sent, pre,
                                              rep.get('sdp_received')))
            self.diag.append('%scaller SIP: %s' % (pre, rep.get('sip', {}).get('trace')))
            self.diag.append('%sbrowser UA SIP: %s' % (pre, uas.sip.trace))
            self.diag.append('%skamailio: %s' % (pre, slt))

        # --- media ------------------------------------------------------------------
        conn = got.get('conn') or {}
        ok = c.check(conn.get('connectionState') == 'connected',
                     '%sbrowser connected to sluice (%s, ICE %s, %s ms after the ACK)'
                     % (pre, conn.get('connectionState'), conn.get('iceConnectionState'),
                        conn.get('ms')))
        if ok:
            c.check(got.get('sluice_in', 0) > 0,
                    '%ssluice decrypted the browser\'s SRTP (%d packets accepted before the '
                    'caller starts)' % (pre, got.get('sluice_in', 0)))
        st = got.get('stats')
        if ok and st and to_browser is not None and to_caller is not None:
            bc.check_pair(c, pre, st, b.relay_addr(), to_browser.port, b.peer_addr())
            r_in = bc.check_phone_to_browser(c, pre, st, tx, got.get('payloads', []),
                                             Pattern(call_id, 'caller>callee'),
                                             info['insertable'])
            r_out = bc.check_browser_to_phone(c, pre, st, captured, captured_rtcp,
                                              (a.relay_addr(), to_caller.port),
                                              (a.relay_addr(), to_caller.rtcp_port))
            tr = (st.get('transports') or [{}])[0]
            sel = st.get('selected') or {}
            self.summary.append(
                '%s%s; browser %s / %s, DTLS %s, ICE %s; pair %s:%s -> %s:%s sent %s recv %s; '
                'caller->browser %d sent, %d received (lost %s, %s SRs decrypted); '
                'browser->caller %d sent, %d received, tone %.3f, %d RTCP decrypted; '
                'sluice in: %s'
                % (pre, offer_flags, tr.get('srtpCipher'), tr.get('dtlsCipher'),
                   tr.get('dtlsRole'), tr.get('iceRole'),
                   (sel.get('local') or {}).get('address'), (sel.get('local') or {}).get('port'),
                   (sel.get('remote') or {}).get('address'),
                   (sel.get('remote') or {}).get('port'), sel.get('packetsSent'),
                   sel.get('packetsReceived'), r_in['sent'], r_in['received'], r_in['lost'],
                   r_in['rtcp_reports'], r_out['sent'], r_out['received'],
                   r_out['tone_median'], r_out['rtcp'],
                   ', '.join('%s:%d%s %d pkts' % (r['tag'], r['local_port'] or 0,
                                                  '/rtcp' if r['rtcp'] else '', r['packets'])
                             for r in got.get('rows', []))))
        if c.failed:
            try:
                self.diag.append('%spage log: %s' % (pre, json.dumps(page.evaluate('sl.log'))))
            except CdpError:
                pass
            self.diag.append('%skamailio log tail:\n%s' % (pre, kam.log_tail(15)))


def run(args):
    rc = preflight(args)
    if rc is not None:
        return rc
    if not have_kamailio():
        print('SKIP: kamailio not installed')
        return SKIP
    if chromium_binary() is None:
        print('SKIP: chromium not installed (apt-get install chromium)')
        return SKIP
    if args.offer_flags:
        proto = 'UDP/TLS/RTP/SAVPF' if 'UDP/TLS/RTP/SAVPF' in args.offer_flags else 'RTP/SAVPF'
        cases = [('custom', proto, args.offer_flags)]
    else:
        cases = [(n, CASES[n][0], CASES[n][1]) for n in (args.case or sorted(CASES))]
    t_begin = time.monotonic()

    def on_alarm(signum, frame):
        raise BudgetExceeded('test exceeded its %d s budget' % BUDGET_S)
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(BUDGET_S)
    c = None
    try:
        with Topology(keep_workdir=args.keep) as topo:
            a = topo.add_endpoint('a', '198.18.1.1/24', '198.18.1.10/24')    # SIP phone
            b = topo.add_endpoint('b', '198.18.2.1/24', '198.18.2.10/24')    # browser
            ip('route', 'del', 'default', ns=b.ns)       # the browser reaches sluice only
            try:
                relay = Sluice(args.sluice, topo, [a, b], log_level=args.log_level,
                               workers=args.workers)
            except RelayError as e:
                print('FAIL: sluice did not start: %s' % e)
                return 1
            watch = bc.EgressWatch(b.ns, b.peer_if)
            wav = bc.write_tone_wav(os.path.join(topo.workdir, 'tone440.wav'))
            try:
                browser = Chromium(b.ns, topo.workdir, fake_audio=wav)
            except CdpError as e:
                print('FAIL: chromium did not start: %s' % e)
                return 1
            topo.on_close(browser.stop)
            r = Run(args, topo, a, b, relay, browser)
            c = r.c
            port = 20000
            for name, proto, offer_flags in cases:
                try:
                    r.call(name, proto, offer_flags, port)
                except (CdpError, NgError, OSError) as e:
                    c.check(False, '[%s] case aborted: %s' % (name, e))
                port += 2

            watch.stop()
            pid = browser.pid
            browser.stop()
            foreign = sorted(d for d in watch.by_dst if d != b.relay_addr())
            c.check(not foreign and watch.other == 0,
                    'browser netns sent only to sluice %s (%d frames: %s; foreign %s, '
                    'non-IPv4/ARP %d)' % (b.relay_addr(), watch.frames, json.dumps(watch.kinds),
                                          foreign or 'none', watch.other))
            left = netns_pids(b.ns)
            c.check(not left, 'no process left in the browser netns after stopping Chromium '
                    '(pid %s; left %s)' % (pid, left or 'none'))
            c.check(not os.path.exists(browser.profile), 'Chromium profile dir removed')
            rc_relay = relay.stop()
            c.check(rc_relay == 0, 'sluice exited %s on SIGTERM' % rc_relay)
            print('chromium %s (pid %s); sluice ready in %.2f s'
                  % (browser.version, pid, relay.startup_s or 0))
            for ln in r.summary:
                print('  ' + ln)
            if c.failed or args.verbose:
                for d in r.diag:
                    print(d)
            if c.failed:
                print('--- browser console ---\n' + '\n'.join(browser.console[-20:]))
                print('--- sluice log tail ---\n' + relay.log_tail(40))
    except BudgetExceeded as e:
        if c is None:
            c = Checks()
        c.check(False, str(e))
    finally:
        signal.alarm(0)
    return c.finish('test_kamailio_webrtc', t_begin) if c else 1


def main(argv=None):
    return run(parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
