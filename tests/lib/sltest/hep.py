# SPDX-License-Identifier: BSD-3-Clause
"""HEPv3 (Homer) for tests: a decoder, UDP and TCP collectors, and tshark.

  decode(data) -> dict        one HEP3 message, every generic chunk checked
  split_stream(buf) -> (msgs, rest)   HEP3 messages out of a TCP byte stream
  UdpCollector(ns, port=0)    background thread, .messages [(recv_time, bytes)]
  TcpCollector(ns, port=0, drop_after=None)   the same over TCP; with
                              drop_after=N it closes the first connection
                              after N messages (a collector restart) and
                              accepts the next one; .conns [messages per
                              connection], .drop_time
  Capture(topo, port)         tshark -i lo in the relay's netns, pcap file
  tshark_hep(pcap, port)      [dict] per frame from tshark + LUA_DISSECTOR

Wireshark 4.0 (Debian 12) has no HEP dissector; LUA_DISSECTOR is one
written for these tests from the HEP3 specification (generic chunks,
lengths including the 6-byte chunk header).  It is registered as "hep" so
`tshark -d udp.port==PORT,hep` works, and it hands the payload to tshark's
own JSON dissector (an independent JSON parser) for protocol type 5.

Chunk types (field-lessons 3.10): 1 IP family, 2 IP protocol, 3/4 IPv4
src/dst, 5/6 IPv6 src/dst, 7/8 ports, 9/10 timestamp s/µs, 11 protocol
type, 12 capture id (u32), 15 payload, 17 correlation id.
"""

import ipaddress
import os
import select
import socket
import struct
import subprocess
import threading
import time

from .netns import netns_socket

CHUNK_NAMES = {1: 'family', 2: 'ip_proto', 3: 'src_ip', 4: 'dst_ip', 5: 'src_ip', 6: 'dst_ip',
               7: 'src_port', 8: 'dst_port', 9: 'ts_sec', 10: 'ts_usec', 11: 'proto_type',
               12: 'capture_id', 15: 'payload', 17: 'correlation_id'}
INT_SIZES = {1: 1, 2: 1, 7: 2, 8: 2, 9: 4, 10: 4, 11: 1, 12: 4}


class HepError(ValueError):
    pass


def decode(data):
    """Decode one HEP3 message.  Returns a dict with the chunk names above
    (addresses as text, payload as bytes, correlation_id as str) plus
    'chunks' (list of chunk types in order) and 'length'.  Raises HepError
    on any framing problem (bad magic, total length, chunk length, vendor,
    integer chunk of the wrong size, duplicate chunk)."""
    if len(data) < 6 or data[:4] != b'HEP3':
        raise HepError('no HEP3 magic')
    total = struct.unpack_from('!H', data, 4)[0]
    if total != len(data):
        raise HepError('total length %d, datagram %d' % (total, len(data)))
    out = {'chunks': [], 'length': total}
    off = 6
    for _ in range(64):  # bounded: a message has a dozen chunks
        if off == total:
            break
        if off + 6 > total:
            raise HepError('truncated chunk header at %d' % off)
        vendor, ctype, clen = struct.unpack_from('!HHH', data, off)
        if vendor != 0:
            raise HepError('vendor %d chunk at %d' % (vendor, off))
        if clen < 6 or off + clen > total:
            raise HepError('chunk %d length %d at %d' % (ctype, clen, off))
        val = data[off + 6:off + clen]
        if ctype in out['chunks']:
            raise HepError('duplicate chunk %d' % ctype)
        out['chunks'].append(ctype)
        name = CHUNK_NAMES.get(ctype)
        if ctype in INT_SIZES:
            if len(val) != INT_SIZES[ctype]:
                raise HepError('chunk %d has %d bytes' % (ctype, len(val)))
            out[name] = int.from_bytes(val, 'big')
        elif ctype in (3, 4):
            if len(val) != 4:
                raise HepError('IPv4 chunk of %d bytes' % len(val))
            out[name] = str(ipaddress.IPv4Address(val))
        elif ctype in (5, 6):
            if len(val) != 16:
                raise HepError('IPv6 chunk of %d bytes' % len(val))
            out[name] = str(ipaddress.IPv6Address(val))
        elif ctype == 15:
            out['payload'] = bytes(val)
        elif ctype == 17:
            out['correlation_id'] = val.decode('utf-8', 'replace')
        off += clen
    else:
        raise HepError('too many chunks')
    return out


def split_stream(buf):
    """(complete HEP3 messages, remaining bytes) from a TCP stream buffer."""
    msgs = []
    for _ in range(100000):
        if len(buf) < 6:
            break
        if buf[:4] != b'HEP3':
            raise HepError('stream out of sync')
        n = struct.unpack_from('!H', buf, 4)[0]
        if n < 6 or len(buf) < n:
            break
        msgs.append(bytes(buf[:n]))
        buf = buf[n:]
    return msgs, buf


class UdpCollector:
    """HEP over UDP on 127.0.0.1:port inside netns `ns` (thread, bounded)."""

    def __init__(self, ns, port=0, max_seconds=300):
        self.sock = netns_socket(ns, socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(('127.0.0.1', port))
        self.port = self.sock.getsockname()[1]
        self.messages = []  # (time.time() at receipt, bytes)
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, args=(max_seconds,), daemon=True)
        self._t.start()

    def _run(self, max_seconds):
        end = time.monotonic() + max_seconds
        while time.monotonic() < end and len(self.messages) < 100000:
            stopping = self._stop.is_set()
            r, _, _ = select.select([self.sock], [], [], 0 if stopping else 0.05)
            if not r:
                if stopping:
                    return
                continue
            self.messages.append((time.time(), self.sock.recv(65535)))

    def close(self):
        self._stop.set()
        self._t.join(5)
        self.sock.close()


class TcpCollector:
    """HEP over TCP on 127.0.0.1:port inside netns `ns` (thread, bounded).

    drop_after=N: after the N-th message on the first connection (and only
    when nothing more is waiting, so no message is torn), close it, as a
    restarting collector would; then accept the sender's next connection.
    .conns is a list with one list of messages per accepted connection."""

    def __init__(self, ns, port=0, drop_after=None, max_seconds=300):
        self.sock = netns_socket(ns, socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', port))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.drop_after = drop_after
        self.conns = []
        self.messages = []   # (time.time(), bytes, connection index)
        self.drop_time = None
        self.errors = []
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, args=(max_seconds,), daemon=True)
        self._t.start()

    def _run(self, max_seconds):
        end = time.monotonic() + max_seconds
        conn, buf = None, b''
        while time.monotonic() < end:
            stopping = self._stop.is_set()
            rl = [self.sock] + ([conn] if conn else [])
            r, _, _ = select.select(rl, [], [], 0 if stopping else 0.05)
            if not r:
                if stopping:
                    break
                continue
            if self.sock in r:
                c, _ = self.sock.accept()
                if conn is not None:  # the sender only ever keeps one
                    self.errors.append('a second connection while one was open')
                    conn.close()
                conn, buf = c, b''
                self.conns.append([])
            if conn is not None and conn in r:
                data = conn.recv(65536)
                if not data:
                    conn.close()
                    conn = None
                    continue
                try:
                    msgs, buf = split_stream(buf + data)
                except HepError as e:
                    self.errors.append(str(e))
                    conn.close()
                    conn = None
                    continue
                for m in msgs:
                    self.conns[-1].append(m)
                    self.messages.append((time.time(), m, len(self.conns) - 1))
                if (self.drop_after is not None and len(self.conns) == 1 and
                        len(self.conns[0]) >= self.drop_after and not buf and
                        not select.select([conn], [], [], 0)[0]):
                    conn.close()  # collector restart
                    conn = None
                    self.drop_time = time.time()
        if conn is not None:
            conn.close()

    def close(self):
        self._stop.set()
        self._t.join(5)
        self.sock.close()


LUA_DISSECTOR = r'''-- HEP3, written for sluice's tests from the HEP3 specification
local p = Proto('hep', 'HEP3 (sluice tests)')
local f = {
  magic = ProtoField.string('hep.magic', 'Magic'),
  total = ProtoField.uint16('hep.total', 'Total length'),
  walked = ProtoField.uint16('hep.walked', 'Bytes in chunks + header'),
  nchunks = ProtoField.uint16('hep.nchunks', 'Chunks'),
  bad = ProtoField.string('hep.bad', 'Malformed'),
  family = ProtoField.uint8('hep.family', 'IP family'),
  ipproto = ProtoField.uint8('hep.ip_proto', 'IP protocol'),
  src4 = ProtoField.ipv4('hep.src_ip4', 'Source IPv4'),
  dst4 = ProtoField.ipv4('hep.dst_ip4', 'Destination IPv4'),
  src6 = ProtoField.ipv6('hep.src_ip6', 'Source IPv6'),
  dst6 = ProtoField.ipv6('hep.dst_ip6', 'Destination IPv6'),
  sport = ProtoField.uint16('hep.src_port', 'Source port'),
  dport = ProtoField.uint16('hep.dst_port', 'Destination port'),
  sec = ProtoField.uint32('hep.ts_sec', 'Timestamp s'),
  usec = ProtoField.uint32('hep.ts_usec', 'Timestamp us'),
  ptype = ProtoField.uint8('hep.proto_type', 'Protocol type'),
  capid = ProtoField.uint32('hep.capture_id', 'Capture id'),
  corr = ProtoField.string('hep.correlation_id', 'Correlation id'),
  plen = ProtoField.uint32('hep.payload_len', 'Payload length'),
  pbytes = ProtoField.bytes('hep.payload', 'Payload'),
}
p.fields = { f.magic, f.total, f.walked, f.nchunks, f.bad, f.family, f.ipproto, f.src4,
  f.dst4, f.src6, f.dst6, f.sport, f.dport, f.sec, f.usec, f.ptype, f.capid, f.corr,
  f.plen, f.pbytes }
local by_type = { [1] = f.family, [2] = f.ipproto, [3] = f.src4, [4] = f.dst4,
  [5] = f.src6, [6] = f.dst6, [7] = f.sport, [8] = f.dport, [9] = f.sec, [10] = f.usec,
  [11] = f.ptype, [12] = f.capid, [17] = f.corr }
local json = Dissector.get('json')
function p.dissector(tvb, pinfo, tree)
  if tvb:len() < 6 or tvb(0, 4):string() ~= 'HEP3' then return 0 end
  pinfo.cols.protocol = 'HEP3'
  local t = tree:add(p, tvb())
  t:add(f.magic, tvb(0, 4))
  t:add(f.total, tvb(4, 2))
  local total = tvb(4, 2):uint()
  local off, n, ptype, pl = 6, 0, -1, nil
  while off + 6 <= total and off + 6 <= tvb:len() do
    local vendor, ctype, clen = tvb(off, 2):uint(), tvb(off + 2, 2):uint(), tvb(off + 4, 2):uint()
    if vendor ~= 0 or clen < 6 or off + clen > total then
      t:add(f.bad, tvb(off, 6), 'chunk at ' .. off)
      break
    end
    if ctype == 15 then
      t:add(f.plen, clen - 6)
      if clen > 6 then
        pl = tvb(off + 6, clen - 6)
        t:add(f.pbytes, pl)
      end
    elseif by_type[ctype] ~= nil then
      t:add(by_type[ctype], tvb(off + 6, clen - 6))
      if ctype == 11 then ptype = tvb(off + 6, 1):uint() end
    end
    off = off + clen
    n = n + 1
  end
  t:add(f.walked, off)
  t:add(f.nchunks, n)
  if pl ~= nil and ptype == 5 then json:call(pl:tvb(), pinfo, tree) end
  return total
end
DissectorTable.get('udp.port'):add_for_decode_as(p)
'''

TSHARK_FIELDS = ('ip.src', 'ip.dst', 'udp.srcport', 'udp.dstport', 'udp.length', 'hep.magic',
                 'hep.total', 'hep.walked', 'hep.nchunks', 'hep.bad', 'hep.family',
                 'hep.ip_proto', 'hep.src_ip4', 'hep.dst_ip4', 'hep.src_port', 'hep.dst_port',
                 'hep.ts_sec', 'hep.ts_usec', 'hep.proto_type', 'hep.capture_id',
                 'hep.correlation_id', 'hep.payload_len', 'hep.payload', 'json.key',
                 '_ws.malformed', '_ws.expert')


def have_tshark():
    return bool(subprocess.run(['sh', '-c', 'command -v tshark'], capture_output=True).stdout)


def tshark_hep(pcap, port, workdir, timeout=60):
    """Dissect `pcap` with tshark (UDP to `port` as HEP, via LUA_DISSECTOR).

    Returns one dict per frame, keyed by TSHARK_FIELDS (all values text,
    '' when absent; several occurrences joined with ';')."""
    lua = os.path.join(workdir, 'hep_dissector.lua')
    with open(lua, 'w') as f:
        f.write(LUA_DISSECTOR)
    argv = ['tshark', '-n', '-r', pcap, '-X', 'lua_script:' + lua,
            '-d', 'udp.port==%d,hep' % port, '-T', 'fields', '-E', 'separator=|',
            '-E', 'occurrence=a', '-E', 'aggregator=;']
    for fld in TSHARK_FIELDS:
        argv += ['-e', fld]
    res = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if res.returncode != 0:
        raise RuntimeError('tshark failed: %s' % res.stderr[-2000:])
    rows = []
    for line in res.stdout.splitlines():
        vals = line.split('|')
        if len(vals) != len(TSHARK_FIELDS):
            raise RuntimeError('tshark line with %d fields: %r' % (len(vals), line[:200]))
        rows.append(dict(zip(TSHARK_FIELDS, vals)))
    return rows


class Capture:
    """tshark -i lo -w FILE inside netns `ns` (the relay's), UDP port `port`.
    Started through the topology (stopped by pid on exit)."""

    def __init__(self, topo, ns, port, name='tshark-hep', timeout=15):
        self.topo = topo
        self.pcap = os.path.join(topo.workdir, name + '.pcap')
        self.proc = topo.spawn(name, ['tshark', '-n', '-i', 'lo', '-f', 'udp port %d' % port,
                                      '-w', self.pcap], ns=ns)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if 'Capturing on' in self.proc.stderr_text():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError('tshark did not start: %s' % self.proc.tail(10))

    def stop(self):
        """SIGINT by pid (tshark finishes the file); returns the pcap path."""
        import signal
        self.proc.stop(timeout=10, sig=signal.SIGINT)
        return self.pcap
