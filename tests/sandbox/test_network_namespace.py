"""A zygote's samples share its network namespace only while none of them used it (``resources/sandbox/netns.py``).

One slot, so every sample runs in the same zygote, one after another. The programs only ever talk to
127.0.0.1 inside their own sandbox.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from resources.sandbox import SandboxResource, Verdict
from tests.sandbox.helpers import TEST_LIMITS, stdio

# getsockopt(SOL_SOCKET, SO_NETNS_COOKIE): the identity of the socket's network namespace (Linux >= 5.14).
PRINT_NAMESPACE = "import socket\nprint(socket.socket().getsockopt(socket.SOL_SOCKET, 71, 8).hex())\n"
PORT = 34567
# A connection over loopback whose server side closes first: its port stays in TIME_WAIT for a minute.
LEAVE_TIME_WAIT = f"""import socket
server = socket.socket()
server.bind(("127.0.0.1", {PORT}))
server.listen(1)
client = socket.create_connection(("127.0.0.1", {PORT}))
accepted, _ = server.accept()
accepted.close()
server.close()
client.recv(1)
client.close()
{PRINT_NAMESPACE}"""
# Without SO_REUSEADDR, bind fails while a TIME_WAIT socket holds the port in this namespace.
BIND_THE_PORT = f"""import socket
try:
    socket.socket().bind(("127.0.0.1", {PORT}))
    print("bound")
except OSError as exc:
    print("refused", exc.errno)
"""


@pytest.fixture(scope="module")
def one_slot() -> Iterator[SandboxResource]:
    resource = SandboxResource(mode="zygote", **{**TEST_LIMITS, "workers": 1})
    try:
        yield resource
    finally:
        resource.close()


def output(sandbox: SandboxResource, program: str) -> str:
    verdict = sandbox.verify(program, stdio(("", "-")))
    assert verdict.verdict is Verdict.WRONG_ANSWER, verdict
    return verdict.got.strip()


def test_a_sample_that_sent_nothing_hands_its_namespace_on(one_slot: SandboxResource) -> None:
    first = output(one_slot, PRINT_NAMESPACE)
    assert output(one_slot, "import socket\nsocket.socket().bind(('127.0.0.1', 0))\n" + PRINT_NAMESPACE) == first
    assert output(one_slot, PRINT_NAMESPACE) == first


def test_a_sample_that_used_loopback_leaves_a_fresh_namespace_to_the_next(one_slot: SandboxResource) -> None:
    used = output(one_slot, LEAVE_TIME_WAIT)
    # In the namespace it used, the port would still be in TIME_WAIT (EADDRINUSE): the next sample's is new.
    assert output(one_slot, BIND_THE_PORT) == "bound"
    assert output(one_slot, PRINT_NAMESPACE) != used


def test_a_sample_cannot_lease_an_ipv6_flow_label(one_slot: SandboxResource) -> None:
    """A leased flow label outlives its socket without a packet sent, so the zygote could not see it."""
    program = (
        "import socket, struct\ns = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)\n"
        # struct in6_flowlabel_req: ::1, label 0x12345, IPV6_FL_A_GET, IPV6_FL_S_EXCL, IPV6_FL_F_CREATE
        "request = socket.inet_pton(socket.AF_INET6, '::1') + struct.pack('!I', 0x12345)"
        " + struct.pack('=BBHHHI', 0, 1, 1, 0, 0, 0)\n"
        "try:\n    s.setsockopt(41, 32, request)\n    print('leased')\n"  # SOL_IPV6, IPV6_FLOWLABEL_MGR
        "except OSError as exc:\n    print('refused', exc.errno)\n"
    )
    assert output(one_slot, program) == "refused 1"
