# SPDX-License-Identifier: BSD-3-Clause
"""Build the small SDPs the tests send and parse what the relay returns.

Only what the tests need: o=, session/media c=, m=, a=rtcp, a=rtcp-mux,
a=rtpmap, direction.  Parsing tolerates both rewriter layouts (session-level
c= in rtpengine 10.5, per-media c= in newer ones; compat 4.1).
"""

import ipaddress
import random

#: payload types the tests offer by default: PCMU + telephone-event
DEFAULT_CODECS = ((0, 'PCMU/8000', None), (101, 'telephone-event/8000', '0-16'))


def _family_token(addr):
    return 'IP6' if ipaddress.ip_address(addr).version == 6 else 'IP4'


def build_sdp(addr, port, username='-', session_id=None, version=None, codecs=DEFAULT_CODECS,
              ptime=20, direction='sendrecv', rtcp_port=None, rtcp_full=False, rtcp_mux=False,
              session_name='sluice-test', extra_attrs=()):
    """One audio m= line at addr:port (IPv4 or IPv6).

    codecs: iterable of (pt, 'name/clock' or None for static PTs, fmtp or None).
    rtcp_port: add `a=rtcp:PORT` (with `IN IP4 addr` when rtcp_full).
    Returns the SDP text with CRLF line ends.
    """
    fam = _family_token(addr)
    sid = session_id if session_id is not None else random.randint(10 ** 9, 2 ** 31)
    ver = version if version is not None else sid
    lines = [
        'v=0',
        'o=%s %d %d IN %s %s' % (username, sid, ver, fam, addr),
        's=%s' % session_name,
        'c=IN %s %s' % (fam, addr),
        't=0 0',
        'm=audio %d RTP/AVP %s' % (port, ' '.join(str(c[0]) for c in codecs)),
    ]
    for pt, name, fmtp in codecs:
        if name:
            lines.append('a=rtpmap:%d %s' % (pt, name))
        if fmtp:
            lines.append('a=fmtp:%d %s' % (pt, fmtp))
    if ptime:
        lines.append('a=ptime:%d' % ptime)
    if direction:
        lines.append('a=%s' % direction)
    if rtcp_port is not None:
        if rtcp_full:
            lines.append('a=rtcp:%d IN %s %s' % (rtcp_port, fam, addr))
        else:
            lines.append('a=rtcp:%d' % rtcp_port)
    if rtcp_mux:
        lines.append('a=rtcp-mux')
    lines.extend(extra_attrs)
    return '\r\n'.join(lines) + '\r\n'


class Media:
    """One m= section.

    type, port (int), proto, fmts (list of str), addr (effective connection
    address: media c= else session c=), family ('IP4'/'IP6'), rtcp_port
    (a=rtcp port, else port+1 unless rtcp-mux), rtcp_addr, rtcp_mux (bool),
    direction (str or None), rtpmap {pt: 'name/clock'}, attrs (raw a= values
    in order), ptime (int or None).
    """

    def __init__(self, mtype, port, proto, fmts):
        self.type = mtype
        self.port = port
        self.proto = proto
        self.fmts = fmts
        self.addr = None
        self.family = None
        self.media_c = None
        self.rtcp_port = None
        self.rtcp_addr = None
        self.rtcp_attr = None
        self.rtcp_mux = False
        self.direction = None
        self.rtpmap = {}
        self.attrs = []
        self.ptime = None

    def __repr__(self):
        return 'Media(%s %s:%s rtcp=%s:%s %s %s)' % (self.type, self.addr, self.port,
                                                     self.rtcp_addr, self.rtcp_port,
                                                     self.proto, ' '.join(self.fmts))


class Sdp:
    """Parsed SDP: origin dict (username, sess_id, sess_version, family,
    addr), session_addr/session_family (session c= or None), name, media
    (list of Media), attrs (session a= values), raw text."""

    def __init__(self, raw):
        self.raw = raw
        self.origin = None
        self.name = None
        self.session_addr = None
        self.session_family = None
        self.attrs = []
        self.media = []

    def audio(self):
        """The first audio Media (or raise ValueError)."""
        for m in self.media:
            if m.type == 'audio':
                return m
        raise ValueError('no audio m= line in SDP')

    def endpoint(self):
        """(addr, rtp_port, rtcp_addr, rtcp_port) of the first audio stream."""
        m = self.audio()
        return m.addr, m.port, m.rtcp_addr, m.rtcp_port


def parse_sdp(text):
    """Parse SDP text (CRLF or LF).  Raises ValueError on malformed c=/m=/o=."""
    if isinstance(text, bytes):
        text = text.decode('utf-8', 'replace')
    sdp = Sdp(text)
    cur = None
    for line in text.replace('\r\n', '\n').split('\n'):
        line = line.strip()
        if len(line) < 2 or line[1] != '=':
            continue
        k, v = line[0], line[2:]
        if k == 'o':
            f = v.split()
            if len(f) != 6:
                raise ValueError('bad o= line: %r' % line)
            sdp.origin = {'username': f[0], 'sess_id': f[1], 'sess_version': f[2],
                          'family': f[4], 'addr': f[5]}
        elif k == 's':
            sdp.name = v
        elif k == 'c':
            f = v.split()
            if len(f) < 3:
                raise ValueError('bad c= line: %r' % line)
            addr = f[2].split('/')[0]
            if cur is None:
                sdp.session_addr, sdp.session_family = addr, f[1]
            else:
                cur.media_c = (f[1], addr)
        elif k == 'm':
            f = v.split()
            if len(f) < 3:
                raise ValueError('bad m= line: %r' % line)
            cur = Media(f[0], int(f[1].split('/')[0]), f[2], f[3:])
            sdp.media.append(cur)
        elif k == 'a':
            (cur.attrs if cur else sdp.attrs).append(v)
            if cur is None:
                continue
            name, _, val = v.partition(':')
            if name == 'rtcp':
                cur.rtcp_attr = val
                parts = val.split()
                cur.rtcp_port = int(parts[0])
                if len(parts) >= 4:
                    cur.rtcp_addr = parts[3]
            elif name == 'rtcp-mux':
                cur.rtcp_mux = True
            elif name in ('sendrecv', 'sendonly', 'recvonly', 'inactive'):
                cur.direction = name
            elif name == 'rtpmap':
                pt, _, enc = val.partition(' ')
                cur.rtpmap[pt] = enc
            elif name == 'ptime':
                try:
                    cur.ptime = int(val)
                except ValueError:
                    pass
    # resolve effective addresses
    for m in sdp.media:
        if m.media_c:
            m.family, m.addr = m.media_c
        else:
            m.family, m.addr = sdp.session_family, sdp.session_addr
        if m.rtcp_addr is None:
            m.rtcp_addr = m.addr
        if m.rtcp_port is None and not m.rtcp_mux:
            m.rtcp_port = m.port + 1
        elif m.rtcp_port is None:
            m.rtcp_port = m.port
    return sdp
