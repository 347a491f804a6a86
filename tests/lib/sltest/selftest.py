# SPDX-License-Identifier: BSD-3-Clause
"""Offline self-test of the harness's pure parts (no root, no namespaces).

    PYTHONPATH=tests/lib python3 -m sltest.selftest

Covers bencode, SDP build/parse (both rtpengine SDP layouts, compat 4.1),
RTP/RTCP build/parse, payload patterns and stream verification, and the SIP
helpers of tests/kamailio/sipua.py.
"""

import os
import sys
import unittest

from . import REPO_ROOT
from .ng import BencodeError, NgClient, bdecode, bencode, stream_stats, totals
from .rtp import (Pattern, build_rr, build_rtp, build_sr, is_rtcp, parse_rtcp, parse_rtp,
                  report_block, verify_rtcp, verify_rtp)
from .sanitize import scan_text
from .sdp import build_sdp, parse_sdp


class TestBencode(unittest.TestCase):
    def test_roundtrip_keeps_key_order(self):
        doc = {'sdp': 'v=0\r\n', 'flags': ['trust-address'], 'n': -5, 'result': 'ok'}
        enc = bencode(doc)
        self.assertEqual(enc, b'd3:sdp5:v=0\r\n5:flagsl13:trust-addresse1:ni-5e6:result2:oke')
        self.assertEqual(list(bdecode(enc)), ['sdp', 'flags', 'n', 'result'])

    def test_binary_strings_roundtrip(self):
        raw = b'd1:x3:\xff\x00\x80e'
        self.assertEqual(bencode(bdecode(raw)), raw)
        self.assertEqual(bdecode(raw, bytes_values=True)['x'], b'\xff\x00\x80')

    def test_rtpengine_reply(self):
        # captured 10.5 reply (compat 1.6): result is the last key
        r = bdecode(b'd7:warning38:Call-ID not found or tags didn\'t match6:result2:oke')
        self.assertEqual(r['result'], 'ok')

    def test_errors(self):
        for bad in (b'', b'd', b'i12', b'5:ab', b'd1:ae', b'i1ei2e', b'x', b'di1ei2ee'):
            with self.assertRaises(BencodeError, msg=bad):
                bdecode(bad)

    def test_json_decode_sniffing(self):
        self.assertEqual(NgClient.decode(b'{"result":"pong"}'), {'result': 'pong'})
        self.assertEqual(NgClient.decode(b'd6:result4:ponge'), {'result': 'pong'})

    def test_query_helpers(self):
        q = {'totals': {'RTP': {'packets': 3, 'bytes': 516, 'errors': 0}},
             'tags': {'t1': {'medias': [{'index': 1, 'streams': [
                 {'local port': 30000, 'local address': '198.18.1.1', 'flags': ['RTP'],
                  'endpoint': {'address': '198.18.1.10', 'port': 20000},
                  'stats': {'packets': 3, 'bytes': 516, 'errors': 0}}]}]}}}
        self.assertEqual(totals(q)['RTP']['packets'], 3)
        self.assertEqual(totals(q)['RTCP']['packets'], 0)
        row = stream_stats(q)[0]
        self.assertEqual((row['tag'], row['local_port'], row['packets'], row['rtcp']),
                         ('t1', 30000, 3, False))


SDP_105 = ('v=0\r\no=alice 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n'
           'm=audio 30028 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n'
           'a=rtcp:30029\r\na=ptime:20\r\n')
SDP_V26 = ('v=0\r\no=alice 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n'
           'm=audio 30028 RTP/AVP 0 8 101\r\nc=IN IP4 127.0.0.1\r\na=rtpmap:0 PCMU/8000\r\n'
           'a=sendrecv\r\na=rtcp:30029\r\na=ptime:20\r\n')


class TestSdp(unittest.TestCase):
    def test_both_layouts(self):
        for text in (SDP_105, SDP_V26):
            m = parse_sdp(text).audio()
            self.assertEqual((m.addr, m.port, m.rtcp_addr, m.rtcp_port),
                             ('127.0.0.1', 30028, '127.0.0.1', 30029))
            self.assertEqual((m.direction, m.ptime, m.fmts), ('sendrecv', 20, ['0', '8', '101']))

    def test_build_v4_v6(self):
        s = parse_sdp(build_sdp('198.18.1.10', 20000, rtcp_port=20001, rtcp_full=True))
        self.assertEqual(s.endpoint(), ('198.18.1.10', 20000, '198.18.1.10', 20001))
        s6 = parse_sdp(build_sdp('2001:db8:1::10', 20000))
        self.assertEqual(s6.audio().family, 'IP6')
        self.assertEqual(s6.endpoint(), ('2001:db8:1::10', 20000, '2001:db8:1::10', 20001))
        self.assertEqual(s6.origin['family'], 'IP6')

    def test_rtcp_mux_and_full_attr(self):
        m = parse_sdp(SDP_V26.replace('a=rtcp:30029', 'a=rtcp:30028\r\na=rtcp-mux')).audio()
        self.assertTrue(m.rtcp_mux)
        self.assertEqual(m.rtcp_port, 30028)
        m = parse_sdp(SDP_V26.replace('a=rtcp:30029', 'a=rtcp:40001 IN IP4 198.18.9.9')).audio()
        self.assertEqual((m.rtcp_addr, m.rtcp_port), ('198.18.9.9', 40001))


class TestRtp(unittest.TestCase):
    def stream(self, pat, n, seq0=65530, ts0=2 ** 32 - 300):
        return [(('198.18.1.1', 30000),
                 build_rtp(seq0 + i, ts0 + 160 * i, 0x1234, pat.payload(i))) for i in range(n)]

    def test_pattern(self):
        p = Pattern('c1@x', 'caller>callee')
        self.assertEqual(p.check(p.payload(7)), 7)
        self.assertIsNone(Pattern('c1@x', 'callee>caller').check(p.payload(7)))
        self.assertIsNone(Pattern('c2@x', 'caller>callee').check(p.payload(7)))
        bad = bytearray(p.payload(7))
        bad[-1] ^= 0x40
        self.assertIsNone(p.check(bytes(bad)))

    def test_verify_wraps_and_counts(self):
        p = Pattern('c1', 'a>b')
        pkts = self.stream(p, 20)           # seq and ts wrap inside the stream
        pkts = pkts[:5] + pkts[6:] + [pkts[3]]
        r = verify_rtp(pkts, p)
        self.assertEqual((r['valid'], r['invalid'], r['duplicates'], r['missing']),
                         (19, 0, 1, [5]))

    def test_verify_rejects_foreign_and_altered(self):
        p = Pattern('c1', 'a>b')
        pkts = self.stream(p, 3) + self.stream(Pattern('c1', 'b>a'), 1)
        pkts.append((('x', 1), build_rtp(1, 1, 1, b'\x00' * 160)))
        pkts.append((('x', 1), b'\x01\x02'))
        r = verify_rtp(pkts, p)
        self.assertEqual((r['valid'], r['invalid']), (3, 3))

    def test_parse_rtp_with_csrc_ext_padding(self):
        body = b'hello'
        pkt = bytes([0x80 | 0x20 | 0x10 | 1, 0x00]) + b'\x00\x01' + b'\x00' * 8
        pkt += b'\x00\x00\x00\x09'                     # one CSRC
        pkt += b'\xbe\xde\x00\x01' + b'\x00' * 4       # extension, 1 word
        pkt += body + b'\x00\x00\x03'                  # 3 bytes padding
        self.assertEqual(parse_rtp(pkt).payload, body)

    def test_rtcp(self):
        p = Pattern('c1', 'a>b')
        sr = build_sr(7, 1000, 10, 1600, blocks=[report_block(9, 12, 3, 70000, 5, 1, 2)],
                      cname=p.cname)
        self.assertTrue(is_rtcp(sr))
        parts = parse_rtcp(sr)
        self.assertEqual([x['pt'] for x in parts], [200, 202])
        self.assertEqual(parts[0]['blocks'][0]['ext_seq'], 70000)
        self.assertEqual(parts[1]['cname'], p.cname)
        rr = build_rr(7, cname='someone-else')
        r = verify_rtcp([(('x', 1), sr), (('x', 1), rr)], p)
        self.assertEqual((r['valid'], r['invalid'], r['sr']), (1, 1, 1))
        self.assertEqual(parse_rtcp(b'\x80\xc8\x00\x10'), [])   # length beyond data


class TestSipHelpers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, os.path.join(REPO_ROOT, 'tests', 'kamailio'))
        import sipua
        cls.ua = sipua

    def test_parse_and_route_set(self):
        ua = self.ua
        msg = ua.SipMessage.parse(
            b'SIP/2.0 200 OK\r\n'
            b'v: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bKabc;rport=5061;received=127.0.0.1\r\n'
            b'Record-Route: <sip:127.0.0.1:5060;lr;ftag=x>, <sip:198.18.0.9;lr>\r\n'
            b'From: <sip:caller@127.0.0.1>;tag=aa\r\nTo: <sip:callee@127.0.0.1:5070>;tag=bb\r\n'
            b'i: c1\r\nCSeq: 1 INVITE\r\nm: <sip:callee@127.0.0.1:5070>\r\n'
            b'Content-Length: 4\r\n\r\nv=0\r\nEXTRA')
        self.assertEqual((msg.status, msg.cseq, msg.get('call-id')), (200, (1, 'INVITE'), 'c1'))
        self.assertEqual(msg.body, 'v=0\r')
        self.assertEqual(len(msg.get_all('record-route')), 2)
        self.assertEqual(ua.param(msg.get('to'), 'tag'), 'bb')
        self.assertEqual(ua.uri_hostport(ua.uri_of(msg.get('record-route'))),
                         ('127.0.0.1', 5060))
        self.assertEqual(msg.branch, 'z9hG4bKabc')
        self.assertEqual(ua.via_address(msg.get('via'), ('1.1.1.1', 1)), ('127.0.0.1', 5061))
        self.assertEqual(ua.uri_hostport('sip:x@[2001:db8::1]:5070;lr'), ('2001:db8::1', 5070))


class TestSanitizerScan(unittest.TestCase):
    """sanitize.scan_text: what fails a test run against an ASan/UBSan build."""

    def test_reports_found(self):
        asan = ('14:00:01.000 [INFO] ctl: ready\n=====\n'
                '==123==ERROR: AddressSanitizer: heap-use-after-free on address 0x1\n'
                '    #0 0x55 in f ../src/x.c:3\n')
        self.assertTrue(scan_text(asan).startswith('==123==ERROR: AddressSanitizer'))
        lsan = '==9==ERROR: LeakSanitizer: detected memory leaks\n'
        self.assertIsNotNone(scan_text(lsan))
        ubsan = '../src/dataplane/dp_fwd.c:478:36: runtime error: load of misaligned address\n'
        self.assertTrue(scan_text('x\n' + ubsan).startswith('../src/dataplane'))

    def test_clean_logs(self):
        self.assertIsNone(scan_text(''))
        self.assertIsNone(scan_text('14:00:01.000 [ERR] ctl: ng: runtime error: none\n'
                                    'AddressSanitizer is mentioned, no report\n'))


if __name__ == '__main__':
    unittest.main(verbosity=1)
