# SPDX-License-Identifier: BSD-3-Clause
"""scripts/demo: one phone call through sluice, explained as it happens.

Builds a private network out of namespaces, starts sluice on DPDK af_packet
ports, lets Kamailio set up a call between two SIP phones (or talks ng
directly when Kamailio is not installed), shows the SDP before and after the
relay rewrote it, counts the media both ways, and removes everything again.

Run as root:  scripts/demo [--sluice build/sluice] [--duration 3] [--direct]
"""

import argparse
import os
import sys
import textwrap
import threading
import time

from . import REPO_ROOT
from .kamailio import Kamailio, KamailioError, have_kamailio
from .ng import NgError, NgTimeout, stream_stats, totals
from .relay import RelayError, make_relay, relay_class
from .rtp import Pattern, RtpPeer, verify_rtcp, verify_rtp
from .sdp import build_sdp, parse_sdp
from .topo import Topology

SIPUA_DIR = os.path.join(REPO_ROOT, 'tests', 'kamailio')

BOLD = '\033[1m' if sys.stdout.isatty() else ''
DIM = '\033[2m' if sys.stdout.isatty() else ''
RESET = '\033[0m' if sys.stdout.isatty() else ''


def heading(text):
    print('\n%s== %s ==%s' % (BOLD, text, RESET))


def say(text=''):
    print(text)


def _sdp_key(line):
    # 'c=IN IP4 x' -> 'c=', 'a=rtcp:30001' -> 'a=rtcp', 'a=rtpmap:0 ..' -> 'a=rtpmap:0'
    if line.startswith('a='):
        head = line.split(' ', 1)[0]
        return head if head.startswith(('a=rtpmap', 'a=fmtp')) else head.split(':', 1)[0]
    return line[:2]


def show_sdp(title, text, original=None):
    """Print an SDP body indented; mark lines the relay added or changed."""
    say('  %s%s%s' % (BOLD, title, RESET))
    orig_lines = (original or '').replace('\r\n', '\n').split('\n')
    before = set(orig_lines)
    before_keys = set(_sdp_key(ln) for ln in orig_lines if ln)
    for ln in (text or '(none)').replace('\r\n', '\n').rstrip('\n').split('\n'):
        mark = ''
        if original is not None and ln not in before:
            mark = ('   <-- rewritten by the relay' if _sdp_key(ln) in before_keys
                    else '   <-- added by the relay')
        say('    %s%s' % (ln, mark))


def diagram(topo, a, b, fam, kernel):
    say('  Three network namespaces joined by veth pairs (198.18.0.0/15 is a test range):')
    say('')
    rows = [('caller ns', 'core ns', 'callee ns'),
            ('caller phone', 'media relay + Kamailio', 'callee phone'),
            ('%s:20000' % a.peer_addr(fam), '%s | %s' % (a.relay_addr(fam), b.relay_addr(fam)),
             '%s:20000' % b.peer_addr(fam))]
    for i, (l, m, r) in enumerate(rows):
        link = '<--veth-->' if i == 2 else ''
        say('    %-24s %-10s %-26s %-10s %s' % (l, link, m, link, r))
    say('')
    say(textwrap.fill(
        'SIP and ng control stay on 127.0.0.1 inside the core namespace (Kamailio :5060, '
        'relay ng :2223); only RTP/RTCP crosses the veths, so every media packet goes '
        'through the relay. The relay-side veth ends %s and %s are %s.'
        % (a.relay_if, b.relay_if,
           'used by the kernel (reference relay)' if kernel
           else 'opened by DPDK as af_packet ports 0 and 1'),
        width=92, initial_indent='  ', subsequent_indent='  '))


def run_sip_call(topo, a, b, relay, fam, duration):
    """Call through Kamailio with the in-process UAs; ng query before BYE."""
    sys.path.insert(0, SIPUA_DIR)
    import sipua  # tests/kamailio/sipua.py
    ng = relay.ng_client()
    query = {}

    def before_bye(caller):
        try:
            query['reply'] = ng.query(caller.call_id, timeout=2)
        except (NgError, NgTimeout) as e:
            query['error'] = str(e)

    ready = threading.Event()
    callee = sipua.Callee(topo.core, ('127.0.0.1', 5070), b.ns, b.peer_addr(fam), 20000,
                          duration=duration, ready=ready)
    caller = sipua.Caller(topo.core, ('127.0.0.1', 5061), ('127.0.0.1', 5060),
                          'sip:callee@127.0.0.1:5070', a.ns, a.peer_addr(fam), 20000,
                          duration=duration, before_bye=before_bye)
    res = {}
    th = threading.Thread(target=lambda: res.setdefault('callee', callee.run()), daemon=True)
    th.start()
    say('  caller: INVITE sip:callee@127.0.0.1:5070 via Kamailio, then %.0f s of RTP...'
        % duration)
    res['caller'] = caller.run()
    th.join(duration + 40)
    caller.close()
    callee.close()
    ng.close()
    rc, re_ = res['caller'], res.get('callee') or {'errors': ['callee did not finish'],
                                                   'rtp': {}, 'rtcp': {}}
    return {
        'call_id': rc['call_id'],
        'tags': {rc.get('local_tag'): 'caller', rc.get('remote_tag'): 'callee'},
        'offer_sent': rc.get('sdp_sent'), 'offer_rcvd': re_.get('sdp_received'),
        'answer_sent': re_.get('sdp_sent'), 'answer_rcvd': rc.get('sdp_received'),
        'caller': rc, 'callee': re_, 'query': query,
        'errors': rc.get('errors', []) + re_.get('errors', []),
        'sip': rc.get('sip', {}).get('trace', []),
    }


def run_direct_call(topo, a, b, relay, fam, duration, ptime=20):
    """No Kamailio: offer/answer over ng ourselves, then RTP both ways."""
    ng = relay.ng_client()
    call_id = 'demo-%s@sluice.test' % os.urandom(4).hex()
    ftag, ttag = 'caller-' + os.urandom(3).hex(), 'callee-' + os.urandom(3).hex()
    pa = RtpPeer(a.ns, a.peer_addr(fam), 20000)
    pb = RtpPeer(b.ns, b.peer_addr(fam), 20000)
    out = {'call_id': call_id, 'tags': {ftag: 'caller', ttag: 'callee'}, 'errors': [],
           'query': {}, 'sip': []}
    try:
        offer = build_sdp(pa.ip, pa.rtp_port, username='caller')
        say('  ng offer  (call-id %s, from-tag %s, direction a->b)' % (call_id, ftag))
        r = ng.offer(call_id, ftag, offer, flags=['trust-address'], replace=['origin'],
                     direction=['a', 'b'])
        answer = build_sdp(pb.ip, pb.rtp_port, username='callee')
        say('  ng answer (to-tag %s)' % ttag)
        r2 = ng.answer(call_id, ftag, ttag, answer, flags=['trust-address'],
                       replace=['origin'])
        out.update(offer_sent=offer, offer_rcvd=r['sdp'], answer_sent=answer,
                   answer_rcvd=r2['sdp'])
        to_b = parse_sdp(r['sdp']).audio()
        to_a = parse_sdp(r2['sdp']).audio()
        n = int(duration * 1000 / ptime)
        for p in (pa, pb):
            p.start_capture(max_seconds=duration + 30)
        tx = {}
        ta = threading.Thread(target=lambda: tx.setdefault('a', pa.send_stream(
            (to_a.addr, to_a.port), n, ptime, Pattern(call_id, 'caller>callee'),
            rtcp_dst=(to_a.rtcp_addr, to_a.rtcp_port))), daemon=True)
        tb = threading.Thread(target=lambda: tx.setdefault('b', pb.send_stream(
            (to_b.addr, to_b.port), n, ptime, Pattern(call_id, 'callee>caller'),
            rtcp_dst=(to_b.rtcp_addr, to_b.rtcp_port))), daemon=True)
        say('  streaming %d RTP packets each way (%d ms apart) + RTCP...' % (n, ptime))
        ta.start()
        tb.start()
        ta.join(duration + 10)
        tb.join(duration + 10)
        time.sleep(0.5)   # let the last packets land
        pa.stop_capture()
        pb.stop_capture()
        try:
            out['query']['reply'] = ng.query(call_id)
        except (NgError, NgTimeout) as e:
            out['query']['error'] = str(e)
        try:
            ng.delete(call_id, ftag)
            say('  ng delete: ok')
        except (NgError, NgTimeout) as e:
            out['errors'].append('delete: %s' % e)

        def side(tx_stats, peer, rx_dir):
            pat = Pattern(call_id, rx_dir)
            rtp = verify_rtp(peer.captured(), pat, 8 * ptime)
            rtcp = verify_rtcp(peer.captured(rtcp=True), pat)
            return {'rtp': {'sent': tx_stats['sent'], 'sent_bytes': tx_stats['bytes'],
                            'received': rtp['received'], 'received_bytes': rtp['bytes'],
                            'valid': rtp['valid'], 'invalid': rtp['invalid']},
                    'rtcp': {'sent': tx_stats['rtcp_sent'], 'received': rtcp['received'],
                             'valid': rtcp['valid']}}
        out['caller'] = side(tx.get('a', {'sent': 0, 'bytes': 0, 'rtcp_sent': 0}), pa,
                             'callee>caller')
        out['callee'] = side(tx.get('b', {'sent': 0, 'bytes': 0, 'rtcp_sent': 0}), pb,
                             'caller>callee')
    except (NgError, NgTimeout) as e:
        out['errors'].append(str(e))
    finally:
        pa.close()
        pb.close()
        ng.close()
    return out


def print_media(res):
    heading('4. Media, as the phones saw it')
    rc, re_ = res.get('caller'), res.get('callee')
    if not rc or not re_:
        say('  (no media exchanged)')
        return False
    ok = True
    for name, tx, rx in (('caller -> callee', rc, re_), ('callee -> caller', re_, rc)):
        sent, got = tx['rtp'].get('sent', 0), rx['rtp'].get('valid', 0)
        pct = 100.0 * got / sent if sent else 0.0
        good = sent > 0 and got >= 0.9 * sent and rx['rtp'].get('invalid', 0) == 0
        ok = ok and good
        say('  %-17s RTP  sent %4d pkts %7d bytes | received %4d pkts %7d bytes | '
            'intact %4d (%5.1f%%) %s'
            % (name, sent, tx['rtp'].get('sent_bytes', 0), rx['rtp'].get('received', 0),
               rx['rtp'].get('received_bytes', 0), got, pct, 'OK' if good else 'PROBLEM'))
        say('  %-17s RTCP sent %4d pkts               | received %4d pkts'
            % ('', tx['rtcp'].get('sent', 0), rx['rtcp'].get('received', 0)))
    say('  %s("intact" = payload bytes verified to be exactly what the other phone sent)%s'
        % (DIM, RESET))
    return ok


def print_query(res):
    heading('5. Media, as the relay counted it (ng query)')
    q = res.get('query', {})
    if 'reply' not in q:
        say('  query failed: %s' % q.get('error', 'not sent'))
        return
    reply = q['reply']
    t = totals(reply)
    say('  call totals: RTP %d pkts %d bytes (%d errors), RTCP %d pkts %d bytes'
        % (t['RTP']['packets'], t['RTP']['bytes'], t['RTP']['errors'],
           t['RTCP']['packets'], t['RTCP']['bytes']))
    rows = stream_stats(reply)
    if not rows:
        say('  (no per-stream details in the reply)')
    for r in rows:
        who = res['tags'].get(r['tag'], r['tag'])
        say('  from %-6s %-4s relay port %-15s <- peer %-22s %5d pkts %7d bytes'
            % (who, 'RTCP' if r['rtcp'] else 'RTP',
               '%s:%s' % (r['local_ip'], r['local_port']),
               '%s:%s' % r['endpoint'], r['packets'], r['bytes']))


def main(argv=None):
    ap = argparse.ArgumentParser(prog='scripts/demo', description=__doc__.split('\n\n')[0])
    ap.add_argument('--sluice', default=os.path.join(REPO_ROOT, 'build', 'sluice'),
                    help='sluice binary (default: build/sluice)')
    ap.add_argument('--duration', type=float, default=3.0, help='seconds of audio each way')
    ap.add_argument('--direct', action='store_true',
                    help='skip Kamailio: send ng offer/answer from the demo itself')
    ap.add_argument('--ipv6', action='store_true', help='media over IPv6')
    ap.add_argument('--keep', action='store_true', help='keep logs in the work directory')
    # validation switches, not for users
    ap.add_argument('--relay', choices=['sluice', 'rtpengine'], default='sluice',
                    help=argparse.SUPPRESS)
    ap.add_argument('--vdev-opts', default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if os.geteuid() != 0:
        say('The demo creates network namespaces and needs root: sudo scripts/demo')
        return 2
    if args.relay == 'sluice' and not os.access(args.sluice, os.X_OK):
        say('sluice binary not found at %s.' % args.sluice)
        say('Build it first:  meson setup build && ninja -C build   (or pass --sluice PATH)')
        return 2
    use_kam = not args.direct and have_kamailio()
    fam = 6 if args.ipv6 else 4
    t0 = time.monotonic()
    ok = False
    say('%ssluice demo%s: one phone call through the relay, step by step.' % (BOLD, RESET))
    with Topology(kernel_relay=relay_class(args.relay).kernel_relay,
                  keep_workdir=args.keep) as topo:
        heading('1. Network')
        a = topo.add_endpoint('a', '198.18.1.1/24', '198.18.1.10/24',
                              '2001:db8:1::1/64' if args.ipv6 else None,
                              '2001:db8:1::10/64' if args.ipv6 else None)
        b = topo.add_endpoint('b', '198.18.2.1/24', '198.18.2.10/24',
                              '2001:db8:2::1/64' if args.ipv6 else None,
                              '2001:db8:2::10/64' if args.ipv6 else None)
        diagram(topo, a, b, fam, topo.kernel_relay)
        heading('2. Relay')
        kw = {}
        if args.vdev_opts:
            kw['vdev_opts'] = args.vdev_opts
        try:
            relay = make_relay(args.relay, topo, [a, b], sluice_binary=args.sluice, **kw)
        except RelayError as e:
            say('  the relay did not start:\n%s' % e)
            return 1
        say('  $ %s' % relay.command_line())
        say('  %s (pid %d) answers ng ping after %.2f s'
            % (relay.kind, relay.pid, relay.startup_s))
        kam = None
        if use_kam:
            try:
                kam = Kamailio(topo)
                say('  Kamailio (pid %d) is up, rtpengine module pointed at the relay'
                    % kam.pid)
            except KamailioError as e:
                say('  Kamailio failed to start, falling back to direct ng:\n%s' % e)
                kam = None
        elif not args.direct:
            say('  Kamailio is not installed: the demo sends ng offer/answer itself')

        heading('3. Call setup (%s)' % ('SIP through Kamailio' if kam else 'direct ng'))
        if kam:
            res = run_sip_call(topo, a, b, relay, fam, args.duration)
        else:
            res = run_direct_call(topo, a, b, relay, fam, args.duration)
        if res.get('sip'):
            say('  SIP as seen by the caller:')
            for ln in res['sip']:
                say('    ' + ln)
        say('')
        show_sdp('offer the caller sent:', res.get('offer_sent'))
        show_sdp('offer the callee got:', res.get('offer_rcvd'), res.get('offer_sent'))
        show_sdp('answer the callee sent:', res.get('answer_sent'))
        show_sdp('answer the caller got:', res.get('answer_rcvd'), res.get('answer_sent'))
        say('  %sThe phones only ever see the relay\'s addresses: all media flows through '
            'it.%s' % (DIM, RESET))

        ok = print_media(res)
        print_query(res)
        if kam:
            lines = [ln for ln in kam.slt_lines() if 'OPTIONS' not in ln]
            say('\n  Kamailio log:')
            for ln in lines:
                say('    ' + ln)
        for e in res.get('errors', []):
            say('  error: %s' % e)
            ok = False

        heading('6. Teardown')
        if kam:
            kam.stop()
        rc = relay.stop()
        say('  %s stopped (exit code %s); namespaces, veths and temp files are removed'
            % (relay.kind, rc))
        if rc != 0:
            ok = False
            say('  last relay log lines:\n' + relay.log_tail(15))
        if args.keep:
            say('  logs kept in %s' % topo.workdir)
    say('\n%s%s%s (%.1f s)' % (BOLD, 'Demo call succeeded.' if ok else 'Demo call had problems.',
                               RESET, time.monotonic() - t0))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
