# SPDX-License-Identifier: BSD-3-Clause
"""rtpengine "ng" control protocol client (UDP, cookie + bencode or JSON).

Wire format (rtpengine-compat 1.1): a datagram is `COOKIE SP DOCUMENT`; the
reply carries the same cookie.  Documents are bencode dictionaries (first
byte 'd') or JSON objects ('{').

bencode mapping used here:
  str   <-> byte string.  Decoded byte strings become str via UTF-8 with
          'surrogateescape', so any byte sequence round-trips exactly
          (s.encode('utf-8', 'surrogateescape') gives the original bytes).
  bytes  -> byte string (encode only).
  int   <-> integer;  list/tuple <-> list;  dict <-> dictionary.
Dictionary keys are encoded in the caller's order and accepted in any order
when decoding (neither side of ng sorts them).
"""

import json
import os
import socket
import time

from .netns import netns_socket


class BencodeError(ValueError):
    pass


class NgError(RuntimeError):
    """The relay answered with result != ok/pong.  .reply holds the reply."""

    def __init__(self, msg, reply=None):
        super().__init__(msg)
        self.reply = reply


class NgTimeout(TimeoutError):
    pass


# --- bencode ------------------------------------------------------------------

def bencode(obj):
    """Encode a Python value to bencode bytes."""
    out = []
    _benc(obj, out)
    return b''.join(out)


def _benc(obj, out):
    if isinstance(obj, bool):
        raise BencodeError('bool has no bencode form (use int or str)')
    if isinstance(obj, int):
        out.append(b'i%de' % obj)
    elif isinstance(obj, str):
        b = obj.encode('utf-8', 'surrogateescape')
        out.append(b'%d:' % len(b))
        out.append(b)
    elif isinstance(obj, (bytes, bytearray, memoryview)):
        b = bytes(obj)
        out.append(b'%d:' % len(b))
        out.append(b)
    elif isinstance(obj, (list, tuple)):
        out.append(b'l')
        for x in obj:
            _benc(x, out)
        out.append(b'e')
    elif isinstance(obj, dict):
        out.append(b'd')
        for k, v in obj.items():
            if not isinstance(k, (str, bytes)):
                raise BencodeError('dict key must be str/bytes: %r' % (k,))
            _benc(k, out)
            _benc(v, out)
        out.append(b'e')
    else:
        raise BencodeError('cannot bencode %s' % type(obj).__name__)


def bdecode(data, bytes_values=False):
    """Decode one complete bencode value; trailing bytes are an error.

    With `bytes_values`, byte strings that are not dict keys stay bytes.
    """
    if isinstance(data, str):
        data = data.encode('utf-8', 'surrogateescape')
    val, pos = _bdec(data, 0, bytes_values, 0)
    if pos != len(data):
        raise BencodeError('trailing data at offset %d' % pos)
    return val


_MAX_DEPTH = 64


def _bdec(data, pos, bytes_values, depth):
    if depth > _MAX_DEPTH:
        raise BencodeError('nesting too deep')
    if pos >= len(data):
        raise BencodeError('truncated')
    c = data[pos:pos + 1]
    if c == b'i':
        end = data.find(b'e', pos)
        if end < 0:
            raise BencodeError('unterminated integer')
        txt = data[pos + 1:end]
        if not txt or not (txt.isdigit() or (txt[:1] == b'-' and txt[1:].isdigit())):
            raise BencodeError('bad integer %r' % txt)
        return int(txt), end + 1
    if c == b'l':
        pos += 1
        lst = []
        while True:
            if pos >= len(data):
                raise BencodeError('unterminated list')
            if data[pos:pos + 1] == b'e':
                return lst, pos + 1
            v, pos = _bdec(data, pos, bytes_values, depth + 1)
            lst.append(v)
    if c == b'd':
        pos += 1
        d = {}
        while True:
            if pos >= len(data):
                raise BencodeError('unterminated dict')
            if data[pos:pos + 1] == b'e':
                return d, pos + 1
            k, pos = _bdec(data, pos, False, depth + 1)
            if not isinstance(k, str):
                raise BencodeError('dict key is not a string')
            v, pos = _bdec(data, pos, bytes_values, depth + 1)
            d[k] = v
    if c.isdigit():
        colon = data.find(b':', pos)
        if colon < 0 or not data[pos:colon].isdigit():
            raise BencodeError('bad string length')
        n = int(data[pos:colon])
        start = colon + 1
        if start + n > len(data):
            raise BencodeError('truncated string')
        raw = data[start:start + n]
        if bytes_values:
            return raw, start + n
        return raw.decode('utf-8', 'surrogateescape'), start + n
    raise BencodeError('bad token %r at %d' % (c, pos))


# --- client -------------------------------------------------------------------

class NgClient:
    """ng client with its own UDP socket inside netns `ns`.

    NgClient(ns, addr=('127.0.0.1', 2223), fmt='bencode'|'json')
    The socket is connect()ed to addr, so only the relay's replies are
    seen and an ICMP port-unreachable surfaces as "no reply".
    """

    def __init__(self, ns, addr=('127.0.0.1', 2223), fmt='bencode'):
        if fmt not in ('bencode', 'json'):
            raise ValueError('fmt must be bencode or json')
        self.ns = ns
        self.addr = tuple(addr)
        self.fmt = fmt
        family = socket.AF_INET6 if ':' in addr[0] else socket.AF_INET
        self.sock = netns_socket(ns, family, socket.SOCK_DGRAM)
        self.sock.connect(self.addr)
        self._prefix = os.urandom(4).hex()
        self._seq = 0
        self.last_request = None   # bytes of the last datagram sent
        self.last_reply = None     # bytes of the last datagram received

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def new_cookie(self):
        """A cookie never used before by this client ('<random>_<seq>')."""
        self._seq += 1
        return '%s_%d' % (self._prefix, self._seq)

    def encode(self, doc):
        if self.fmt == 'json':
            return json.dumps(doc, separators=(',', ':')).encode()
        return bencode(doc)

    @staticmethod
    def decode(body):
        """Decode a reply document (format sniffed from the first byte)."""
        if body[:1] == b'{':
            return json.loads(body.decode('utf-8', 'surrogateescape'))
        return bdecode(body)

    def _drain(self):
        # throw away stale replies (e.g. late answers to an earlier timeout)
        self.sock.setblocking(False)
        try:
            for _ in range(1000):
                self.sock.recv(65535)
        except (BlockingIOError, ConnectionRefusedError):
            pass
        finally:
            self.sock.setblocking(True)

    def request(self, doc, cookie=None, timeout=2.0, retries=0):
        """Send `doc` (a dict), return the decoded reply dict.

        A reply with another cookie is ignored.  With `retries` the same
        datagram (same cookie, as Kamailio does) is resent after each
        timeout.  Raises NgTimeout when no matching reply came.
        """
        cookie = cookie if cookie is not None else self.new_cookie()
        dgram = cookie.encode() + b' ' + self.encode(doc)
        reply = self.request_raw(dgram, cookie, timeout, retries)
        if reply is None:
            raise NgTimeout('no ng reply to %r from %s:%d (%d tries, %.1f s each)'
                            % (doc.get('command'), self.addr[0], self.addr[1],
                               retries + 1, timeout))
        return self.decode(reply)

    def request_raw(self, dgram, cookie, timeout=2.0, retries=0):
        """Send a prepared datagram; return the reply body (after the cookie) or None."""
        self._drain()
        want = cookie.encode() + b' '
        for _ in range(retries + 1):
            self.last_request = dgram
            self.sock.send(dgram)
            deadline = time.monotonic() + timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.sock.settimeout(left)
                try:
                    data = self.sock.recv(65535)
                except socket.timeout:
                    break
                except ConnectionRefusedError:
                    # ICMP unreachable: nobody listens (yet); wait out the slot
                    time.sleep(min(left, 0.05))
                    continue
                if data.startswith(want):
                    self.last_reply = data
                    return data[len(want):]
        return None

    def raw(self, data, timeout=1.0):
        """Send arbitrary bytes; return the first datagram received within
        `timeout` s (whole, cookie included), or None."""
        self._drain()
        self.last_request = data
        self.sock.send(data)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65535)
                self.last_reply = data
                return data
            except socket.timeout:
                return None
            except ConnectionRefusedError:
                time.sleep(min(left, 0.05))

    # --- conveniences (raise NgError unless check=False) ------------------
    def call(self, command, check=True, timeout=2.0, retries=0, **keys):
        """Send {command, **keys}.  Keyword names use '_' for '-'
        (call_id -> 'call-id'); pass odd keys (with spaces) via `extra`."""
        doc = {'command': command}
        extra = keys.pop('extra', None) or {}
        for k, v in keys.items():
            if v is not None:
                doc[k.replace('_', '-')] = v
        doc.update(extra)
        reply = self.request(doc, timeout=timeout, retries=retries)
        if check:
            ok = 'pong' if command == 'ping' else 'ok'
            if reply.get('result') != ok:
                raise NgError('%s: result=%r reason=%r' % (
                    command, reply.get('result'),
                    reply.get('error-reason', reply.get('message'))), reply)
        return reply

    def ping(self, timeout=1.0):
        """True iff the relay answers result=pong within `timeout`."""
        try:
            return self.request({'command': 'ping'}, timeout=timeout).get('result') == 'pong'
        except (NgTimeout, BencodeError, ValueError):
            return False

    def offer(self, call_id, from_tag, sdp, flags=None, replace=None, direction=None,
              check=True, **kw):
        """offer; returns the reply dict (reply['sdp'] = rewritten SDP)."""
        return self.call('offer', check=check, call_id=call_id, from_tag=from_tag, sdp=sdp,
                         flags=flags, replace=replace, direction=direction, **kw)

    def answer(self, call_id, from_tag, to_tag, sdp, flags=None, replace=None, check=True,
               **kw):
        return self.call('answer', check=check, call_id=call_id, from_tag=from_tag,
                         to_tag=to_tag, sdp=sdp, flags=flags, replace=replace, **kw)

    def delete(self, call_id, from_tag=None, check=True, **kw):
        return self.call('delete', check=check, call_id=call_id, from_tag=from_tag, **kw)

    def query(self, call_id, from_tag=None, check=True, **kw):
        return self.call('query', check=check, call_id=call_id, from_tag=from_tag, **kw)

    def list_calls(self, limit=None, check=True):
        return self.call('list', check=check, limit=limit).get('calls', [])

    def statistics(self, check=True):
        return self.call('statistics', check=check)


def totals(query_reply):
    """{'RTP': {'packets','bytes','errors'}, 'RTCP': {...}} from a query/delete reply."""
    t = query_reply.get('totals', {})
    out = {}
    for kind in ('RTP', 'RTCP'):
        d = t.get(kind, {})
        out[kind] = {k: int(d.get(k, 0)) for k in ('packets', 'bytes', 'errors')}
    return out


def stream_stats(query_reply):
    """Per-tag, per-stream counters from a query reply, flattened.

    Returns a list of dicts: tag, label, media index, local (ip, port),
    endpoint (ip, port) and stats {packets, bytes, errors} for each stream
    (the relay's inbound counters of that stream).
    """
    rows = []
    for tag, td in (query_reply.get('tags') or {}).items():
        for m in td.get('medias', []) or []:
            for s in m.get('streams', []) or []:
                ep = s.get('endpoint') or {}
                st = s.get('stats') or {}
                rows.append({
                    'tag': tag,
                    'label': td.get('label'),
                    'media': m.get('index'),
                    'local_port': s.get('local port'),
                    'local_ip': s.get('local address'),
                    'endpoint': (ep.get('address'), ep.get('port')),
                    'advertised': ((s.get('advertised endpoint') or {}).get('address'),
                                   (s.get('advertised endpoint') or {}).get('port')),
                    'rtcp': 'RTCP' in (s.get('flags') or []),
                    'packets': int(st.get('packets', 0)),
                    'bytes': int(st.get('bytes', 0)),
                    'errors': int(st.get('errors', 0)),
                })
    return rows
