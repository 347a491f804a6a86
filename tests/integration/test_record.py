#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Call recording over real DPDK af_packet ports: rtpengine's pcap spool and
the built-in recorder (WAV/MP3), checked with Wireshark's tshark and LAME.

    netns a 198.18.1.10 ---veth--- sluice port 0  a/198.18.1.1   (caller)
    netns b 198.18.2.10 ---veth--- sluice port 1  b/198.18.2.1   (callee)

sluice runs with two EAL lcores after the control lcore: one worker and the
recording lcore. The endpoints send real audio: the caller a 1 kHz tone in
PCMU, the callee a 400 Hz tone in PCMA under a dynamic payload type (98), so
a file only has the right tone if the recorder decoded the right codec.

  phase 1 (--recording-method=all --output-format=wav, pcap format raw)
    1  record-call=yes on the offer (reply lists the pcap under "recordings"),
       labels, metadata, 10 s of tones: the metadata file in
       metadata/ as rtpengine writes it, tmp/ emptied; the pcap opens in
       tshark with two RTP streams of 500 packets, none lost, sources and
       destinations as on the wire; WAV per SSRC (10 s within one 20 ms
       frame, its tone, its level)
       and the mixed WAV with both tones
    2  5% random loss (5 of 100 caller packets never sent): the pcap shows 95
       packets and 5 lost; the WAV keeps its 2 s, with exactly 5 gaps of
       20 ms of silence where the packets were missing
    3  recording started mid-call, paused, resumed, stopped (start/pause/
       stop recording commands): only the recorded quarters are in the pcap,
       the metadata says when it paused
    4  discard-recording on delete: no pcap, no metadata left anywhere
    5  100 concurrent recorded calls for 30 s: every packet tapped (tap_drop
       0), every pcap holds both streams without a sequence gap, every call
       has its WAVs, the single ones 30 s long with no silence inside
    6  SRTP (SDES) caller: the pcap holds the RTP decrypted, byte for byte
       the caller's plaintext (tests/tools/srtp_peer, Debian libsrtp2)
  phase 2 (--recording-format=eth --output-format=mp3 --mix-method=channels
           --output-pattern=%{uuid}-%c-%l-%t --timeout=3)
    7  Ethernet pcap (linktype 1) that tshark dissects; the MP3s decode with
       LAME to 2 s (within one MP3 frame) of the right tone, the mixed one
       with the caller on the left channel and the callee on the right; files
       named by metadata key and label (Kamailio's metadata=uuid:..|uuid:..;
       the callee's label arrives with the answer, after recording began)
    8  a recorded call that ends by media timeout (--timeout=3): metadata
       and MP3s complete and decodable

Usage (root):  python3 tests/integration/test_record.py --sluice build/sluice [-v] [--keep]
Exit status: 0 pass, 1 fail, 77 skipped (not root, or tshark/lame missing).
"""

import argparse
import array
import glob
import math
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import threading
import time
import traceback
import warnings
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))

from sltest import REPO_ROOT  # noqa: E402
from sltest.itest import Checks, Telemetry, dp_delta, dp_stats, wait_until  # noqa: E402
from sltest.relay import Sluice  # noqa: E402
from sltest.rtp import Pattern, RtpPeer, build_rtp  # noqa: E402
from sltest.sdp import build_sdp, parse_sdp  # noqa: E402
from sltest.topo import Topology  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter('ignore', DeprecationWarning)
    import audioop  # G.711 encoders (Python 3.11, Debian 12)

SKIP = 77
N_BASIC = 500          # 10 s of 20 ms packets (scenario 1)
MANY_CALLS, MANY_SECONDS = 100, 30
RATE = 8000
TONE_A, TONE_B = 1000.0, 400.0
AMPL = 8000
CODECS_OFFER = [(0, 'PCMU/8000', None), (98, 'PCMA/8000', None),
                (101, 'telephone-event/8000', '0-16')]
CODECS_ANSWER = [(98, 'PCMA/8000', None), (101, 'telephone-event/8000', '0-16')]


# --- audio -----------------------------------------------------------------------

def tone_payload(freq, index, codec):
    """20 ms (160 samples) of a sine as G.711; `index` keeps the phase."""
    pcm = array.array('h', (int(AMPL * math.sin(2 * math.pi * freq * (index * 160 + i) / RATE))
                            for i in range(160)))
    enc = audioop.lin2ulaw if codec == 'PCMU' else audioop.lin2alaw
    return enc(pcm.tobytes(), 2)


def goertzel(samples, freq):
    """Power of `samples` at `freq` (normalised by length)."""
    k = 2 * math.cos(2 * math.pi * freq / RATE)
    s1 = s2 = 0.0
    for x in samples:
        s0 = x + k * s1 - s2
        s2, s1 = s1, s0
    return (s1 * s1 + s2 * s2 - k * s1 * s2) / max(1, len(samples))


def dominant(samples, grid=tuple(range(200, 3801, 100))):
    """The grid frequency with the most power."""
    return max(grid, key=lambda f: goertzel(samples, f))


def rms(samples):
    return math.sqrt(sum(x * x for x in samples) / max(1, len(samples)))


def read_wav(path):
    """(rate, channels, [channel samples]) of a 16-bit PCM WAV."""
    with wave.open(path, 'rb') as w:
        rate, ch, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
        data = w.readframes(w.getnframes())
    if width != 2:
        raise ValueError('%s: %d-byte samples' % (path, width))
    a = array.array('h')
    a.frombytes(data)
    if sys.byteorder != 'little':
        a.byteswap()
    return rate, ch, [a[i::ch] for i in range(ch)]


def zero_runs(samples, min_len):
    """Lengths of runs of exact zeros at least `min_len` long."""
    runs, n = [], 0
    for x in samples:
        if x == 0:
            n += 1
        else:
            if n >= min_len:
                runs.append(n)
            n = 0
    if n >= min_len:
        runs.append(n)
    return runs


def middle(samples, skip=800):
    return samples[skip:len(samples) - skip] if len(samples) > 4 * skip else samples


def window(samples, n=8000):
    """One second from the middle (frequency checks need no more)."""
    mid = len(samples) // 2
    return samples[max(0, mid - n // 2):mid + n // 2]


# --- tshark -----------------------------------------------------------------------

STREAM_RE = re.compile(r'^\s*[\d.]+\s+[\d.]+\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s+'
                       r'(0x[0-9A-Fa-f]+)\s+(.+?)\s+(\d+)\s+(-?\d+)\s+\(')


def rtp_streams(pcap):
    """tshark's RTP stream analysis of a pcap: [{src, dst, ssrc, payload, pkts, lost}]."""
    out = subprocess.run(['tshark', '-n', '-r', pcap, '-q', '-o', 'rtp.heuristic_rtp:TRUE',
                          '-z', 'rtp,streams'], capture_output=True, text=True, timeout=60)
    rows = []
    for line in out.stdout.splitlines():
        m = STREAM_RE.match(line)
        if m:
            rows.append({'src': '%s:%s' % (m.group(1), m.group(2)),
                         'dst': '%s:%s' % (m.group(3), m.group(4)),
                         'ssrc': int(m.group(5), 16), 'payload': m.group(6).strip(),
                         'pkts': int(m.group(7)), 'lost': int(m.group(8))})
    return rows


def tshark_fields(pcap, fields, flt='rtp'):
    out = subprocess.run(['tshark', '-n', '-r', pcap, '-o', 'rtp.heuristic_rtp:TRUE', '-Y', flt,
                          '-T', 'fields'] + sum([['-e', f] for f in fields], []),
                         capture_output=True, text=True, timeout=60)
    return [ln.split('\t') for ln in out.stdout.splitlines() if ln]


def pcap_linktype(path):
    with open(path, 'rb') as f:
        hdr = f.read(24)
    magic = struct.unpack('<I', hdr[:4])[0]
    end = '<' if magic in (0xa1b2c3d4, 0xa1b23c4d) else '>'
    return struct.unpack(end + 'I', hdr[20:24])[0]


# --- calls ------------------------------------------------------------------------

class Ctx:
    def __init__(self, c, topo, relay, a, b, spool, out, tools):
        self.c, self.topo, self.relay, self.a, self.b = c, topo, relay, a, b
        self.spool, self.out, self.tools = spool, out, tools
        self.ng = relay.ng_client()
        self.last_offer = {}

    def files(self, sub, pattern):
        return sorted(glob.glob(os.path.join(self.spool, sub, pattern)))


def setup_call(x, cid, record=True, metadata=None, labels=True):
    """Offer (caller a) + answer (callee b); returns (peer a, peer b, to_a, to_b).
    to_a: where the caller sends, to_b: where the callee sends."""
    pa, pb = RtpPeer(x.a.ns, x.a.peer_ip), RtpPeer(x.b.ns, x.b.peer_ip)
    kw = {}
    if record:
        kw['record_call'] = 'yes'
    if metadata:
        kw['metadata'] = metadata
    off = x.ng.offer(cid, 'ft-' + cid, build_sdp(x.a.peer_ip, pa.rtp_port, codecs=CODECS_OFFER),
                     direction=['a', 'b'], flags=['trust-address'], replace=['origin'],
                     label='caller' if labels else None, **kw)
    ans = x.ng.answer(cid, 'ft-' + cid, 'tt-' + cid,
                      build_sdp(x.b.peer_ip, pb.rtp_port, codecs=CODECS_ANSWER),
                      flags=['trust-address'], replace=['origin'],
                      label='callee' if labels else None)
    x.last_offer = off
    to_b = parse_sdp(off['sdp']).audio()
    to_a = parse_sdp(ans['sdp']).audio()
    return pa, pb, (to_a.addr, to_a.port), (to_b.addr, to_b.port)


def send_tones(pa, pb, to_a, to_b, n, start=0, skip_a=(), ssrc_a=0x11110000 + 1,
               ssrc_b=0x22220000 + 2, pace=0.02):
    """n packets each way (from index `start`), paced; the caller skips the
    indices in skip_a (loss: sequence and timestamp still advance)."""
    t0 = time.monotonic()
    for k in range(n):
        i = start + k
        if i not in skip_a:
            pa.send_rtp(to_a, build_rtp(1000 + i, 160 * i, ssrc_a, tone_payload(TONE_A, i, 'PCMU'),
                                        pt=0))
        pb.send_rtp(to_b, build_rtp(5000 + i, 320000 + 160 * i, ssrc_b,
                                    tone_payload(TONE_B, i, 'PCMA'), pt=98))
        delay = t0 + (k + 1) * pace - time.monotonic()
        if delay > 0:
            time.sleep(delay)


def delete(x, cid, **kw):
    return x.ng.delete(cid, 'ft-' + cid, **kw)


def wait_meta(x, cid, timeout=5.0):
    """The metadata file of call `cid` once it is complete (None on timeout)."""
    got = wait_until(lambda: x.files('metadata', 'rtpengine-meta-%s-*.txt' % cid), timeout)
    return got[0] if got else None


def wait_out(x, pattern, count, timeout=8.0):
    got = wait_until(lambda: len(glob.glob(os.path.join(x.out, pattern))) >= count and
                     glob.glob(os.path.join(x.out, pattern)), timeout)
    time.sleep(0.2)
    return sorted(glob.glob(os.path.join(x.out, pattern))) if got else []


# --- scenarios ----------------------------------------------------------------------

def sc_basic(x):
    """1: pcap + metadata + WAV single and mixed."""
    c, cid = x.c, 'rec-1'
    pa, pb, to_a, to_b = setup_call(x, cid, metadata='foo:bar|x:y')
    try:
        tmp = x.files('tmp', 'rtpengine-meta-%s-*.tmp' % cid)
        c.check(len(tmp) == 1, '1: metadata in tmp/ while the call exists (%s)' % tmp)
        # the recording lcore creates the file just after the reply: wait for it (bounded)
        wait_until(lambda: x.files('pcaps', '%s-*.pcap' % cid), 3.0, 0.02)
        pcaps = x.files('pcaps', '%s-*.pcap' % cid)
        c.check(len(pcaps) == 1 and x.last_offer.get('recordings') == pcaps,
                '1: the offer reply lists the pcap under "recordings" (%s)'
                % x.last_offer.get('recordings'))
        send_tones(pa, pb, to_a, to_b, N_BASIC)
        time.sleep(0.3)
        delete(x, cid)
    finally:
        pa.close()
        pb.close()
    meta = wait_meta(x, cid)
    c.check(meta is not None, '1: metadata renamed into metadata/ on delete')
    c.check(not x.files('tmp', 'rtpengine-meta-%s-*' % cid), '1: tmp/ emptied')
    if meta is None:
        return
    tag = re.search(r'rtpengine-meta-%s-([0-9a-f]{16})\.txt$' % cid, meta)
    c.check(tag is not None, '1: metadata name carries a 16-hex tag (%s)' % os.path.basename(meta))
    text = open(meta, encoding='utf-8', errors='replace', newline='').read()
    lines = text.split('\n')
    pcap = os.path.join(x.spool, 'pcaps', '%s-%s.pcap' % (cid, tag.group(1) if tag else ''))
    c.eq(lines[0], pcap, '1: metadata line 1 is the absolute pcap path')
    c.check(lines[1:3] == ['', ''], '1: two blank lines after the path')
    c.check('Label: caller\nTimestamp started ms: ' in text and 'Label: callee\n' in text,
            '1: both parties labelled')
    c.check('SDP mode: offer\nSDP before RTP packet: 1\n' in text, '1: offer SDP, before packet 1')
    c.check('SDP mode: answer\nSDP before RTP packet: 1\n' in text, '1: answer SDP, before packet 1')
    c.check('m=audio %d RTP/AVP 0 98 101\r\n' % to_b[1] in text,
            '1: the rewritten offer (as sent to the callee) is in the file')
    c.check(re.search(r'Timestamp terminated ms\(first monologue\): \d+\.\d{3}\n', text),
            '1: termination timestamp')
    c.check(re.search(r'call start time: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\ncall end time: '
                      r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\n', text), '1: call start/end times')
    c.check(text.rstrip('\n').endswith('\n\nfoo:bar|x:y'), '1: metadata string at the end')
    c.eq(pcap_linktype(pcap), 101, '1: pcap linktype RAW')
    st = rtp_streams(pcap)
    by_src = {s['src'].split(':')[0]: s for s in st}
    sa, sb = by_src.get(x.a.peer_ip), by_src.get(x.b.peer_ip)
    c.eq(len(st), 2, '1: tshark finds two RTP streams')
    c.check(sa is not None and sa['dst'] == '%s:%d' % to_a and sa['pkts'] == N_BASIC
            and sa['lost'] == 0 and sa['ssrc'] == 0x11110001 and sa['payload'] == 'g711U',
            '1: caller stream: %d PCMU packets to our socket, none lost (%s)' % (N_BASIC, sa))
    c.check(sb is not None and sb['dst'] == '%s:%d' % to_b and sb['pkts'] == N_BASIC
            and sb['lost'] == 0 and sb['ssrc'] == 0x22220002,
            '1: callee stream: %d packets to our socket, none lost (%s)' % (N_BASIC, sb))
    if not tag:
        return
    wavs = wait_out(x, '%s-%s-*.wav' % (cid, tag.group(1)), 3)
    names = sorted(os.path.basename(w) for w in wavs)
    want = sorted('%s-%s-%s.wav' % (cid, tag.group(1), t) for t in ('11110001', '22220002',
                                                                    'mix'))
    c.eq(names, want, '1: WAV files named %c-%r-%t')
    for t, freq in (('11110001', TONE_A), ('22220002', TONE_B)):
        path = os.path.join(x.out, '%s-%s-%s.wav' % (cid, tag.group(1), t))
        if not os.path.exists(path):
            continue
        rate, ch, chans = read_wav(path)
        s = chans[0]
        c.check(rate == 8000 and ch == 1, '1: %s: 8 kHz mono' % t)
        c.check(abs(len(s) - 160 * N_BASIC) <= 160, '1: %s: %d s long, within one frame (%d '
                'samples)' % (t, N_BASIC // 50, len(s)))
        f = dominant(window(s))
        c.eq(f, int(freq), '1: %s: dominant frequency' % t)
        level = rms(window(s))
        c.check(abs(level - AMPL / math.sqrt(2)) < 0.06 * AMPL / math.sqrt(2),
                '1: %s: level %.0f (sine of amplitude %d: %.0f)' % (t, level, AMPL,
                                                                    AMPL / math.sqrt(2)))
    path = os.path.join(x.out, '%s-%s-mix.wav' % (cid, tag.group(1)))
    if os.path.exists(path):
        rate, ch, chans = read_wav(path)
        s = window(chans[0])
        pa_, pb_, po = goertzel(s, TONE_A), goertzel(s, TONE_B), goertzel(s, 2500)
        # (the mix starts at call start: the offer/answer before the first packet)
        c.check(ch == 1 and 0 <= len(chans[0]) - 160 * N_BASIC <= 800,
                '1: mix: mono, %d s (%d samples)' % (N_BASIC // 50, len(chans[0])))
        c.check(pa_ > 100 * po and pb_ > 100 * po and 0.5 < pa_ / pb_ < 2,
                '1: mix holds both tones at equal level (1k %.3g, 400 %.3g, 2.5k %.3g)'
                % (pa_, pb_, po))


def sc_loss(x):
    """2: 5% loss -> pcap shows it, WAV keeps its timing with silence."""
    c, cid = x.c, 'rec-2'
    lost = set(random.Random(2).sample(range(2, 98), 5))   # 5 % of 100, at random
    pa, pb, to_a, to_b = setup_call(x, cid)
    try:
        send_tones(pa, pb, to_a, to_b, 100, skip_a=lost)
        time.sleep(0.3)
        delete(x, cid)
    finally:
        pa.close()
        pb.close()
    meta = wait_meta(x, cid)
    if not c.check(meta is not None, '2: metadata file'):
        return
    tag = meta.rsplit('-', 1)[1][:16]
    st = {s['src'].split(':')[0]: s for s in
          rtp_streams(os.path.join(x.spool, 'pcaps', '%s-%s.pcap' % (cid, tag)))}
    sa = st.get(x.a.peer_ip)
    c.check(sa is not None and sa['pkts'] == 95 and sa['lost'] == 5,
            '2: tshark: caller stream 95 packets, 5 lost (%s)' % sa)
    wavs = wait_out(x, '%s-%s-11110001.wav' % (cid, tag), 1)
    if not c.check(wavs, '2: caller WAV written'):
        return
    _, _, chans = read_wav(wavs[0])
    s = chans[0]
    c.check(abs(len(s) - 16000) <= 160, '2: WAV still 2 s (%d samples)' % len(s))
    runs = zero_runs(s, 100)
    # adjacent losses make one longer gap
    want, prev = [], None
    for i in sorted(lost):
        if prev is not None and i == prev + 1:
            want[-1] += 160
        else:
            want.append(160)
        prev = i
    # (the tone itself is 0 at every 4th sample: a gap may grow by one)
    c.check(len(runs) == len(want) and all(w <= r <= w + 1 for r, w in zip(runs, want)),
            '2: silence exactly where packets were lost (zero runs %s, gaps %s)' % (runs, want))
    c.eq(dominant(middle(s)), int(TONE_A), '2: still the 1 kHz tone')


def sc_midcall(x):
    """3: start / pause / resume / stop recording mid-call."""
    c, cid, ng = x.c, 'rec-3', x.ng
    pa, pb, to_a, to_b = setup_call(x, cid, record=False)
    try:
        send_tones(pa, pb, to_a, to_b, 25, start=0)
        c.check(not x.files('tmp', 'rtpengine-meta-%s-*' % cid), '3: nothing recorded yet')
        r = ng.call('start recording', call_id=cid, from_tag='ft-' + cid)
        c.eq(r.get('result'), 'ok', '3: start recording')
        time.sleep(0.1)  # the reply precedes the worker applying the tap op
        send_tones(pa, pb, to_a, to_b, 25, start=25)
        time.sleep(0.1)
        r = ng.call('pause recording', call_id=cid, from_tag='ft-' + cid)
        c.eq(r.get('result'), 'ok', '3: pause recording')
        time.sleep(0.1)
        send_tones(pa, pb, to_a, to_b, 25, start=50)
        r = ng.call('start recording', call_id=cid, from_tag='ft-' + cid)
        c.eq(r.get('result'), 'ok', '3: resume (start recording again)')
        time.sleep(0.1)
        send_tones(pa, pb, to_a, to_b, 25, start=75)
        time.sleep(0.1)
        r = ng.call('stop recording', call_id=cid, from_tag='ft-' + cid)
        c.eq(r.get('result'), 'ok', '3: stop recording')
        time.sleep(0.1)
        send_tones(pa, pb, to_a, to_b, 10, start=100)
        meta = wait_meta(x, cid)
        c.check(meta is not None, '3: metadata complete once recording stops')
        delete(x, cid)
    finally:
        pa.close()
        pb.close()
    if meta is None:
        return
    text = open(meta, encoding='utf-8', errors='replace', newline='').read()
    c.check(re.search(r'Recording paused at: .+ \(\d+(\.\d+)? ms\)', text) or
            'Recording paused at' in text, '3: metadata notes the pause')
    pcap = text.split('\n')[0]
    rows = tshark_fields(pcap, ['ip.src', 'rtp.seq'])
    seq_a = sorted(int(r[1]) for r in rows if r[0] == x.a.peer_ip)
    want = list(range(1025, 1050)) + list(range(1075, 1100))
    c.eq(seq_a, want, '3: caller packets in the pcap: the 2nd and 4th quarter only')
    c.eq(len([r for r in rows if r[0] == x.b.peer_ip]), 50, '3: callee packets in the pcap')


def sc_discard(x):
    """4: discard-recording leaves nothing behind."""
    c, cid = x.c, 'rec-4'
    pa, pb, to_a, to_b = setup_call(x, cid)
    try:
        send_tones(pa, pb, to_a, to_b, 10)
        c.check(x.files('pcaps', '%s-*.pcap' % cid), '4: pcap exists while recording')
        delete(x, cid, flags=['discard-recording'])
    finally:
        pa.close()
        pb.close()
    time.sleep(1.0)
    left = [f for sub in ('pcaps', 'tmp', 'metadata') for f in x.files(sub, '*%s-*' % cid)]
    c.eq(left, [], '4: no spool file left after discard')


def rec_totals(x):
    """Recording counters from DPDK telemetry (/sluice/totals)."""
    tel = Telemetry(x.relay.file_prefix)
    try:
        t = tel.query('/sluice/totals').get('/sluice/totals') or {}
    finally:
        tel.close()
    return {k: v for k, v in t.items() if k.startswith('rec_')}


def pcap_rtp_seqs(path):
    """{ssrc: [seq, ...]} of the RTP records of a RAW-linktype pcap (fast, no tshark)."""
    with open(path, 'rb') as f:
        data = f.read()
    out, off = {}, 24
    while off + 16 <= len(data):
        caplen = struct.unpack_from('<I', data, off + 8)[0]
        rec = off + 16
        ihl = (data[rec] & 0x0f) * 4
        rtp = rec + ihl + 8
        if rtp + 12 <= rec + caplen and data[rtp + 1] < 200:      # RTP, not RTCP
            seq, = struct.unpack_from('!H', data, rtp + 2)
            ssrc, = struct.unpack_from('!I', data, rtp + 8)
            out.setdefault(ssrc, []).append(seq)
        off = rec + caplen
    return out


def sc_many(x, n_calls=MANY_CALLS, seconds=MANY_SECONDS):
    """5: 100 concurrent recorded calls for 30 s: no gap, nothing dropped on the tap."""
    c, ng = x.c, x.ng
    n_pkts = seconds * 50
    d0 = dp_stats(ng)
    t0_rec = rec_totals(x)
    calls = []
    late = 0
    try:
        for k in range(n_calls):
            cid = 'rec-m%03d' % k
            calls.append((cid,) + setup_call(x, cid, labels=False))
        pay_a, pay_b = tone_payload(TONE_A, 0, 'PCMU'), tone_payload(TONE_B, 0, 'PCMA')
        t0 = time.monotonic()
        for i in range(n_pkts):          # bounded: n_pkts rounds of 20 ms
            for k, (cid, pa, pb, to_a, to_b) in enumerate(calls):
                pa.send_rtp(to_a, build_rtp(i, 160 * i, 0xa0000000 + k, pay_a, pt=0))
                pb.send_rtp(to_b, build_rtp(i, 160 * i, 0xb0000000 + k, pay_b, pt=98))
            delay = t0 + (i + 1) * 0.02 - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                late += 1
        time.sleep(0.5)
        d = dp_delta(d0, dp_stats(ng))
        for cid, *_ in calls:
            delete(x, cid)
    finally:
        for _, pa, pb, _, _ in calls:
            pa.close()
            pb.close()
    want = n_calls * n_pkts * 2
    if d.get('fwd_pkts') != want:
        print('5: data-plane counters: %s' % {k: v for k, v in d.items() if v})
    c.eq(d.get('fwd_pkts'), want, '5: every packet forwarded')
    c.eq(d.get('tap'), want, '5: every packet tapped')
    c.eq(d.get('tap_drop'), 0, '5: tap_drop')
    t1_rec = rec_totals(x)
    got = {k: t1_rec.get(k, 0) - t0_rec.get(k, 0) for k in ('rec_taps', 'rec_written',
                                                            'rec_to_transcoder',
                                                            'rec_transcoder_drops')}
    c.eq(got, {'rec_taps': want, 'rec_written': want, 'rec_to_transcoder': want,
               'rec_transcoder_drops': 0},
         '5: telemetry /sluice/totals: the recording lcore wrote and transcoded every copy')
    metas = wait_until(lambda: len(x.files('metadata', 'rtpengine-meta-rec-m*.txt')) >= n_calls
                       and x.files('metadata', 'rtpengine-meta-rec-m*.txt'), 15)
    c.eq(len(metas or []), n_calls, '5: one metadata file per call')
    gaps, bad_wav = [], []
    for k, (cid, *_) in enumerate(calls):
        p = x.files('pcaps', '%s-*.pcap' % cid)
        seqs = pcap_rtp_seqs(p[0]) if p else {}
        for ssrc in (0xa0000000 + k, 0xb0000000 + k):
            if sorted(seqs.get(ssrc, [])) != list(range(n_pkts)):
                gaps.append((cid, '%08x' % ssrc, len(seqs.get(ssrc, []))))
        tag = p[0].rsplit('-', 1)[1][:16] if p else '?'
        wavs = wait_out(x, '%s-%s-*.wav' % (cid, tag), 3, timeout=15 if k == 0 else 2)
        if len(wavs) != 3:
            bad_wav.append((cid, 'files', len(wavs)))
        for w in wavs:
            if w.endswith('-mix.wav'):
                continue
            with wave.open(w, 'rb') as wf:
                frames = wf.getnframes()
                data = wf.readframes(frames)
            if abs(frames - 160 * n_pkts) > 160 or data.find(b'\0' * 200) >= 0:
                bad_wav.append((os.path.basename(w), frames))
    c.eq(gaps, [], '5: every pcap holds both streams whole (%d packets each)' % n_pkts)
    c.eq(bad_wav, [], '5: every call has 3 WAVs; singles %d s long without a gap' % seconds)
    print('5: %d calls x %d s: %d packets tapped, %d dropped, sender late in %d of %d rounds'
          % (n_calls, seconds, d.get('tap', 0), d.get('tap_drop', 0), late, n_pkts))


def sc_srtp(x):
    """6: SDES caller; the pcap has the decrypted RTP."""
    c, cid, ng, a, b = x.c, 'rec-6', x.ng, x.a, x.b
    tool = os.path.join(x.tools, 'srtp_peer')
    if not os.access(tool, os.X_OK):
        c.check(False, '6: %s not built' % tool)
        return
    import base64
    suite = 'AES_CM_128_HMAC_SHA1_80'
    key_b = base64.b64encode(os.urandom(30)).decode()
    bport = 24000
    pa = RtpPeer(a.ns, a.peer_ip)
    try:
        sdp = build_sdp(b.peer_ip, bport, extra_attrs=['a=crypto:1 %s inline:%s' % (suite, key_b)])
        sdp = sdp.replace(' RTP/AVP ', ' RTP/SAVP ', 1)
        off = ng.offer(cid, 'ft-' + cid, sdp, direction=['b', 'a'], replace=['origin'],
                       flags=['trust-address'], transport_protocol='RTP/AVP', record_call='yes')
        to_a = parse_sdp(off['sdp']).audio()
        ans = ng.answer(cid, 'ft-' + cid, 'tt-' + cid, build_sdp(a.peer_ip, pa.rtp_port),
                        replace=['origin'], flags=['trust-address'])
        to_b = parse_sdp(ans['sdp']).audio()
        key_sl = [at for at in to_b.attrs if at.startswith('crypto:')][0].split('inline:')[1]
        key_sl = key_sl.split('|')[0]
        p = x.topo.spawn('srtp_peer-rec', [tool, '--suite', suite, '--key', key_b, '--peer-key',
                                          key_sl, '--bind', '%s:%d' % (b.peer_ip, bport),
                                          '--rtcp-port', str(bport + 1),
                                          '--dst', '%s:%d' % (to_b.addr, to_b.port),
                                          '--rtcp-dst', '%s:%d' % (to_b.addr, to_b.port + 1),
                                          '--count', '50', '--pps', '100', '--rtcp-every', '25',
                                          '--tx-pattern', '%s|b>a' % cid, '--idle', '1.0',
                                          '--max-time', '20'], ns=b.ns)
        p.wait(25)
        time.sleep(0.2)
        delete(x, cid)
    finally:
        pa.close()
    meta = wait_meta(x, cid)
    if not c.check(meta is not None, '6: metadata file'):
        return
    pcap = open(meta).read().split('\n')[0]
    rows = tshark_fields(pcap, ['ip.src', 'ip.dst', 'udp.dstport', 'rtp.payload'])
    pat = Pattern(cid, 'b>a')
    mine = [r for r in rows if r[0] == b.peer_ip]
    good = [r for r in mine if pat.check(bytes.fromhex(r[3].replace(':', ''))) is not None]
    c.eq(len(mine), 50, '6: 50 RTP packets of the SRTP caller in the pcap')
    c.eq(len(good), 50, '6: all of them decrypted: the caller\'s plaintext byte for byte')
    c.check(all(r[1] == to_b.addr and int(r[2]) == to_b.port for r in mine),
            '6: recorded as sent to our SRTP-side socket')


def sc_eth_mp3(x):
    """7: Ethernet pcap, MP3 single + channel mix named by label."""
    c, cid = x.c, 'rec-7'
    # Kamailio's rtpengine_manage("record-call=yes metadata=uuid:$avp(aid)|uuid:$avp(bid)")
    pa, pb, to_a, to_b = setup_call(x, cid, metadata='uuid:a1b2|uuid:c3d4')
    try:
        send_tones(pa, pb, to_a, to_b, 100)
        time.sleep(0.3)
        delete(x, cid)
    finally:
        pa.close()
        pb.close()
    meta = wait_meta(x, cid)
    if not c.check(meta is not None, '7: metadata file'):
        return
    pcap = open(meta).read().split('\n')[0]
    c.eq(pcap_linktype(pcap), 1, '7: pcap linktype EN10MB')
    rows = tshark_fields(pcap, ['eth.src', 'eth.type', 'ip.src', 'rtp.ssrc'])
    c.check(len(rows) == 200 and all(r[0] == '00:00:00:00:00:00' and r[1] == '0x0800'
                                     for r in rows),
            '7: tshark dissects 200 RTP packets behind zeroed Ethernet headers (%d)' % len(rows))
    files = wait_out(x, '*-%s-*.mp3' % cid, 3)
    names = sorted(os.path.basename(f) for f in files)
    c.eq(names, sorted(['a1b2-%s-caller-11110001.mp3' % cid, 'a1b2-%s-callee-22220002.mp3' % cid,
                        'a1b2-%s-mix-mix.mp3' % cid]), '7: MP3 files named %{uuid}-%c-%l-%t')
    check_mp3s(c, '7', files, 16000)


def check_mp3s(c, sc, files, samples):
    """Each MP3 decodes with LAME to `samples` per channel (within one MP3
    frame: 576 samples at 8 kHz) and to its tone."""
    for f in files:
        wav = f[:-4] + '.decoded.wav'
        r = subprocess.run(['lame', '--quiet', '--decode', f, wav], capture_output=True,
                           timeout=60)
        if not c.check(r.returncode == 0 and os.path.exists(wav),
                       '7: lame decodes %s' % os.path.basename(f)):
            continue
        rate, ch, chans = read_wav(wav)
        name = os.path.basename(f)
        c.check(rate == 8000 and abs(len(chans[0]) - samples) <= 576,
                '%s: %s: 8 kHz, %.1f s within one MP3 frame (%d Hz, %d samples)'
                % (sc, name, samples / RATE, rate, len(chans[0])))
        if 'mix' in name:
            c.eq(ch, 2, '%s: mix: two channels (--mix-method=channels)' % sc)
            if ch == 2:
                c.eq((dominant(window(chans[0])), dominant(window(chans[1]))),
                     (int(TONE_A), int(TONE_B)), '%s: mix: caller left, callee right' % sc)
        else:
            want = TONE_A if 'caller' in name else TONE_B
            c.eq(dominant(window(chans[0])), int(want), '%s: %s: its tone' % (sc, name))


def sc_timeout(x):
    """8: a recorded call that ends by media timeout has complete files."""
    c, cid = x.c, 'rec-8'
    pa, pb, to_a, to_b = setup_call(x, cid, metadata='uuid:e5f6')
    try:
        send_tones(pa, pb, to_a, to_b, 50)
    finally:
        pa.close()
        pb.close()
    # --timeout=3 in this phase: no delete, sluice ends the call itself
    meta = wait_meta(x, cid, timeout=10.0)
    c.check(meta is not None, '8: metadata completed when the call timed out')
    files = wait_out(x, '*-%s-*.mp3' % cid, 3)
    c.eq(len(files), 3, '8: three MP3 files after the timeout')
    check_mp3s(c, '8', files, 8000)


PHASES = [
    ('1', ['--recording-method=all', '--output-format=wav'],
     [('1', sc_basic), ('2', sc_loss), ('3', sc_midcall), ('4', sc_discard), ('5', sc_many),
      ('6', sc_srtp)]),
    ('2', ['--recording-method=all', '--recording-format=eth', '--output-format=mp3',
           '--mp3-bitrate=32000', '--mix-method=channels', '--output-pattern=%{uuid}-%c-%l-%t',
           '--timeout=3'],
     [('7', sc_eth_mp3), ('8', sc_timeout)]),
]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--sluice', default=os.path.join(REPO_ROOT, 'build', 'sluice'))
    ap.add_argument('--tools', default=None, help='dir of srtp_peer (default: '
                    '<sluice build dir>/tests/tools)')
    ap.add_argument('--only', default='', help='comma-separated scenario numbers')
    ap.add_argument('--verbose', '-v', action='store_true')
    ap.add_argument('--keep', action='store_true')
    args = ap.parse_args(argv)
    if args.tools is None:
        args.tools = os.path.join(os.path.dirname(os.path.abspath(args.sluice)), 'tests', 'tools')
    if os.geteuid() != 0:
        print('SKIP: needs root (network namespaces)')
        return SKIP
    for tool in ('tshark', 'lame'):
        if shutil.which(tool) is None:
            print('SKIP: %s not installed (scripts/install-deps)' % tool)
            return SKIP
    only = set(s for s in args.only.split(',') if s)
    c = Checks(args.verbose)
    t_begin = time.monotonic()
    for phase, extra, scenarios in PHASES:
        todo = [(n, fn) for n, fn in scenarios if not only or n in only]
        if not todo:
            continue
        with Topology(keep_workdir=args.keep) as topo:
            spool = os.path.join(topo.workdir, 'spool')
            out = os.path.join(topo.workdir, 'out')
            os.makedirs(spool)
            a = topo.add_endpoint('a', '198.18.1.1/24', '198.18.1.10/24')
            b = topo.add_endpoint('b', '198.18.2.1/24', '198.18.2.10/24')
            relay = Sluice(args.sluice, topo, [a, b], workers=1, rec_lcore=True,
                           extra_args=['--recording-dir=%s' % spool, '--output-dir=%s' % out,
                                       '--delete-delay=0', '--listen-http=127.0.0.1:9103']
                           + extra)
            x = Ctx(c, topo, relay, a, b, spool, out, args.tools)
            for n, fn in todo:
                try:
                    fn(x)
                except Exception as e:  # a broken scenario fails, the others still run
                    traceback.print_exc()
                    c.check(False, '%s: raised %s: %s' % (n, type(e).__name__, e))
            log = relay.log_text()
            rc = relay.stop()
            c.check(rc == 0, 'phase %s: sluice exits 0 (%s)' % (phase, rc))
            c.check('recorder stalled' not in log, 'phase %s: recorder never stalled' % phase)
            if c.failed:
                print('--- sluice log tail ---\n' + '\n'.join(log.splitlines()[-30:]))
    return c.finish('test_record', t_begin)


if __name__ == '__main__':
    sys.exit(main())
