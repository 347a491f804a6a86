# SPDX-License-Identifier: BSD-3-Clause
"""libc's sendmmsg/recvmmsg for the load generators (blast, spray, rawblast,
ngflood), through ctypes: Python has neither, and one call moves up to a
batch of datagrams while the GIL is released.  The structures mirror
<sys/socket.h> and <netinet/in.h> on Linux x86_64."""

import ctypes
import ctypes.util
import socket

libc = ctypes.CDLL(ctypes.util.find_library('c') or None, use_errno=True)

MSG_DONTWAIT = 0x40


class Iovec(ctypes.Structure):
    _fields_ = [('iov_base', ctypes.c_void_p), ('iov_len', ctypes.c_size_t)]


class Msghdr(ctypes.Structure):
    _fields_ = [('msg_name', ctypes.c_void_p), ('msg_namelen', ctypes.c_uint32),
                ('msg_iov', ctypes.POINTER(Iovec)), ('msg_iovlen', ctypes.c_size_t),
                ('msg_control', ctypes.c_void_p), ('msg_controllen', ctypes.c_size_t),
                ('msg_flags', ctypes.c_int)]


class Mmsghdr(ctypes.Structure):
    _fields_ = [('msg_hdr', Msghdr), ('msg_len', ctypes.c_uint)]


class SockaddrIn(ctypes.Structure):
    _fields_ = [('sin_family', ctypes.c_ushort), ('sin_port', ctypes.c_uint16),
                ('sin_addr', ctypes.c_uint8 * 4), ('sin_zero', ctypes.c_uint8 * 8)]


libc.sendmmsg.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int]
libc.sendmmsg.restype = ctypes.c_int
libc.recvmmsg.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int,
                          ctypes.c_void_p]
libc.recvmmsg.restype = ctypes.c_int


def sockaddr_in(ip, port):
    """An IPv4 sockaddr_in for ip:port."""
    sa = SockaddrIn()
    sa.sin_family = socket.AF_INET
    sa.sin_port = socket.htons(port)
    sa.sin_addr[:] = list(socket.inet_aton(ip))
    return sa
