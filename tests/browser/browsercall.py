# SPDX-License-Identifier: BSD-3-Clause
"""What the browser tests share: the page, the tone, the checks.

  PAGE_URL                 file: URL of webrtc_call.html (a secure context)
  check_sdp_to_phone/check_sdp_to_browser/check_browser_sdp  what each side was given
  write_tone_wav(path)     the capture file Chromium's fake device plays (440 Hz)
  tone_ratios(payloads)    how much of each 100 ms of PCMU audio is the tone
  EgressWatch(ns, ifname)  counts what the browser's namespace puts on its veth
  check_pair(...)          getStats: the selected candidate pair is sluice's
  check_browser_to_phone(...), check_phone_to_browser(...)  media both ways

Tone, not pattern, toward the phone: the browser encodes real audio (its
fake capture device plays a 440 Hz WAV), sluice decrypts SRTP and forwards
RTP; the phone decodes the PCMU and finds the tone.  Ciphertext (or a
wrong key) decodes to white noise, whose 440 Hz share is ~0.25 %.

Pattern toward the browser: the phone sends sltest Pattern payloads; the
page's receiver sees each frame after SRTP (encoded insertable streams)
and returns the bytes, which must match the pattern exactly.
"""

import array
import math
import os
import socket
import struct
import threading
import time
import wave

from sltest.rtp import parse_rtcp, parse_rtp
from sltest.sdp import parse_sdp

HERE = os.path.dirname(os.path.abspath(__file__))
PAGE_URL = 'file://' + os.path.join(HERE, 'webrtc_call.html')
TONE_HZ = 440
MIN_RATIO = 0.90        # share of the packets sent that must arrive (loss margin on veths)
MIN_TONE = 0.5          # median share of the tone in the decoded audio


# --- audio ------------------------------------------------------------------------

def write_tone_wav(path, freq=TONE_HZ, seconds=1.0, rate=48000, amplitude=0.4):
    """Mono 16-bit WAV of a sine; a whole number of cycles, so it loops cleanly."""
    n = int(rate * seconds)
    samples = array.array('h', (int(amplitude * 32767 * math.sin(2 * math.pi * freq * i / rate))
                                for i in range(n)))
    if samples.itemsize != 2:
        raise RuntimeError('unexpected array item size')
    if struct.pack('=h', 1) != struct.pack('<h', 1):
        samples.byteswap()
    with wave.open(path, 'wb') as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return path


def _ulaw_table():
    out = []
    for b in range(256):
        u = ~b & 0xff
        sign, exp, mant = u & 0x80, (u >> 4) & 7, u & 0x0f
        mag = ((mant << 3) + 0x84) << exp
        out.append(-(mag - 0x84) if sign else mag - 0x84)
    return out


ULAW = _ulaw_table()


def tone_ratios(payloads, freq=TONE_HZ, rate=8000, block=800):
    """Share of the energy at `freq` in each `block`-sample block of the
    concatenated PCMU payloads (Goertzel; 1.0 = a pure tone)."""
    pcm = [ULAW[b] for p in payloads for b in p]
    out = []
    k = 2 * math.cos(2 * math.pi * freq / rate)
    for off in range(0, len(pcm) - block + 1, block):
        x = pcm[off:off + block]
        energy = sum(v * v for v in x)
        if energy == 0:
            out.append(0.0)
            continue
        s1 = s2 = 0.0
        for v in x:
            s1, s2 = v + k * s1 - s2, s1
        power = s1 * s1 + s2 * s2 - k * s1 * s2
        out.append(2.0 * power / (block * energy))
    return out


def median(xs):
    xs = sorted(xs)
    if not xs:
        return 0.0
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2.0


# --- what leaves the browser's namespace -------------------------------------------

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


class EgressWatch:
    """AF_PACKET socket on the browser netns's veth: every frame the browser's
    namespace sends, by destination and kind (bounded in count and time)."""

    def __init__(self, ns, ifname, max_frames=100000, max_seconds=300.0):
        from sltest.netns import netns_socket
        self.sock = netns_socket(ns, socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.bind((ifname, 0))
        self.sock.settimeout(0.1)
        self.by_dst = {}         # dst ip -> frames sent to it
        self.kinds = {}          # 'stun'/'dtls'/'rtp'/'rtcp'/'udp-other'/'tcp'/'arp'/... -> n
        self.other = 0           # non-IPv4, non-ARP frames sent (IPv6 must stay silent)
        self.frames = 0
        self._stop = threading.Event()
        self._max = (max_frames, max_seconds)
        self._t = threading.Thread(target=self._run, name='egress-watch', daemon=True)
        self._t.start()

    def _run(self):
        deadline = time.monotonic() + self._max[1]
        while not self._stop.is_set() and time.monotonic() < deadline and \
                self.frames < self._max[0]:
            try:
                data, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            if addr[2] != PACKET_OUTGOING or len(data) < 14:
                continue
            self.frames += 1
            etype = struct.unpack_from('!H', data, 12)[0]
            if etype == 0x0806:
                self._count(self.kinds, 'arp')
                continue
            if etype != 0x0800 or len(data) < 34:
                self.other += 1
                self._count(self.kinds, 'non-ipv4 0x%04x' % etype)
                continue
            ihl = (data[14] & 0x0f) * 4
            proto = data[23]
            dst = socket.inet_ntoa(data[30:34])
            self._count(self.by_dst, dst)
            l4 = 14 + ihl
            if proto == 17 and len(data) > l4 + 8:
                b = data[l4 + 8]
                kind = ('stun' if b <= 3 else 'dtls' if 20 <= b <= 63 else
                        ('rtcp' if 192 <= data[l4 + 9] <= 223 else 'rtp')
                        if 128 <= b <= 191 and len(data) > l4 + 9 else 'udp-other')
            else:
                kind = {6: 'tcp', 1: 'icmp'}.get(proto, 'ip-proto-%d' % proto)
            self._count(self.kinds, kind)

    @staticmethod
    def _count(d, k):
        d[k] = d.get(k, 0) + 1

    def stop(self):
        self._stop.set()
        self._t.join(2.0)
        self.sock.close()


# --- SDP checks ------------------------------------------------------------------

def a_lines(text):
    return [ln.strip() for ln in text.splitlines() if ln.startswith('a=')]


def check_sdp_to_phone(c, pre, text, relay_ip):
    """SDP sluice gives the plain phone: RTP/AVP, PCMU, nothing WebRTC."""
    m = parse_sdp(text).audio()
    c.check(m.proto == 'RTP/AVP' and '0' in m.fmts,
            '%sSDP to the phone: m=audio %d %s %s' % (pre, m.port, m.proto, ' '.join(m.fmts)))
    c.check(m.addr == relay_ip, '%sSDP to the phone: c= is sluice p-side %s (got %s)'
            % (pre, relay_ip, m.addr))
    left = [ln for ln in a_lines(text) if ln.split(':')[0] in (
        'a=ice-ufrag', 'a=ice-pwd', 'a=ice-options', 'a=candidate', 'a=end-of-candidates',
        'a=fingerprint', 'a=setup', 'a=tls-id', 'a=rtcp-mux', 'a=crypto', 'a=rtcp-fb')]
    c.check(not left, '%sSDP to the phone: no ICE/DTLS/mux/crypto/rtcp-fb attributes (%s)'
            % (pre, '; '.join(left) or 'none'))
    c.check(m.rtcp_port == m.port + 1, '%sSDP to the phone: RTCP on port+1 (a=rtcp %s)'
            % (pre, m.rtcp_port))
    return m


def check_sdp_to_browser(c, pre, text, relay_ip, setups, proto='UDP/TLS/RTP/SAVPF',
                         sdes=False, components=1):
    """SDP sluice gives the browser: DTLS-SRTP, ICE with sluice's candidates only, mux.
    sdes: False = no a=crypto allowed, None = not checked (RTP/SAVPF offers both).
    components: 2 when rtcp-mux is offered but not required (an RTCP candidate too)."""
    m = parse_sdp(text).audio()
    al = a_lines(text)
    c.check(m.proto == proto, '%sSDP to the browser: m=audio %d %s %s (want %s)'
            % (pre, m.port, m.proto, ' '.join(m.fmts), proto))
    fp = [ln for ln in al if ln.startswith('a=fingerprint:sha-256 ')]
    setup = [ln[8:] for ln in al if ln.startswith('a=setup:')]
    c.check(len(fp) == 1 and setup and setup[0] in setups,
            '%sSDP to the browser: one sha-256 fingerprint, a=setup:%s (want %s)'
            % (pre, ','.join(setup) or 'none', '|'.join(setups)))
    c.check(any(ln.startswith('a=ice-ufrag:') for ln in al) and
            any(ln.startswith('a=ice-pwd:') for ln in al) and 'a=rtcp-mux' in al,
            '%sSDP to the browser: ICE credentials and a=rtcp-mux' % pre)
    # our candidates: component 1 on the m= port; component 2 (the RTCP port) only
    # while rtcp-mux is merely offered (RFC 5761 fallback), never once it is required
    cands = [ln[12:].split() for ln in al if ln.startswith('a=candidate:')]
    want = [('1', m.port)] + ([('2', m.rtcp_port)] if components == 2 else [])
    got = [(f[1], int(f[5])) for f in cands if len(f) >= 8]
    c.check(got == want and all(f[2].upper() == 'UDP' and f[4] == relay_ip and f[7] == 'host'
                                for f in cands),
            '%sSDP to the browser: sluice\'s candidates only, component/port %s at %s '
            '(got %s)' % (pre, want, relay_ip,
                          '; '.join(' '.join(f[1:8]) for f in cands) or 'none'))
    if sdes is False:
        c.check(not any(ln.startswith('a=crypto:') for ln in al),
                '%sSDP to the browser: no SDES a=crypto on the DTLS leg' % pre)
    return m


def check_browser_sdp(c, pre, text, browser_ip, kind, proto='UDP/TLS/RTP/SAVPF'):
    m = parse_sdp(text).audio()
    al = a_lines(text)
    cands = [ln for ln in al if ln.startswith('a=candidate:')]
    c.check(any((' %s ' % browser_ip) in ln and ' udp ' in ln.lower() for ln in cands) and
            not any('.local ' in ln for ln in cands),
            '%sbrowser %s: UDP host candidate %s, no mDNS names (%d candidates)'
            % (pre, kind, browser_ip, len(cands)))
    c.check(m.proto == proto and 'a=rtcp-mux' in al,
            '%sbrowser %s: %s with a=rtcp-mux (want %s)' % (pre, kind, m.proto, proto))
    return m


def telephone_event_pt(text, clock=8000):
    for pt, name in parse_sdp(text).audio().rtpmap.items():
        if name.lower().startswith('telephone-event/%d' % clock):
            return int(pt)
    return None



# --- getStats checks -------------------------------------------------------------

def first(lst, **match):
    for x in lst or []:
        if all(x.get(k) == v for k, v in match.items()):
            return x
    return None


def _ranges(xs):
    """'0, 5..9' for [0, 5, 6, 7, 8, 9]; 'none' for []."""
    out, start, prev = [], None, None
    for x in xs + [None]:
        if start is not None and (x is None or x != prev + 1):
            out.append(str(start) if start == prev else '%d..%d' % (start, prev))
            start = None
        if x is not None and start is None:
            start = x
        prev = x
    return ', '.join(out) or 'none'


def check_pair(c, pre, st, relay_ip, relay_port, browser_ip):
    """The transport's selected pair: succeeded, nominated, traffic both ways,
    remote side = sluice's address and the port it advertised."""
    sel = st.get('selected') or {}
    loc, rem = sel.get('local') or {}, sel.get('remote') or {}
    tr = (st.get('transports') or [{}])[0]
    c.check(st.get('connectionState') == 'connected',
            '%sbrowser connectionState connected (%s, ICE %s)'
            % (pre, st.get('connectionState'), st.get('iceConnectionState')))
    c.check(tr.get('dtlsState') == 'connected' and tr.get('srtpCipher'),
            '%sDTLS connected, SRTP profile negotiated (dtls %s, %s, %s, browser is DTLS %s, '
            'ICE %s)' % (pre, tr.get('dtlsState'), tr.get('srtpCipher'), tr.get('dtlsCipher'),
                         tr.get('dtlsRole'), tr.get('iceRole')))
    c.check(sel.get('state') == 'succeeded' and sel.get('nominated'),
            '%sselected candidate pair succeeded and nominated (state %s, nominated %s)'
            % (pre, sel.get('state'), sel.get('nominated')))
    c.check(rem.get('address') == relay_ip and rem.get('port') == relay_port,
            '%sselected pair remote side is sluice %s:%d (got %s:%s %s)'
            % (pre, relay_ip, relay_port, rem.get('address'), rem.get('port'),
               rem.get('candidateType')))
    c.check(loc.get('address') == browser_ip,
            '%sselected pair local side is the browser netns address %s (got %s:%s)'
            % (pre, browser_ip, loc.get('address'), loc.get('port')))
    c.check((sel.get('packetsSent') or 0) > 0 and (sel.get('packetsReceived') or 0) > 0,
            '%sselected pair carried packets both ways (sent %s, received %s)'
            % (pre, sel.get('packetsSent'), sel.get('packetsReceived')))


def check_phone_to_browser(c, pre, st, tx, payloads, pattern, insertable):
    """Phone -> sluice (RTP) -> browser (SRTP): what the browser decrypted."""
    sent = tx.get('sent', 0)
    inb = first(st.get('inbound'), ssrc=tx.get('ssrc')) or {}
    got = inb.get('packetsReceived') or 0
    c.check(sent > 0, '%sphone sent RTP (%d packets)' % (pre, sent))
    c.check(inb and got > 0 and got >= MIN_RATIO * sent,
            '%sbrowser inbound-rtp from the phone\'s SSRC %08x: packetsReceived %d of %d sent '
            '(lost %s, codec %s)' % (pre, tx.get('ssrc', 0), got, sent, inb.get('packetsLost'),
                                     (inb.get('codec') or {}).get('mimeType')))
    others = [x for x in st.get('inbound') or [] if x.get('ssrc') != tx.get('ssrc')]
    c.check(not others, '%sno other inbound SSRC at the browser (%s)'
            % (pre, ', '.join('%08x' % x.get('ssrc', 0) for x in others) or 'none'))
    ro = first(st.get('remoteOutbound'), ssrc=tx.get('ssrc')) or {}
    c.check(tx.get('rtcp_sent', 0) > 0 and (ro.get('reportsSent') or 0) > 0,
            '%sbrowser decrypted the phone\'s RTCP SRs (remote-outbound-rtp reportsSent %s, '
            'phone sent %d)' % (pre, ro.get('reportsSent'), tx.get('rtcp_sent', 0)))
    if insertable:
        idx = [pattern.check(p) for p in payloads]
        valid = sum(1 for i in idx if i is not None)
        bad = len(payloads) - valid
        missing = sorted(set(range(sent)) - set(i for i in idx if i is not None))
        c.check(valid >= MIN_RATIO * sent and bad == 0,
                '%sbrowser frames after SRTP carry the phone\'s exact payloads: %d valid, '
                '%d altered/foreign, of %d sent (missing indexes %s)'
                % (pre, valid, bad, sent, _ranges(missing)))
    else:
        print('%snote: encoded insertable streams unavailable, payload bytes not compared' % pre)
    return {'sent': sent, 'received': got, 'lost': inb.get('packetsLost'),
            'rtcp_reports': ro.get('reportsSent')}


def check_browser_to_phone(c, pre, st, captured, captured_rtcp, relay_src, relay_rtcp_src):
    """Browser (SRTP) -> sluice -> phone (RTP): what the phone got.

    captured: [(src, bytes)] on the phone's RTP socket (captured_rtcp: on its
    RTCP socket); relay_src, relay_rtcp_src: (ip, port) sluice must send RTP
    and RTCP from (the ports it advertised to the phone)."""
    out = (st.get('outbound') or [{}])[0]
    ssrc, sent = out.get('ssrc'), out.get('packetsSent') or 0
    pt = (out.get('codec') or {}).get('payloadType')
    pkts = [(src, parse_rtp(d)) for src, d in captured]
    srcs = sorted(set('%s:%d' % s[:2] for s, _ in pkts))
    mine = [p for s, p in pkts if p is not None and p.ssrc == ssrc]
    c.check(sent > 0, '%sbrowser outbound-rtp packetsSent %d (SSRC %s, %s)'
            % (pre, sent, '%08x' % ssrc if ssrc else '?', (out.get('codec') or {})
               .get('mimeType')))
    c.check(srcs == ['%s:%d' % relay_src],
            '%sphone got RTP only from sluice %s:%d (saw %s)'
            % (pre, relay_src[0], relay_src[1], ', '.join(srcs) or 'nothing'))
    c.check(len(mine) == len(pkts) and mine,
            '%severy RTP packet at the phone is the browser\'s SSRC (%d of %d)'
            % (pre, len(mine), len(pkts)))
    c.check(len(mine) >= MIN_RATIO * sent and sent > 0,
            '%sphone received %d of the %d packets the browser reported sent'
            % (pre, len(mine), sent))
    pts = sorted(set(p.pt for p in mine))
    c.check(pts == [pt], '%spayload type at the phone %s = the browser\'s %s'
            % (pre, pts, pt))
    # decrypted: plain PCMU of the browser's tone (ciphertext would be noise + a tag)
    lens = sorted(set(len(p.payload) for p in mine))
    voice = [p.payload for p in sorted(mine, key=lambda p: p.seq) if pt == 0]
    ratios = tone_ratios(voice)
    med = median(ratios)
    c.check(pt == 0 and lens == [160] and med >= MIN_TONE,
            '%sphone hears the browser\'s %d Hz tone in the PCMU (median tone share %.3f over '
            '%d blocks of 100 ms; payload sizes %s)' % (pre, TONE_HZ, med, len(ratios), lens))
    rtcp = [r for _, d in captured_rtcp for r in parse_rtcp(d)]
    from_browser = [r for r in rtcp if r['ssrc'] == ssrc and r['pt'] in (200, 201)]
    c.check(from_browser, '%sphone got the browser\'s RTCP decrypted (%d SR/RR with its SSRC, '
            '%d RTCP datagrams)' % (pre, len(from_browser), len(captured_rtcp)))
    rsrcs = sorted(set('%s:%d' % s[:2] for s, _ in captured_rtcp))
    c.check(rsrcs == ['%s:%d' % relay_rtcp_src],
            '%sphone got RTCP only from sluice\'s RTCP port %s:%d (saw %s)'
            % (pre, relay_rtcp_src[0], relay_rtcp_src[1], ', '.join(rsrcs) or 'nothing'))
    return {'sent': sent, 'received': len(mine), 'tone_median': round(med, 3),
            'rtcp': len(from_browser)}
