"""The slot's network namespace: the zygote's next sample takes it over only while no sample has used it.

Runs inside the sandbox only (``/opt/amd/_amd_netns.pyc``; stdlib + ctypes), in the zygote. A fresh network
namespace per sample costs 2-3 ms of CPU (the kernel registers its sysctls and loopback device, and a kworker
tears it all down afterwards): as much as a 10-test sample's own work in the shared runner. A sample that never
sent a packet and left no socket behind leaves the namespace exactly as it was made, so the next sample may as
well start in it. After every sample the zygote compares the namespace with how it was made and, when anything
differs or cannot be read, moves itself (and so its next samples) into a fresh one. No sample ever starts where
another sample's packet, connection or socket was.

What "as it was made" covers, and why it is enough (all of a sample's processes are gone by then, and their
sockets closed with them):
  * loopback's packet counters (RTM_GETLINK): whatever outlives an IP socket (TIME_WAIT and orphaned TCP
    sockets, the TCP metrics cache, ...) comes from a packet, and loopback is the only interface. Listing the
    TCP sockets instead would walk the host's whole connection table (~2 ms a query, measured);
  * the Unix sockets left in the namespace (sock_diag): an abstract name held by a socket in flight is only
    freed by the kernel's garbage collector;
  * IPv6 flow labels outlive their socket without a packet: the sample filter refuses to lease them
    (``seccomp.py``).
A sample has no capability, so routes, addresses, firewall rules and sysctls are out of its reach, and it has no
/proc or /sys to read the namespace's counters. What remains is that a sample can tell whether the one before it
in the slot used the network (its namespace is then a new one): one bit between two consecutive untrusted
samples, nothing that reaches the host or the expected outputs.
"""

import ctypes
import fcntl
import os
import socket
import struct

_CLONE_NEWNET = 0x40000000
_NETLINK_ROUTE = 0
_NETLINK_SOCK_DIAG = 4
_RTM_GETLINK = 18
_SOCK_DIAG_BY_FAMILY = 20
_NLM_F_REQUEST = 0x1
_NLM_F_DUMP = 0x300
_NLMSG_ERROR = 2
_NLMSG_DONE = 3
_HEADER = struct.Struct("=IHHII")  # struct nlmsghdr: length, type, flags, sequence, port
_ATTRIBUTE = struct.Struct("=HH")  # struct rtattr: length, type
_IFLA_STATS64 = 23
_LOOPBACK_INDEX = 1  # loopback is always the first interface of a namespace
_ALL_STATES = 0xFFFFFFFF
# struct unix_diag_req (family, protocol, pad, states, inode, what to show, cookie): every socket, in any state.
_UNIX_SOCKETS = struct.pack("=BxxxIIIII", socket.AF_UNIX, _ALL_STATES, 0, 0, 0xFFFFFFFF, 0xFFFFFFFF)
_SIOCGIFFLAGS, _SIOCSIFFLAGS, _IFF_UP = 0x8913, 0x8914, 0x1

_libc = ctypes.CDLL(None, use_errno=True)


def _request(protocol, kind, flags, body):
    """The payloads of every reply to one netlink request; OSError on an error reply."""
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, protocol) as sock:
        sock.send(_HEADER.pack(_HEADER.size + len(body), kind, flags, 1, 0) + body)
        payloads: list[bytes] = []  # never evaluated in a function body: costs the sandbox nothing
        while True:
            data = sock.recv(1 << 16)
            offset = 0
            while offset < len(data):
                length, reply = _HEADER.unpack_from(data, offset)[:2]
                if reply == _NLMSG_DONE:
                    return payloads
                if reply == _NLMSG_ERROR:
                    error = -struct.unpack_from("=i", data, offset + _HEADER.size)[0]
                    raise OSError(error, "netlink: " + os.strerror(error))
                payloads.append(data[offset + _HEADER.size : offset + length])
                offset += (length + 3) & ~3
            if not flags & _NLM_F_DUMP:
                return payloads


def _loopback_packets():
    """(received, sent) packets of loopback since the namespace was made."""
    (link,) = _request(
        _NETLINK_ROUTE, _RTM_GETLINK, _NLM_F_REQUEST, struct.pack("=BxHiII", 0, 0, _LOOPBACK_INDEX, 0, 0)
    )
    offset = 16  # struct ifinfomsg
    while offset + _ATTRIBUTE.size <= len(link):
        length, kind = _ATTRIBUTE.unpack_from(link, offset)
        if length < _ATTRIBUTE.size:
            break
        if kind == _IFLA_STATS64:
            return struct.unpack_from("=QQ", link, offset + _ATTRIBUTE.size)
        offset += (length + 3) & ~3
    raise OSError("netlink: no IFLA_STATS64 for loopback")


def _state():
    """What a sample could have left in this namespace: loopback's packet counters and its Unix sockets; None
    when it cannot be read (every sample then gets a fresh namespace)."""
    try:
        unix = _request(_NETLINK_SOCK_DIAG, _SOCK_DIAG_BY_FAMILY, _NLM_F_REQUEST | _NLM_F_DUMP, _UNIX_SOCKETS)
        return _loopback_packets(), len(unix)
    except (OSError, ValueError, struct.error):  # a reply we cannot read: assume the namespace was used
        return None


def _loopback_up():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(sock, _SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, _SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | _IFF_UP))


class SlotNetwork:
    """The zygote's network namespace, and how it looked when it was made."""

    def __init__(self):
        self.made = _state()

    def settle(self):
        """After a sample: keep the namespace when it is as it was made, else move into a fresh one."""
        if self.made is not None and _state() == self.made:
            return
        if _libc.unshare(_CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, "unshare(CLONE_NEWNET): " + os.strerror(err))
        _loopback_up()
        self.made = _state()
