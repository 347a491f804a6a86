#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A real browser through sluice: headless Chromium (DTLS-SRTP, ICE,
rtcp-mux) <-> sluice <-> a plain RTP phone.

    netns w: Chromium 198.18.1.10 --SRTP/ICE/DTLS--> sluice w-side 198.18.1.1
                                                     sluice p-side 198.18.2.1 --RTP--> phone
    netns p: RtpPeer 198.18.2.10 (PCMU, RTCP on port+1)

Chromium runs in its own namespace with a fake capture device that plays a
440 Hz WAV; the page (tests/browser/webrtc_call.html, a file: URL) is driven
over the DevTools pipe (tests/browser/chromium.py).  The browser namespace
has no default route: the only host it can reach is sluice, and a packet
socket on its veth counts everything it sends.

Scenarios (each its own call and tab):
  offer             the browser offers (bundlePolicy balanced, the default);
                    ng offer with transport-protocol RTP/AVP, ICE remove,
                    rtcp-mux demux toward the phone; the phone's answer goes
                    back with transport-protocol UDP/TLS/RTP/SAVPF, ICE force
  offer-max-bundle  the same with bundlePolicy max-bundle (what most WebRTC
                    apps set): the answer must keep the offer's BUNDLE group
  answer            sluice offers to the browser: the phone's offer with
                    UDP/TLS/RTP/SAVPF, ICE force, rtcp-mux offer+require; the
                    browser answers (it is then the DTLS client)

Each scenario passes only when:
  * the SDP toward the phone has no ICE/DTLS/mux/crypto left and RTP/AVP,
    the SDP toward the browser is UDP/TLS/RTP/SAVPF with fingerprint,
    setup, ICE credentials, rtcp-mux and exactly sluice's one candidate;
  * the browser accepted sluice's SDP (setRemoteDescription);
  * getStats: connectionState connected, DTLS connected with an SRTP
    profile, the selected pair succeeded + nominated with packets both ways,
    its REMOTE side sluice's address and advertised port, its local side
    the browser's netns address;
  * phone -> browser: inbound-rtp from the phone's SSRC with packetsReceived
    >= 90 % of what the phone sent (SRTP by sluice, decrypted by the
    browser), the bytes of every frame equal to the phone's payloads
    (encoded insertable streams), and the phone's SRs decrypted by the
    browser (remote-outbound-rtp);
  * browser -> phone: RTP only from sluice's advertised port, only the
    browser's SSRC and payload type, >= 90 % of the browser's packetsSent,
    the 440 Hz tone audible in the PCMU (median tone share >= 0.5: SRTP
    decrypted by sluice), and the browser's RTCP decrypted;
and at the end: the browser namespace sent nothing to any address but
sluice's, no process is left in it, its profile directory is gone, and
sluice exits 0.

Usage (root):  python3 tests/integration/test_browser.py [--sluice build/sluice]
               [--scenario offer|offer-max-bundle|answer] [-v] [--keep]
Exit status: 0 pass, 1 fail, 77 skipped (not root / chromium not installed).
"""

import json
import os
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
sys.path.insert(0, os.path.join(HERE, '..', 'browser'))

import browsercall as bc  # noqa: E402
from chromium import CdpError, Chromium, chromium_binary  # noqa: E402
from sltest.itest import SKIP, Checks, common_args, preflight, wait_until  # noqa: E402
from sltest.netns import ip, netns_pids  # noqa: E402
from sltest.ng import NgError, stream_stats  # noqa: E402
from sltest.relay import RelayError, Sluice  # noqa: E402
from sltest.rtp import Pattern, RtpPeer  # noqa: E402
from sltest.sdp import build_sdp  # noqa: E402
from sltest.topo import Topology  # noqa: E402

SCENARIOS = ('offer', 'offer-max-bundle', 'answer')
BUDGET_S = 90           # the whole test, watchdog

# what Kamailio would pass toward each side (rtpengine-compat 3.3-3.5)
TO_PHONE = {'transport-protocol': 'RTP/AVP', 'ICE': 'remove', 'rtcp-mux': ['demux']}
TO_BROWSER_ANSWER = {'transport-protocol': 'UDP/TLS/RTP/SAVPF', 'ICE': 'force'}
TO_BROWSER_OFFER = {'transport-protocol': 'UDP/TLS/RTP/SAVPF', 'ICE': 'force',
                    'rtcp-mux': ['offer', 'require']}
TO_PHONE_ANSWER = {'transport-protocol': 'RTP/AVP', 'ICE': 'remove'}


class BudgetExceeded(Exception):
    pass


def parse_args(argv):
    ap = common_args('headless Chromium <-> sluice <-> plain RTP')
    ap.add_argument('--scenario', choices=SCENARIOS, action='append',
                    help='run only these (repeatable; default all)')
    ap.add_argument('--duration', type=float, default=4.0, help='seconds of phone RTP')
    ap.add_argument('--log-level', type=int, default=7, help='sluice --log-level')
    ap.add_argument('--workers', type=int, default=1, help='sluice worker lcores')
    return ap.parse_args(argv)


class Run:
    def __init__(self, args, topo, w, p, relay, browser):
        self.args = args
        self.topo, self.w, self.p = topo, w, p
        self.relay, self.browser = relay, browser
        self.ng = relay.ng_client()
        self.c = Checks(verbose=args.verbose)
        self.summary = []
        self.diag = []

    def diagnostics(self, pre, page):
        try:
            log = page.evaluate('sl.log', timeout=5)
        except CdpError as e:
            log = ['(page log unavailable: %s)' % e]
        self.diag.append('%spage log: %s' % (pre, json.dumps(log)))

    # --- media, both ways, once the SDP is agreed --------------------------------
    def browser_leg_packets(self, call_id, tag):
        """RTP packets sluice accepted from the browser (after SRTP auth)."""
        try:
            rows = stream_stats(self.ng.query(call_id))
        except NgError:
            return 0
        return sum(r['packets'] for r in rows if r['tag'] == tag and not r['rtcp'])

    def media(self, pre, page, peer, call_id, to_phone, relay_port, insertable, tag):
        c, w = self.c, self.w
        failed_before = len(c.failed)
        conn = page.call('sl.waitConnected', 15000, timeout=20)
        if not c.check(conn.get('connectionState') == 'connected',
                       '%sbrowser connected to sluice (%s, ICE %s, after %s ms)'
                       % (pre, conn.get('connectionState'), conn.get('iceConnectionState'),
                          conn.get('ms'))):
            self.diagnostics(pre, page)
            return
        # The DTLS client finishes last: when sluice is the client, the browser
        # says "connected" a moment before sluice has its keys.  The phone starts
        # once sluice has authenticated the browser's first SRTP packets.
        n_in = wait_until(lambda: self.browser_leg_packets(call_id, tag), 5.0, 0.05)
        c.check(n_in > 0, '%ssluice decrypted the browser\'s SRTP (%d packets accepted before '
                'the phone starts)' % (pre, n_in))
        pat = Pattern(call_id, 'phone>browser')
        n = max(10, int(round(self.args.duration * 50)))
        rtcp_dst = (to_phone.rtcp_addr or to_phone.addr, to_phone.rtcp_port)
        tx = peer.send_stream((to_phone.addr, to_phone.port), n, 20, pat, rtcp_dst=rtcp_dst,
                              pt=0, payload_len=160)
        # the last packets in flight: wait (bounded) until the browser counted them
        deadline = time.monotonic() + 3.0
        while True:
            st = page.evaluate('sl.stats()')
            inb = bc.first(st.get('inbound'), ssrc=tx['ssrc']) or {}
            if (inb.get('packetsReceived') or 0) >= tx['sent'] or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        peer.stop_capture()
        payloads = [bytes.fromhex(h) for h in page.call('sl.received', 5000)]
        bc.check_pair(c, pre, st, w.relay_addr(), relay_port, w.peer_addr())
        r_in = bc.check_phone_to_browser(c, pre, st, tx, payloads, pat, insertable)
        r_out = bc.check_browser_to_phone(c, pre, st, peer.captured(),
                                          peer.captured(rtcp=True),
                                          (self.p.relay_addr(), to_phone.port),
                                          (self.p.relay_addr(), to_phone.rtcp_port))
        try:
            rows = stream_stats(self.ng.query(call_id))
        except NgError as e:
            rows = []
            self.diag.append('%sng query: %s' % (pre, e))
        tr = (st.get('transports') or [{}])[0]
        sel = st.get('selected') or {}
        self.summary.append(
            '%s%s / %s, browser DTLS %s ICE %s; pair %s:%s -> %s:%s sent %s recv %s; '
            'phone->browser %d sent, %d received (lost %s, %s SRs decrypted); '
            'browser->phone %d sent, %d received, tone %.3f, %d RTCP decrypted; sluice in: %s'
            % (pre, tr.get('srtpCipher'), tr.get('dtlsCipher'), tr.get('dtlsRole'),
               tr.get('iceRole'), (sel.get('local') or {}).get('address'),
               (sel.get('local') or {}).get('port'), (sel.get('remote') or {}).get('address'),
               (sel.get('remote') or {}).get('port'), sel.get('packetsSent'),
               sel.get('packetsReceived'), r_in['sent'], r_in['received'], r_in['lost'],
               r_in['rtcp_reports'], r_out['sent'], r_out['received'], r_out['tone_median'],
               r_out['rtcp'], ', '.join('%s:%d%s %d pkts' % (r['tag'], r['local_port'] or 0,
                                                             '/rtcp' if r['rtcp'] else '',
                                                             r['packets']) for r in rows)))
        if len(c.failed) > failed_before:
            self.diagnostics(pre, page)

    # --- the browser offers --------------------------------------------------------
    def browser_offers(self, name, bundle_policy, port):
        c, w, p, ng = self.c, self.w, self.p, self.ng
        pre = '[%s] ' % name
        call_id = 'brw-%s-%s' % (name, self.topo.tag)
        page = self.browser.open_page(bc.PAGE_URL)
        peer = RtpPeer(p.ns, p.peer_addr(), port)
        try:
            info = page.call('sl.init', {'insertable': True, 'bundlePolicy': bundle_policy})
            offer = page.evaluate('sl.offer()')
            bc.check_browser_sdp(c, pre, offer, w.peer_addr(), 'offer')
            peer.start_capture(max_seconds=120)
            off = ng.offer(call_id, 'browser', offer, direction=[w.name, p.name],
                           replace=['origin'], flags=['trust-address'], extra=TO_PHONE)
            to_phone = bc.check_sdp_to_phone(c, pre, off['sdp'], p.relay_addr())
            codecs = [(0, 'PCMU/8000', None)]
            te = bc.telephone_event_pt(offer)
            if te is not None:
                codecs.append((te, 'telephone-event/8000', '0-16'))
            phone_sdp = build_sdp(p.peer_addr(), peer.rtp_port, username='phone', codecs=codecs)
            ans = ng.answer(call_id, 'browser', 'phone', phone_sdp, replace=['origin'],
                            flags=['trust-address'], extra=TO_BROWSER_ANSWER)
            to_browser = bc.check_sdp_to_browser(c, pre, ans['sdp'], w.relay_addr(),
                                                 ('active', 'passive'))
            try:
                state = page.call('sl.setAnswer', ans['sdp'])
                c.check(state == 'stable', '%sbrowser accepted sluice\'s answer (signaling %s)'
                        % (pre, state))
            except CdpError as e:
                c.check(False, '%sbrowser accepted sluice\'s answer: %s' % (pre, e))
                self.diag.append('%sanswer sluice sent the browser:\n%s' % (pre, ans['sdp']))
                self.diag.append('%sthe browser\'s offer:\n%s' % (pre, offer))
                return
            if self.args.verbose:
                print('%sbrowser offer:\n%s%sto phone:\n%s%sto browser:\n%s'
                      % (pre, offer, pre, off['sdp'], pre, ans['sdp']))
            self.media(pre, page, peer, call_id, to_phone, to_browser.port, info['insertable'],
                       'browser')
        finally:
            peer.close()
            ng.delete(call_id, check=False, extra={'delete-delay': 0})
            page.close()

    # --- sluice offers to the browser ------------------------------------------------
    def browser_answers(self, name, port):
        c, w, p, ng = self.c, self.w, self.p, self.ng
        pre = '[%s] ' % name
        call_id = 'brw-%s-%s' % (name, self.topo.tag)
        page = self.browser.open_page(bc.PAGE_URL)
        peer = RtpPeer(p.ns, p.peer_addr(), port)
        try:
            info = page.call('sl.init', {'insertable': True})
            peer.start_capture(max_seconds=120)
            phone_sdp = build_sdp(p.peer_addr(), peer.rtp_port, username='phone')
            off = ng.offer(call_id, 'phone', phone_sdp, direction=[p.name, w.name],
                           replace=['origin'], flags=['trust-address'], extra=TO_BROWSER_OFFER)
            to_browser = bc.check_sdp_to_browser(c, pre, off['sdp'], w.relay_addr(), ('actpass',))
            try:
                answer = page.call('sl.answerOffer', off['sdp'])
                c.check(True, '%sbrowser accepted sluice\'s offer' % pre)
            except CdpError as e:
                c.check(False, '%sbrowser accepted sluice\'s offer: %s' % (pre, e))
                self.diag.append('%soffer sluice sent the browser:\n%s' % (pre, off['sdp']))
                return
            bc.check_browser_sdp(c, pre, answer, w.peer_addr(), 'answer')
            ans = ng.answer(call_id, 'phone', 'browser', answer, replace=['origin'],
                            flags=['trust-address'], extra=TO_PHONE_ANSWER)
            to_phone = bc.check_sdp_to_phone(c, pre, ans['sdp'], p.relay_addr())
            if self.args.verbose:
                print('%sto browser:\n%s%sbrowser answer:\n%s%sto phone:\n%s'
                      % (pre, off['sdp'], pre, answer, pre, ans['sdp']))
            self.media(pre, page, peer, call_id, to_phone, to_browser.port, info['insertable'],
                       'browser')
        finally:
            peer.close()
            ng.delete(call_id, check=False, extra={'delete-delay': 0})
            page.close()


def run(args):
    rc = preflight(args)
    if rc is not None:
        return rc
    if chromium_binary() is None:
        print('SKIP: chromium not installed (apt-get install chromium)')
        return SKIP
    scenarios = args.scenario or list(SCENARIOS)
    t_begin = time.monotonic()

    def on_alarm(signum, frame):
        raise BudgetExceeded('test exceeded its %d s budget' % BUDGET_S)
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(BUDGET_S)
    c = None
    try:
        with Topology(keep_workdir=args.keep) as topo:
            w = topo.add_endpoint('w', '198.18.1.1/24', '198.18.1.10/24')    # browser
            p = topo.add_endpoint('p', '198.18.2.1/24', '198.18.2.10/24')    # phone
            # the browser's namespace reaches sluice's subnet and nothing else
            ip('route', 'del', 'default', ns=w.ns)
            try:
                relay = Sluice(args.sluice, topo, [w, p], log_level=args.log_level,
                               workers=args.workers)
            except RelayError as e:
                print('FAIL: sluice did not start: %s' % e)
                return 1
            watch = bc.EgressWatch(w.ns, w.peer_if)
            wav = bc.write_tone_wav(os.path.join(topo.workdir, 'tone440.wav'))
            t_br = time.monotonic()
            try:
                browser = Chromium(w.ns, topo.workdir, fake_audio=wav)
            except CdpError as e:
                print('FAIL: chromium did not start: %s' % e)
                return 1
            topo.on_close(browser.stop)
            t_br = time.monotonic() - t_br
            r = Run(args, topo, w, p, relay, browser)
            c = r.c
            port = 20000
            for sc in scenarios:
                try:
                    if sc == 'offer':
                        r.browser_offers(sc, None, port)
                    elif sc == 'offer-max-bundle':
                        r.browser_offers(sc, 'max-bundle', port)
                    else:
                        r.browser_answers(sc, port)
                except (CdpError, NgError, OSError) as e:
                    c.check(False, '[%s] scenario aborted: %s' % (sc, e))
                port += 2

            # --- what the browser namespace did, and cleanup --------------------
            watch.stop()
            pid = browser.pid
            browser.stop()
            foreign = sorted(d for d in watch.by_dst if d != w.relay_addr())
            c.check(not foreign and watch.other == 0,
                    'browser netns sent only to sluice %s (%d frames: %s; foreign %s, '
                    'non-IPv4/ARP %d)' % (w.relay_addr(), watch.frames, json.dumps(watch.kinds),
                                          foreign or 'none', watch.other))
            left = netns_pids(w.ns)
            c.check(not left, 'no process left in the browser netns after stopping Chromium '
                    '(pid %s; left %s)' % (pid, left or 'none'))
            c.check(not os.path.exists(browser.profile),
                    'Chromium profile dir removed (%s)' % browser.profile)
            rc_relay = relay.stop()
            c.check(rc_relay == 0, 'sluice exited %s on SIGTERM' % rc_relay)

            print('chromium %s (pid %s) up in %.1f s; sluice ready in %.2f s'
                  % (browser.version, pid, t_br, relay.startup_s or 0))
            for ln in r.summary:
                print('  ' + ln)
            if c.failed or args.verbose:
                for d in r.diag:
                    print(d)
            if c.failed:
                print('--- browser console ---\n' + '\n'.join(browser.console[-20:]))
                print('--- chromium log tail ---\n' + browser.log_tail(15))
                print('--- sluice log tail ---\n' + relay.log_tail(40))
    except BudgetExceeded as e:
        if c is None:
            c = Checks()
        c.check(False, str(e))
    finally:
        signal.alarm(0)
    return c.finish('test_browser', t_begin) if c else 1


def main(argv=None):
    return run(parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
