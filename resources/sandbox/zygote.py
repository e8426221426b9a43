"""Zygote: one long-lived trusted process per slot that gives every sample fresh namespaces without paying for
a new bwrap launch and interpreter start-up (~25 ms of CPU, measured) each time.

Runs inside the sandbox only (``/opt/amd/_amd_zygote.pyc``; stdlib + ctypes). It is pid 1 of a bwrap sandbox
with the same confinement as a per-sample launch (read-only system, no network, no home, cleared environment,
seccomp) plus CAP_SYS_ADMIN and CAP_NET_ADMIN, which it needs to build namespaces. It never runs untrusted code.

Per job: the zygote reads the job, makes the ctypes arguments of its seccomp filters (once per slot: built in
a freshly forked process, each costs ~100 us of page faults), unshares a pid namespace for its children and forks
(one process per sample: a fork costs ~1 ms of page faults here); the child is pid 1 of the brand-new pid
namespace. It unshares mount, uts and ipc namespaces (its mounts are private copies: the zygote made its own
private once), mounts a fresh size-bounded tmpfs on /tmp, keeps only CAP_KILL/CAP_SETUID/CAP_SETGID, installs
the strict seccomp filter (which also forbids unshare and mount from then on) and runs the job with the ordinary
harness. When it exits the kernel kills anything left in its pid namespace and the namespaces and /tmp vanish;
the zygote then writes an ``end`` event, makes a fresh network namespace (loopback only) if the sample used its
own (``netns.py``) and reads the next job.

Job stream on stdin: 8-byte little-endian length + marshal blob, repeated; EOF ends the zygote.
"""

import ctypes
import marshal
import os
import struct

import _amd_harness as harness
import _amd_netns as netns
import _amd_runner_control as runner_control  # imported once here: every sample's harness inherits it

_CLONE_NEWNS = 0x00020000
_CLONE_NEWUTS = 0x04000000
_CLONE_NEWIPC = 0x08000000
_CLONE_NEWPID = 0x20000000
_MS_NOSUID, _MS_NODEV, _MS_REC, _MS_PRIVATE = 0x2, 0x4, 0x4000, 0x40000
_CAPABILITY_V3 = 0x20080522
_CAP_KILL, _CAP_SETGID, _CAP_SETUID = 5, 6, 7

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result, what):
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, what + ": " + os.strerror(err))


_KEEP = (1 << _CAP_KILL) | (1 << _CAP_SETGID) | (1 << _CAP_SETUID)
# capset's arguments, made once here rather than in every sample's freshly forked process (see `_run_sample`).
_CAPSET_ARGS = (
    ctypes.c_char_p(struct.pack("Ii", _CAPABILITY_V3, 0)),
    ctypes.c_char_p(struct.pack("6I", _KEEP, _KEEP, _KEEP, 0, 0, 0)),  # effective, permitted, inheritable (x2)
)


def _keep_only_harness_caps():
    _check(_libc.capset(*_CAPSET_ARGS), "capset")


def _enter_sample_namespace(job):
    """In pid 1 of the fresh pid namespace: the other fresh namespaces, private mounts, new /tmp, fewer caps,
    strict seccomp. Returns the job."""
    # The new mount namespace copies the zygote's mounts, private already (see `main`): its /tmp stays its own.
    _check(_libc.unshare(_CLONE_NEWNS | _CLONE_NEWUTS | _CLONE_NEWIPC), "unshare")
    options = f"size={job['tmp_bytes']},mode=1777".encode("ascii")
    _check(_libc.mount(b"tmpfs", b"/tmp", b"tmpfs", _MS_NOSUID | _MS_NODEV, options), "mount /tmp")
    _keep_only_harness_caps()
    harness.child.install_seccomp(job["seccomp"])
    return job


def _run_sample(blob, own_pidfd):
    """Fork the sample's pid 1 into a new pid namespace and wait until it (and so everything in it) is gone."""
    try:
        job = marshal.loads(blob)
        # Everything a sample's processes can get from here is made before the fork, once per slot where it can
        # be: objects built in a freshly forked process cost page faults (~3 us each, ~30 for a ctypes object).
        for key in ("seccomp", "seccomp_runner"):
            harness.child.prepared_seccomp(job[key])
        # unshare(CLONE_NEWPID) sets the pid namespace of the children forked from now on, and only once: set it
        # back to our own first (setns on a pidfd of ourselves, Linux >= 5.8), then unshare a fresh one.
        _check(_libc.setns(own_pidfd, _CLONE_NEWPID), "setns to the zygote's pid namespace (Linux >= 5.8)")
        _check(_libc.unshare(_CLONE_NEWPID), "unshare")
        pid = os.fork()
    except BaseException as exc:
        harness.emit_error(exc)
        return
    if pid == 0:
        os.close(own_pidfd)
        os._exit(harness.run_job_reporting_errors(lambda: _enter_sample_namespace(job)))
    os.waitpid(pid, 0)


def _read_exact(size):
    chunks, missing = [], size
    while missing:
        chunk = os.read(0, missing)
        if not chunk:
            return None
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def main():
    if os.getpid() != 1:
        raise SystemExit("the zygote must run as init of its own sandbox")
    own_pidfd = os.pidfd_open(os.getpid())
    # Once, not per sample: every mount namespace made from ours starts with private copies of these mounts.
    _check(_libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None), "make / private")
    harness.warm_up()
    runner_control.warm_up()
    network = netns.SlotNetwork()
    while True:
        header = _read_exact(8)
        if header is None:
            return
        blob = _read_exact(int.from_bytes(header, "little"))
        if blob is None:
            return
        _run_sample(blob, own_pidfd)
        del blob
        harness.emit(ev="end")
        network.settle()  # after `end`: the host reads the sample's result meanwhile
