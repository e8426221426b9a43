"""The I/O of one test case on the harness side: its stdin memfd and its capped stdout, stderr and status pipes.

Runs inside the sandbox only (compiled to ``/opt/amd/_amd_case_io.pyc``; stdlib only), in the harness, which
never runs untrusted code. The write ends go to the process that runs the case (fds 1-3 there); whatever
arrives beyond a cap ends the case as output_limit.
"""

import os

STDERR_TAIL = 4096
CHUNK = 65536


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def stdin_fd(text, devnull):
    """(fd, owned): a memfd holding `text`, or /dev/null when the case has no stdin."""
    if text is None:
        return devnull, False
    fd = os.memfd_create("stdin", 0)
    write_all(fd, text.encode("utf-8", "surrogateescape"))
    os.lseek(fd, 0, os.SEEK_SET)
    return fd, True


STATUS = "status"  # the key of the status record when it does not come through a pipe of its own


class CasePipes:
    """stdout, stderr and (unless the status record arrives otherwise, see `add_status`) status pipes of one
    case, read with caps."""

    def __init__(self, stdout_cap, stderr_cap, status_pipe=True, reusable=False):
        self.out_r, self.out_w = os.pipe()
        self.err_r, self.err_w = os.pipe()
        # annotations in a function body are never evaluated: they cost the sandbox nothing
        self.status_r: int | str
        self.status_w: int | None
        self.status_r, self.status_w = os.pipe() if status_pipe else (STATUS, None)
        self._readers = (self.out_r, self.err_r, self.status_r)
        self._fds = tuple(fd for fd in self._readers if isinstance(fd, int))  # STATUS is no fd
        self._caps = dict(zip(self._readers, (stdout_cap, stderr_cap, stdout_cap + 4096), strict=True))
        # Reusable pipes serve a shared runner case after case (see `reset`): their read ends never block, so a
        # drain needs no mode switch.
        self._reusable = reusable
        if reusable:
            os.set_blocking(self.out_r, False)
            os.set_blocking(self.err_r, False)
        self._writers_open = True
        self.reset()

    def reset(self):
        """Start the next case on the same pipes: the previous case drained them (see `spent`)."""
        self._buffers: dict[int | str, list[bytes]] = {fd: [] for fd in self._readers}
        self._sizes = dict.fromkeys(self._readers, 0)
        self._open: set[int] = set(self._fds)

    def spent(self):
        """Whether the pipes cannot serve another case: a cap was reached (the rest was never read) or a read end
        saw EOF."""
        return len(self._open) < len(self._fds) or self._over_cap()

    def _over_cap(self):
        return any(self._sizes[fd] > cap for fd, cap in self._caps.items())

    def writers(self):
        return tuple(fd for fd in (self.out_w, self.err_w, self.status_w) if fd is not None)

    def close_writers(self):
        """Once the case's process has its copies: EOF then means every writer is gone."""
        if self._writers_open:
            self._writers_open = False
            for fd in self.writers():
                os.close(fd)

    def add_status(self, data):
        """Status record bytes that arrived on another channel; True once over the cap."""
        return self._keep(STATUS, data)

    def register(self, poller, events):
        for fd in self._open:
            poller.register(fd, events)

    def unregister(self, poller):
        for fd in self._open:
            poller.unregister(fd)

    def read(self, fd, poller):
        """Read one chunk of `fd`; True once a cap is exceeded."""
        chunk = os.read(fd, CHUNK)
        if not chunk:
            poller.unregister(fd)
            self._open.discard(fd)
            return False
        return self._keep(fd, chunk)

    def drain(self):
        """Read what is left without blocking (descendants may still hold a writer); True if over a cap."""
        for fd in list(self._open):
            if not self._reusable:
                os.set_blocking(fd, False)
            while self._sizes[fd] <= self._caps[fd]:
                try:
                    chunk = os.read(fd, CHUNK)
                except BlockingIOError:
                    break
                if not chunk:
                    break
                self._keep(fd, chunk)
        return self._over_cap()

    def _keep(self, fd, chunk):
        self._buffers[fd].append(chunk)
        self._sizes[fd] += len(chunk)
        return self._sizes[fd] > self._caps[fd]

    def collected(self):
        """The report fields: capped stdout, stderr tail, status record."""
        stderr = b"".join(self._buffers[self.err_r])
        return {
            "out": b"".join(self._buffers[self.out_r])[: self._caps[self.out_r] + 1],
            "err": stderr[-STDERR_TAIL:],
            "res": b"".join(self._buffers[self.status_r])[: self._caps[self.status_r]],
        }

    def close(self):
        self.close_writers()
        for fd in self._fds:
            os.close(fd)
