#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""HEP export to Homer (rtpengine-compat 6.4, field-lessons 3.10), end to end.

Run 1, UDP: sluice --homer=127.0.0.1:P --homer-protocol=udp --homer-id=99
--homer-enable-ng; a collector (tests/lib/sltest/hep.py) listens on
127.0.0.1:P in sluice's netns while tshark captures there (-i lo).  One call
over ng (offer, answer, query, delete), RTP + RTCP both ways for 4 s (an SR
with a report block and SDES every second from each side) and one RR
compound from the callee at the end.  Checks:
  * exactly one HEP message (protocol type 5) per RTCP compound sluice
    received: as many as the peers sent, as sluice's own RTCP counter, and
    each one matched to one packet the other peer received (no duplicate);
  * every chunk: IP family 2, IP protocol 17, source = the RTCP sender's
    address and port, destination = sluice's RTCP socket, timestamp within
    the call and not after the collector got it, capture id 99, correlation
    id = the call-id;
  * the payload is rtpengine's RTCP JSON: parses, and sender_information,
    ssrc, type, report_count, report_blocks (source_ssrc, highest_seq_no,
    fraction_lost, ia_jitter, packets_lost, lsr, dlsr), sdes_report_count and
    sdes_information equal what the peer put in the packet;
  * --homer-enable-ng: each ng request and reply of the call (not ping) as
    protocol type 0x3d, request client -> 127.0.0.1:2223 and reply back,
    payload = the datagram byte for byte, correlation id = the call-id;
  * tshark's capture has the same datagrams: tshark's IP/UDP dissectors
    (127.0.0.1 -> port P, one sending port) and, with a HEP3 Lua dissector
    (Wireshark 4.0 has none built in), every chunk field equal to ours and
    tshark's own JSON dissector parsing the RTCP payload without error.
Run 2, TCP (--homer-protocol=tcp): the collector closes the connection
once mid-call, after 3 messages; sluice must reconnect (a second
connection) and keep sending: RTCP sent after the drop arrives on the new
connection, no message twice, every message whole, and at most one lost
in the drop.

Usage (root): python3 tests/integration/test_hep.py [--sluice build/sluice] [-v] [--keep]
Exit: 0 pass, 1 fail, 77 skip (not root).
"""

import json
import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))

from sltest import hep  # noqa: E402
from sltest.itest import Checks, call_pair, common_args, preflight  # noqa: E402
from sltest.ng import totals  # noqa: E402
from sltest.relay import RelayError, Sluice  # noqa: E402
from sltest.rtp import Pattern, RtpPeer, build_rr, parse_rtcp  # noqa: E402
from sltest.topo import Topology  # noqa: E402

NG_PORT = 2223


def parse_args(argv):
    ap = common_args(__doc__.split('\n')[0])
    ap.add_argument('--duration', type=float, default=4.0, help='seconds of media')
    return ap.parse_args(argv)


def run_media(pa, pb, to_a, to_b, call_id, n):
    """RTP + RTCP both ways (b starts 0.3 s later), then one RR from b.
    Returns (stats a, stats b, rr bytes)."""
    res = {}

    def snd(p, dst, key):
        res[key] = p.send_stream(dst, n, pattern=Pattern(call_id, key),
                                 rtcp_dst=(dst[0], dst[1] + 1))
    ta = threading.Thread(target=snd, args=(pa, to_a, 'a>b'))
    tb = threading.Thread(target=snd, args=(pb, to_b, 'b>a'))
    ta.start()
    time.sleep(0.3)
    tb.start()
    ta.join(60)
    tb.join(60)
    time.sleep(0.3)
    rr = build_rr(res['b>a']['ssrc'], blocks=pb.report_blocks(), cname='slt-rr@sluice.test')
    pb.send_rtcp((to_b[0], to_b[1] + 1), rr)
    time.sleep(0.5)
    return res['a>b'], res['b>a'], rr


def expected_json(pkts):
    """What rtpengine's RTCP JSON says about a compound (parsed with
    sltest.rtp.parse_rtcp), as a dict comparable with json.loads()."""
    out = {}
    for p in pkts:
        if p['pt'] in (200, 201):
            if p['pt'] == 200:
                msw, lsw = p['ntp']
                out['sender_information'] = {
                    'ntp_timestamp_sec': msw, 'ntp_timestamp_usec': lsw,
                    'octets': p['octets'], 'rtp_timestamp': p['rtp_ts'],
                    'packets': p['packets']}
            out.update(ssrc=p['ssrc'], type=p['pt'], report_count=len(p['blocks']))
            out['report_blocks'] = [{
                'source_ssrc': b['ssrc'], 'highest_seq_no': b['ext_seq'],
                'fraction_lost': b['fraction_lost'], 'ia_jitter': b['jitter'],
                'packets_lost': b['cum_lost'], 'lsr': b['lsr'], 'dlsr': b['dlsr']}
                for b in p['blocks']]
        elif p['pt'] == 202:
            out['sdes_report_count'] = 1
            out['sdes_information'] = [{'sdes_chunk_ssrc': p['ssrc'], 'type': 1,
                                        'text': p['cname']}]
    return out


def start_call(topo, args, extra):
    a = topo.add_endpoint('a', '198.18.1.1/24', '198.18.1.10/24')
    b = topo.add_endpoint('b', '198.18.2.1/24', '198.18.2.10/24')
    relay = Sluice(args.sluice, topo, [a, b], extra_args=extra)
    return a, b, relay


def run_udp(args, c):
    with Topology(keep_workdir=args.keep) as topo:
        coll = hep.UdpCollector(topo.core)
        cap = None
        if hep.have_tshark():
            cap = hep.Capture(topo, topo.core, coll.port)
        try:
            a, b, relay = start_call(topo, args, [
                '--homer=127.0.0.1:%d' % coll.port, '--homer-protocol=udp', '--homer-id=99',
                '--homer-enable-ng'])
        except RelayError as e:
            c.check(False, 'udp: sluice started: %s' % e)
            return
        ng = relay.ng_client()
        ng_port = ng.sock.getsockname()[1]
        call_id = 'hep-udp-%d@sluice.test' % os.getpid()
        pa, pb = RtpPeer(a.ns, a.peer_ip, 20000), RtpPeer(b.ns, b.peer_ip, 20000)
        pa.start_capture()
        pb.start_capture()
        t0 = time.time()
        exchanges = []  # (command, request bytes, reply bytes) of this call
        to_b, to_a = call_pair(ng, call_id, a.peer_ip, 20000, b.peer_ip, 20000)
        # call_pair sent offer then answer: the answer is the last exchange
        ans_req, ans_rep = ng.last_request, ng.last_reply
        stats_a, stats_b, rr = run_media(pa, pb, to_a, to_b, call_id,
                                         int(args.duration * 50))
        q = ng.query(call_id)
        exchanges.append(('query', ng.last_request, ng.last_reply))
        ng.ping()
        ng.delete(call_id)
        exchanges.append(('delete', ng.last_request, ng.last_reply))
        t1 = time.time()
        time.sleep(0.5)
        pa.stop_capture()
        pb.stop_capture()
        rc = relay.stop()
        coll.close()
        pcap = cap.stop() if cap else None
        c.check(rc == 0, 'udp: sluice exited %s on SIGTERM' % rc)

        msgs = []
        for t_rx, data in coll.messages:
            try:
                msgs.append((t_rx, hep.decode(data), data))
            except hep.HepError as e:
                c.check(False, 'udp: HEP message decodes: %s' % e)
        rtcp = [(t, m) for t, m, _ in msgs if m.get('proto_type') == 5]
        ngm = [(t, m) for t, m, _ in msgs if m.get('proto_type') == 0x3d]
        c.check(len(msgs) == len(rtcp) + len(ngm),
                'udp: only protocol types 5 and 0x3d (%d others)'
                % (len(msgs) - len(rtcp) - len(ngm)))

        # --- one HEP per RTCP compound ------------------------------------
        sent = stats_a['rtcp_sent'] + stats_b['rtcp_sent'] + 1
        sluice_rtcp = totals(q)['RTCP']['packets']  # ingress, both legs, the RR included
        c.check(len(rtcp) == sent == sluice_rtcp,
                'udp: %d RTCP HEP messages for %d RTCP compounds sent (sluice counted %d)'
                % (len(rtcp), sent, sluice_rtcp))
        # what each peer received is what the other sent (sluice forwards unchanged)
        by_src = {
            (a.peer_ip, pa.rtcp_port): ([d for _, d in pb.captured(rtcp=True)], to_a),
            (b.peer_ip, pb.rtcp_port): ([d for _, d in pa.captured(rtcp=True)] + [rr], to_b),
        }
        used = set()
        bad = []
        for t_rx, m in rtcp:
            src = (m.get('src_ip'), m.get('src_port'))
            if src not in by_src:
                bad.append('source %s:%s is not a peer RTCP socket' % src)
                continue
            pkts, relay_ep = by_src[src]
            if (m.get('dst_ip'), m.get('dst_port')) != (relay_ep[0], relay_ep[1] + 1):
                bad.append('destination %s:%s, sluice socket is %s:%d' % (
                    m.get('dst_ip'), m.get('dst_port'), relay_ep[0], relay_ep[1] + 1))
            if m.get('family') != 2 or m.get('ip_proto') != 17:
                bad.append('family %s / protocol %s' % (m.get('family'), m.get('ip_proto')))
            if m.get('capture_id') != 99:
                bad.append('capture id %s' % m.get('capture_id'))
            if m.get('correlation_id') != call_id:
                bad.append('correlation id %r' % m.get('correlation_id'))
            ts = m.get('ts_sec', 0) + m.get('ts_usec', 0) / 1e6
            if not (t0 - 1 <= ts <= t_rx + 0.05) or m.get('ts_usec', 10 ** 6) >= 10 ** 6:
                bad.append('timestamp %.6f outside the call %.3f..%.3f' % (ts, t0, t_rx))
            try:
                got = json.loads(m.get('payload', b'').decode())
            except ValueError as e:
                bad.append('payload is not JSON: %s: %r' % (e, m.get('payload', b'')[:80]))
                continue
            match = [i for i, d in enumerate(pkts) if (src, i) not in used and
                     expected_json(parse_rtcp(d)) == got]
            if not match:
                bad.append('JSON matches no RTCP the peer sent: %s' % json.dumps(got)[:300])
                continue
            used.add((src, match[0]))
        c.check(not bad, 'udp: every RTCP HEP message: addresses, ports, timestamp, ids and '
                'JSON as sent (%d problems%s)' % (len(bad), ': ' + '; '.join(bad[:4]) if bad
                                                   else ''))
        c.check(len(used) == len(rtcp), 'udp: each RTCP compound exported once (%d distinct)'
                % len(used))
        types = sorted({json.loads(m['payload'])['type'] for _, m in rtcp if 'payload' in m})
        c.check(types == [200, 201], 'udp: SR and RR both exported (types %s)' % types)

        # --- ng traffic -----------------------------------------------------
        off_seen = [m for _, m in ngm if m.get('correlation_id') == call_id]
        want = {'offer', 'answer', 'query', 'delete'}
        cmds = set()
        nbad = []
        pairs = {}
        for m in off_seen:
            pl = m.get('payload', b'')
            is_req = (m.get('src_ip'), m.get('src_port'), m.get('dst_port')) == (
                '127.0.0.1', ng_port, NG_PORT)
            is_rep = (m.get('src_port'), m.get('dst_ip'), m.get('dst_port')) == (
                NG_PORT, '127.0.0.1', ng_port)
            if not (is_req or is_rep) or m.get('capture_id') != 99 or m.get('family') != 2:
                nbad.append('addresses/ids %s' % {k: m.get(k) for k in (
                    'src_ip', 'src_port', 'dst_ip', 'dst_port', 'capture_id')})
            cookie = pl.split(b' ', 1)[0]
            pairs.setdefault(cookie, [None, None])[0 if is_req else 1] = pl
            if is_req and b'7:command' in pl:
                for cmd in want:
                    if b'7:command%d:%s' % (len(cmd), cmd.encode()) in pl:
                        cmds.add(cmd)
        c.check(cmds == want, 'udp ng: offer, answer, query, delete exported (got %s)'
                % sorted(cmds))
        c.check(all(r is not None and p is not None for r, p in pairs.values()) and
                len(off_seen) == 2 * len(want),
                'udp ng: %d messages, a request and a reply for each of the %d commands'
                % (len(off_seen), len(want)))
        for name, req, rep in [('answer', ans_req, ans_rep)] + exchanges:
            pr = pairs.get(req.split(b' ', 1)[0], [None, None])
            c.check(pr == [req, rep], 'udp ng: %s request and reply byte for byte' % name)
        c.check(not nbad, 'udp ng: request client -> :%d, reply back, capture id 99 (%s)'
                % (NG_PORT, '; '.join(nbad[:3])))
        pings = [m for _, m in ngm if b'4:ping' in m.get('payload', b'')]
        c.check(not pings and all(m.get('correlation_id') == call_id for _, m in ngm),
                'udp ng: no ping exported, every ng message correlated (%d ng messages)'
                % len(ngm))

        # --- tshark ---------------------------------------------------------
        if pcap is None:
            print('note: tshark not installed, cross-check skipped')
            return
        rows = hep.tshark_hep(pcap, coll.port, topo.workdir)
        c.check(len(rows) == len(msgs), 'tshark: %d HEP frames captured, collector got %d'
                % (len(rows), len(msgs)))
        sports = {r['udp.srcport'] for r in rows}
        c.check(all(r['ip.src'] == r['ip.dst'] == '127.0.0.1' and
                    r['udp.dstport'] == str(coll.port) for r in rows) and len(sports) == 1,
                'tshark: every frame 127.0.0.1 -> 127.0.0.1:%d from one sluice socket (%s)'
                % (coll.port, sorted(sports)))
        tbad = []
        for r, (_, m, data) in zip(rows, msgs):
            want_row = {
                'hep.magic': 'HEP3', 'hep.total': str(len(data)), 'hep.walked': str(len(data)),
                'hep.nchunks': str(len(m['chunks'])), 'hep.bad': '',
                'udp.length': str(8 + len(data)),
                'hep.family': str(m['family']), 'hep.ip_proto': str(m['ip_proto']),
                'hep.src_ip4': m['src_ip'], 'hep.dst_ip4': m['dst_ip'],
                'hep.src_port': str(m['src_port']), 'hep.dst_port': str(m['dst_port']),
                'hep.ts_sec': str(m['ts_sec']), 'hep.ts_usec': str(m['ts_usec']),
                'hep.proto_type': str(m['proto_type']), 'hep.capture_id': str(m['capture_id']),
                'hep.correlation_id': m.get('correlation_id', ''),
                'hep.payload_len': str(len(m['payload'])),
                'hep.payload': m['payload'].hex(), '_ws.malformed': '',
            }
            diff = {k: (r[k], v) for k, v in want_row.items() if r[k] != v}
            if m['proto_type'] == 5:
                keys = set(r['json.key'].split(';'))
                need = {'sender_information', 'ssrc', 'type', 'report_count',
                        'report_blocks', 'sdes_report_count', 'sdes_information'}
                if json.loads(m['payload'])['type'] == 201:
                    need.discard('sender_information')
                if not need <= keys:
                    diff['json.key'] = (r['json.key'], sorted(need))
                if 'alformed' in r['_ws.expert'] or 'rror' in r['_ws.expert']:
                    diff['_ws.expert'] = (r['_ws.expert'], '')
            if diff:
                tbad.append(diff)
        c.check(not tbad, 'tshark: HEP3 chunks of every frame equal ours, JSON payloads parse '
                'in tshark (%d differ%s)' % (len(tbad), ': %s' % tbad[0] if tbad else ''))
        print('udp: %d RTCP + %d ng HEP messages; tshark agreed on %d frames'
              % (len(rtcp), len(ngm), len(rows)))


def run_tcp(args, c):
    with Topology(keep_workdir=args.keep) as topo:
        coll = hep.TcpCollector(topo.core, drop_after=3)
        try:
            a, b, relay = start_call(topo, args, [
                '--homer=127.0.0.1:%d' % coll.port, '--homer-protocol=tcp', '--homer-id=99'])
        except RelayError as e:
            c.check(False, 'tcp: sluice started: %s' % e)
            return
        ng = relay.ng_client()
        call_id = 'hep-tcp-%d@sluice.test' % os.getpid()
        pa, pb = RtpPeer(a.ns, a.peer_ip, 20000), RtpPeer(b.ns, b.peer_ip, 20000)
        pa.start_capture()
        pb.start_capture()
        to_b, to_a = call_pair(ng, call_id, a.peer_ip, 20000, b.peer_ip, 20000)
        stats_a, stats_b, rr = run_media(pa, pb, to_a, to_b, call_id, int(args.duration * 50))
        q = ng.query(call_id)
        time.sleep(1.0)  # let the queue drain
        ng.delete(call_id)
        pa.stop_capture()
        pb.stop_capture()
        rc = relay.stop()
        coll.close()
        c.check(rc == 0, 'tcp: sluice exited %s on SIGTERM' % rc)
        c.check(not coll.errors, 'tcp: stream framing intact (%s)' % '; '.join(coll.errors))
        c.check(coll.drop_time is not None, 'tcp: the collector dropped the first connection')
        c.check(len(coll.conns) == 2,
                'tcp: sluice reconnected once (%d connections, messages per connection %s)'
                % (len(coll.conns), [len(x) for x in coll.conns]))
        sent = stats_a['rtcp_sent'] + stats_b['rtcp_sent'] + 1
        got = []
        for t, data, ci in coll.messages:
            m = hep.decode(data)
            if m.get('proto_type') == 5 and m.get('correlation_id') == call_id:
                got.append((t, ci, m['payload']))
        payloads = [p for _, _, p in got]
        c.check(len(set(payloads)) == len(payloads), 'tcp: no message twice')
        c.check(sent - 1 <= len(got) <= sent == totals(q)['RTCP']['packets'],
                'tcp: %d RTCP HEP messages for %d RTCP compounds (at most 1 lost in the drop; '
                'sluice counted %d)' % (len(got), sent, totals(q)['RTCP']['packets']))
        after = [p for t, ci, p in got if ci == 1]
        last = json.loads(after[-1]) if after else {}
        c.check(len(after) >= 3 and last.get('type') == 201,
                'tcp: sluice kept sending after the reconnect (%d messages on the new '
                'connection, the last one the final RR)' % len(after))
        if coll.drop_time is not None and len(coll.conns) > 1:
            first_new = min(t for t, ci, _ in got if ci == 1) if after else None
            print('tcp: dropped after %d messages; first message on the new connection '
                  '%.2f s later; %d/%d RTCP exported'
                  % (len(coll.conns[0]), (first_new or coll.drop_time) - coll.drop_time,
                     len(got), sent))


def main(argv=None):
    args = parse_args(argv)
    rc = preflight(args)
    if rc is not None:
        return rc
    c = Checks(args.verbose)
    t0 = time.monotonic()
    run_udp(args, c)
    run_tcp(args, c)
    return c.finish('hep', t0)


if __name__ == '__main__':
    sys.exit(main())
