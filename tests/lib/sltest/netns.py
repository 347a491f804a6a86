# SPDX-License-Identifier: BSD-3-Clause
"""Network-namespace helpers.

A socket belongs to the network namespace its creating thread was in at
socket() time and keeps it forever, so a single Python process can hold
sockets in many namespaces: switch the calling thread into the target netns
with setns(2), create the socket, switch back.  setns() only affects the
calling thread, so other threads are never disturbed.

Programs are run with `ip netns exec NS ...`, which also remounts /sys for
that namespace (DPDK's af_packet PMD reads /sys/class/net/<if>).
"""

import contextlib
import ctypes
import os
import socket
import subprocess

CLONE_NEWNET = 0x40000000

_libc = ctypes.CDLL(None, use_errno=True)
_libc.setns.argtypes = [ctypes.c_int, ctypes.c_int]
_libc.setns.restype = ctypes.c_int


class NetnsError(RuntimeError):
    """A namespace could not be entered or left."""


class CommandError(subprocess.CalledProcessError):
    """A helper command failed; str() includes its stderr."""

    def __str__(self):
        msg = super().__str__()
        err = (self.stderr or '').strip()
        return msg + (': ' + err if err else '')


def ns_path(ns):
    """Path of a named netns (or an absolute path given as is)."""
    if ns.startswith('/'):
        return ns
    return '/run/netns/' + ns


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise NetnsError('setns: %s' % os.strerror(err))


@contextlib.contextmanager
def in_netns(ns):
    """Run the with-body with the calling thread inside netns `ns`.

    `ns` None or '' means "stay where we are".  The thread is always
    switched back, even if the body raises; failing to switch back would
    leave the thread in the wrong namespace, so that raises NetnsError.
    """
    if not ns:
        yield
        return
    orig = os.open('/proc/thread-self/ns/net', os.O_RDONLY | os.O_CLOEXEC)
    try:
        target = os.open(ns_path(ns), os.O_RDONLY | os.O_CLOEXEC)
        try:
            _setns(target)
        finally:
            os.close(target)
        try:
            yield
        finally:
            _setns(orig)
    finally:
        os.close(orig)


def netns_socket(ns, family=socket.AF_INET, type=socket.SOCK_DGRAM, proto=0):
    """Create a socket inside netns `ns` (None = current netns)."""
    with in_netns(ns):
        return socket.socket(family, type, proto)


def ns_argv(ns, argv):
    """argv prefixed with `ip netns exec NS` (unchanged when ns is None)."""
    argv = [str(a) for a in argv]
    if not ns:
        return argv
    return ['ip', 'netns', 'exec', ns] + argv


def run_in(ns, argv, check=True, timeout=30, capture=True, input=None):
    """Run argv inside netns `ns` and wait (bounded by `timeout` seconds).

    Returns subprocess.CompletedProcess with text stdout/stderr when
    `capture`.  Raises CommandError (with the output in the message)
    when `check` and the command fails.
    """
    full = ns_argv(ns, argv)
    res = subprocess.run(full, capture_output=capture, text=True, timeout=timeout,
                         input=input, stdin=None if input is not None else subprocess.DEVNULL)
    if check and res.returncode != 0:
        raise CommandError(res.returncode, full, res.stdout, res.stderr)
    return res


def popen_in(ns, argv, **kw):
    """subprocess.Popen of argv inside netns `ns`.

    `ip netns exec` execs the program, so the returned pid is the program's
    own pid (it can be signalled directly).
    """
    kw.setdefault('stdin', subprocess.DEVNULL)
    return subprocess.Popen(ns_argv(ns, argv), **kw)


def ip(*args, ns=None, check=True, timeout=15):
    """Run `ip [-n NS] ARGS...`; return stdout."""
    argv = ['ip']
    if ns:
        argv += ['-n', ns]
    argv += [str(a) for a in args]
    res = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                         stdin=subprocess.DEVNULL)
    if check and res.returncode != 0:
        raise CommandError(res.returncode, argv, res.stdout, res.stderr)
    return res.stdout


def sysctl(ns, key, value):
    """Write a sysctl inside netns `ns` (/proc/sys is per netns for net.*)."""
    run_in(ns, ['sysctl', '-qw', '%s=%s' % (key, value)])


def netns_list():
    """Names of the named network namespaces (/run/netns)."""
    try:
        return sorted(os.listdir('/run/netns'))
    except FileNotFoundError:
        return []


def netns_pids(ns):
    """Pids of the processes living in netns `ns` (`ip netns pids`)."""
    out = ip('netns', 'pids', ns, check=False)
    return [int(x) for x in out.split() if x.isdigit()]
