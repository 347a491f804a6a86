# SPDX-License-Identifier: BSD-3-Clause
"""Hand-built Ethernet/IPv4/UDP frames, sent on an interface with AF_PACKET.

For robustness tests: every header field can be overridden, so a frame can
carry a wrong checksum, a short IHL, a total length beyond the frame, a UDP
length beyond the IP payload, fragment bits, another IP protocol...

    tx = RawSender(ep.ns, ep.peer_if)          # AF_PACKET/SOCK_RAW in that netns
    f = eth(relay_mac, my_mac, ETH_P_IP,
            ipv4(src, dst, udp(4000, 30000, payload), csum=0x1234))
    tx.send(f)

Addresses are strings ('198.18.1.10'), MACs 'aa:bb:cc:dd:ee:ff' or bytes.
"""

import socket
import struct

from .netns import ip, netns_socket

ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
ETH_P_IPV6 = 0x86dd
IPPROTO_UDP = 17
IPPROTO_TCP = 6
IPPROTO_GRE = 47
IPPROTO_FRAGMENT = 44


def mac_bytes(mac):
    if isinstance(mac, (bytes, bytearray)):
        return bytes(mac)
    return bytes(int(x, 16) for x in mac.split(':'))


def checksum(data):
    """Internet checksum (RFC 1071) of `data`."""
    if len(data) % 2:
        data += b'\x00'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def eth(dst, src, ethertype, payload=b''):
    return mac_bytes(dst) + mac_bytes(src) + struct.pack('!H', ethertype) + payload


def ipv4(src, dst, payload, proto=IPPROTO_UDP, ihl=5, tot_len=None, ident=0x1234, flags_frag=0,
         ttl=64, csum=None, version=4, options=b''):
    """IPv4 header (+ options) + payload.  tot_len/csum None = correct values;
    flags_frag is the raw 16-bit flags+offset field (0x2000 = MF, 0x4000 = DF)."""
    if tot_len is None:
        tot_len = 20 + len(options) + len(payload)
    hdr = struct.pack('!BBHHHBBH4s4s', (version << 4) | (ihl & 0xf), 0, tot_len & 0xffff, ident,
                      flags_frag, ttl, proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
    hdr += options
    if csum is None:
        csum = checksum(hdr)
    hdr = hdr[:10] + struct.pack('!H', csum) + hdr[12:]
    return hdr + payload


def ipv6(src, dst, payload, nh=IPPROTO_UDP, plen=None, hlim=64, version=6):
    """IPv6 header + payload (plen None = correct payload length)."""
    if plen is None:
        plen = len(payload)
    return (struct.pack('!IHBB', (version << 28), plen & 0xffff, nh, hlim) +
            socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst) +
            payload)


def ipv6_frag(nh, offset, more, ident, payload):
    """IPv6 Fragment extension header (offset in 8-byte units) + payload."""
    return struct.pack('!BBHI', nh, 0, ((offset & 0x1fff) << 3) | (1 if more else 0),
                       ident) + payload


def udp(sport, dport, payload, length=None, csum=0):
    """UDP header + payload (checksum 0 = none, allowed over IPv4)."""
    if length is None:
        length = 8 + len(payload)
    return struct.pack('!HHHH', sport, dport, length & 0xffff, csum) + payload


def udp4_frame(dst_mac, src_mac, src, dst, sport, dport, payload, **ipkw):
    """A well-formed Ethernet/IPv4/UDP frame (ipv4() keywords override)."""
    return eth(dst_mac, src_mac, ETH_P_IP, ipv4(src, dst, udp(sport, dport, payload), **ipkw))


def link_mac(ns, ifname):
    """MAC address of interface `ifname` in netns `ns` ('aa:bb:..')."""
    out = ip('-o', 'link', 'show', 'dev', ifname, ns=ns)
    parts = out.split()
    return parts[parts.index('link/ether') + 1]


def neigh_mac(ns, addr):
    """MAC of `addr` in netns `ns`'s neighbour table, or None."""
    out = ip('neigh', 'show', addr, ns=ns, check=False)
    parts = out.split()
    if 'lladdr' in parts:
        return parts[parts.index('lladdr') + 1]
    return None


class RawSender:
    """AF_PACKET/SOCK_RAW socket bound to `ifname` inside netns `ns`
    (protocol 0: it receives nothing)."""

    def __init__(self, ns, ifname):
        self.sock = netns_socket(ns, socket.AF_PACKET, socket.SOCK_RAW, 0)
        self.sock.bind((ifname, 0))
        self.sent = 0

    def send(self, frame):
        n = self.sock.send(frame)
        self.sent += 1
        return n

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
