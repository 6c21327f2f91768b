"""Queries run in worker processes, where a time or memory limit stops the work for real.

A Python thread cannot be stopped, and Oxigraph has no time limit of its own: a
query given up on in a thread goes on using a core and memory until it ends (a
cross product sorted for minutes, gigabytes). So every query runs in a process
of its own, forked from one that holds the store (copy-on-write: the graph in
memory is shared, not copied), and that process is killed when the query passes
its time limit; the kernel takes its memory back and frees its core at once. Its
memory is capped too (``RLIMIT_AS``: an allocation past the cap fails, and the
worker dies of it), so one query cannot take the machine's memory.

Two ways to get a worker:

- :func:`fork_worker`: forked from the calling process, for one caller (``kg query``
  and the library: the process that opened the store is the one that forks);
- :class:`Pool`: for ``kg serve``, many at once. A *zygote* process is forked
  when the server starts, before it has threads; it loads the store and forks
  every worker, so a worker never inherits a lock some other thread held, and a
  killed worker is replaced in milliseconds.

Jobs and answers cross as pickles over a Unix socket pair: a job names a function
(module-level, so by reference) and its arguments; the worker sends back each item
the function yields, then ``done`` (with the store version it read) or an error.
POSIX only (``os.fork``).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import os
import pickle
import resource
import signal
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..base.errors import KgError

_HEADER = struct.Struct("!Q")
_KEEP: list[Any] = []          # handles a worker inherited and must never drop (see Store.forked)
NICE_AFTER = 0.1               # seconds: a query still using a core after this gives way to new ones
NICE_BUSY = 0.03               # seconds of CPU in the NICE_CHECK that follows: it is using a core
NICE_CHECK = 0.05
NICE = 10
_MEMORY_EXIT = 75              # a worker's exit status when Python ran out of its memory cap


class QueryTimeout(KgError):
    """A query ran longer than its time limit; its worker was killed."""


class QueryTooLarge(KgError):
    """A query needed more memory than its cap; its worker was killed."""


class Busy(KgError):
    """Every worker is busy and the queue of waiting queries is full."""


class WorkerDied(Exception):
    """The worker ended without an answer: it ran out of memory, or was killed."""


@dataclass(frozen=True)
class Limits:
    """What one query may take: seconds of wall time (None: no limit), megabytes beyond its start."""

    timeout: float | None = None
    memory_mb: int | None = None
    what: str = "the query"      # how messages name it
    # What the user can do about a limit (the command line's options; a server says its own).
    hint: str = "(--timeout); narrow it down, or give a longer --timeout (0 for none)"
    memory_hint: str = "(--memory-limit); narrow it down, or give a larger --memory-limit"

    def timed_out(self) -> QueryTimeout:
        return QueryTimeout(f"{self.what} was stopped after {self.timeout:g} seconds {self.hint}")

    def too_large(self) -> QueryTooLarge:
        cap = f"{self.memory_mb:,} MB" if self.memory_mb else "its memory cap"
        return QueryTooLarge(f"{self.what} was stopped: it needed more than {cap} of memory {self.memory_hint}")


# --- messages ----------------------------------------------------------------------------------


def _pack(message: Any) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(data)) + data


def _send(sock: socket.socket, message: Any) -> None:
    sock.sendall(_pack(message))


def _read_exact(sock: socket.socket, size: int, deadline: float | None) -> bytes:
    view = memoryview(bytearray(size))
    got = 0
    while got < size:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            sock.settimeout(left)
        else:
            sock.settimeout(None)
        try:
            count = sock.recv_into(view[got:])
        except socket.timeout:
            raise TimeoutError from None
        if not count:
            raise WorkerDied
        got += count
    return bytes(view)


def _receive(sock: socket.socket, deadline: float | None = None) -> Any:
    (size,) = _HEADER.unpack(_read_exact(sock, _HEADER.size, deadline))
    return pickle.loads(_read_exact(sock, size, deadline))


class _Frames:
    """Messages read from a non-blocking socket a buffer at a time: an answer and its ``done`` usually come
    in one read."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buffer = bytearray()

    async def next(self, loop: asyncio.AbstractEventLoop) -> Any:
        while True:
            if len(self.buffer) >= _HEADER.size:
                (size,) = _HEADER.unpack_from(self.buffer)
                end = _HEADER.size + size
                if len(self.buffer) >= end:
                    message = pickle.loads(memoryview(self.buffer)[_HEADER.size:end])
                    del self.buffer[:end]
                    return message
            data = await loop.sock_recv(self.sock, max(262144, _HEADER.size + len(self.buffer)))
            if not data:
                raise WorkerDied
            self.buffer += data


def _portable(err: BaseException) -> BaseException:
    """``err`` as it can cross to the parent: itself if it pickles, else a KgError with its text."""
    err.__traceback__ = None
    err.__context__ = err.__cause__ = None
    try:
        pickle.loads(pickle.dumps(err))
        return err
    except Exception:  # noqa: BLE001 - anything that does not survive the trip
        return KgError(str(err) or type(err).__name__)


# --- inside a worker -----------------------------------------------------------------------------


def die_with_parent() -> None:
    """Ask Linux to kill this process when the process that forked it dies (prctl PR_SET_PDEATHSIG)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)
    except (OSError, AttributeError):  # pragma: no cover - not Linux: the socket's end stops it instead
        pass


def _quiet() -> None:
    """A worker's standard error goes nowhere: the engine's own words as it dies of its memory cap
    ("memory allocation of N bytes failed") would only repeat what the caller reports."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)


def _virtual_size() -> int:
    """Bytes of address space this process has mapped (VmSize)."""
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()


def _cap_memory(memory_mb: int | None) -> None:
    """No core files (a killed 2 GB worker would write one), and an address-space cap above what is mapped now."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory_mb:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = _virtual_size() + memory_mb * 1024 * 1024
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def _become_worker(sock: socket.socket, store: Any, memory_mb: int | None) -> None:
    """The life of a worker: run each job sent, answer, until the socket closes. Never returns."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)   # Ctrl-C on a terminal reaches the worker too: stop
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        die_with_parent()
        _quiet()
        forked = getattr(store, "forked", None)
        if forked is not None:
            forked()
        _cap_memory(memory_mb)
        with contextlib.suppress(Exception):  # open now, not at the first query; a failure is the query's to tell
            getattr(store, "warm", lambda: None)()
        sock.settimeout(None)
        while True:
            try:
                function, args = _receive(sock)
            except (WorkerDied, OSError, EOFError):
                break
            try:
                for item in function(store, *args):
                    _send(sock, ("item", item))
                _send(sock, ("done", getattr(store, "opened_version", "")))
            except MemoryError:
                os._exit(_MEMORY_EXIT)
            except (BrokenPipeError, ConnectionResetError):
                break
            except BaseException as err:  # noqa: BLE001 - every failure is the caller's to report
                _send(sock, ("error", _portable(err)))
    except MemoryError:
        os._exit(_MEMORY_EXIT)
    except BaseException:  # noqa: BLE001
        os._exit(1)
    os._exit(0)  # never the parent's atexit handlers, buffers or destructors


# --- one worker for one caller ------------------------------------------------------------------------


class Worker:
    """A worker forked from this process (``fork_worker``), for one caller at a time."""

    def __init__(self, pid: int, sock: socket.socket, *, reap: bool):
        self.pid = pid
        self.sock = sock
        self.reap = reap          # forked by this process: wait for it, so no zombie stays
        self.alive = True
        self.version = ""
        self.niced = False

    def run(self, function: Callable[..., Iterator[Any]], args: tuple, limits: Limits) -> Iterator[Any]:
        """Each item ``function(store, *args)`` yields in the worker. The time counted is the time spent
        waiting for the worker, not the time the caller takes over an item; past the limit the worker is killed."""
        _send(self.sock, (function, args))
        waited = 0.0
        while True:
            started = time.monotonic()
            deadline = started + limits.timeout - waited if limits.timeout else None
            try:
                kind, item = _receive(self.sock, deadline)
            except TimeoutError:
                self.kill()
                raise limits.timed_out() from None
            except (WorkerDied, OSError, EOFError):
                raise limits.too_large() if self._ended_of_memory() else KgError(
                    f"{limits.what} failed: its worker process ended without an answer") from None
            waited += time.monotonic() - started
            if kind == "item":
                yield item
            elif kind == "done":
                self.version = item
                return
            else:
                raise item

    def _ended_of_memory(self) -> bool:
        """Whether the worker died of its memory cap (Python's MemoryError, or Rust aborting on a failed allocation)."""
        self.alive = False
        if not self.reap:
            return True
        with contextlib.suppress(ChildProcessError):
            _, status = os.waitpid(self.pid, 0)
            self.reap = False
            if os.WIFEXITED(status):
                return os.WEXITSTATUS(status) == _MEMORY_EXIT
            return os.WTERMSIG(status) in (signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS)
        return True

    def kill(self) -> None:
        """Stop the worker now (SIGKILL: its core and memory are free at once)."""
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self.alive = False
        with contextlib.suppress(OSError):
            self.sock.close()
        if self.reap:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.reap = False


def fork_worker(store: Any, memory_mb: int | None = None) -> Worker:
    """A worker forked from this process, holding ``store`` as this process holds it."""
    ours, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:  # the worker
        ours.close()
        _become_worker(theirs, store, memory_mb)
    theirs.close()
    return Worker(pid, ours, reap=True)


def run_in_worker(store: Any, function: Callable[..., Iterator[Any]], args: tuple, limits: Limits) -> Iterator[Any]:
    """``function(store, *args)`` in a worker forked for it; the worker is gone when the iterator is."""
    worker = fork_worker(store, limits.memory_mb)
    try:
        yield from worker.run(function, args, limits)
    finally:
        worker.kill()


# --- a pool of workers, for kg serve -------------------------------------------------------------------


def _zygote(controls: list[socket.socket], store: Any, prepare: Callable[[Any], dict[str, Any]] | None,
            memory_mb: int | None) -> None:
    """The zygote's life: make the store ready, say so on every channel, then fork a worker for every socket
    sent on any of them (one channel per process that serves requests). Never returns."""
    import select

    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the workers
        die_with_parent()
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        try:
            ready = ("ready", prepare(store) if prepare is not None else {})
        except BaseException as err:  # noqa: BLE001 - told to the server, which reports it
            ready = ("error", _portable(err))
        for control in controls:
            with contextlib.suppress(OSError):
                _send(control, ready)
        if ready[0] == "error":
            os._exit(0)
        open_channels = list(controls)
        while open_channels:
            readable, _, _ = select.select(open_channels, [], [])
            for control in readable:
                try:
                    message, fds, _, _ = socket.recv_fds(control, 16, 1)
                except OSError:
                    message, fds = b"", []
                if not message or not fds:
                    open_channels.remove(control)
                    continue
                pid = os.fork()
                if pid == 0:
                    for channel in controls:
                        channel.close()
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    _become_worker(socket.socket(fileno=fds[0]), store, memory_mb)
                os.close(fds[0])
                control.sendall(struct.pack("!q", pid))
    except BaseException:  # noqa: BLE001
        os._exit(1)
    os._exit(0)


@dataclass
class Zygote:
    """The process that holds the store and forks workers, with one channel per process that asks for them."""

    pid: int
    channels: list[socket.socket]

    @classmethod
    def fork(cls, store: Any, *, prepare: Callable[[Any], dict[str, Any]] | None, memory_mb: int | None,
             channels: int = 1) -> Zygote:
        pairs = [socket.socketpair() for _ in range(channels)]
        pid = os.fork()
        if pid == 0:
            for ours, _ in pairs:
                ours.close()
            _zygote([theirs for _, theirs in pairs], store, prepare, memory_mb)
        for _, theirs in pairs:
            theirs.close()
        return cls(pid, [ours for ours, _ in pairs])

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        for channel in self.channels:
            with contextlib.suppress(OSError):
                channel.close()


@dataclass
class _PoolWorker:
    pid: int
    sock: socket.socket
    generation: int
    niced: bool = False
    version: str = ""
    nice_timer: asyncio.TimerHandle | None = None
    frames: _Frames | None = None


def _cpu_seconds(pid: int) -> float | None:
    """CPU time (user and system) a process has used, from /proc; None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


@dataclass
class Pool:
    """Workers forked from a zygote that holds the store: up to ``size`` queries run at once, ``queue`` more
    wait, the rest are refused (Busy). A query that has run NICE_AFTER seconds gives way to newer ones (its
    worker is niced, and replaced afterwards), so a small query is not stuck behind heavy ones."""

    store: Any
    size: int
    queue: int
    memory_mb: int | None = None
    prepare: Callable[[Any], dict[str, Any]] | None = None   # run in the zygote before any worker: load, index
    info: dict[str, Any] = field(default_factory=dict)
    _zygote_pid: int = 0
    _control: socket.socket | None = None
    _ready: threading.Event = field(default_factory=threading.Event)
    _error: BaseException | None = None
    _spawn_lock: threading.Lock = field(default_factory=threading.Lock)
    _idle: list[_PoolWorker] = field(default_factory=list)
    _all: dict[int, _PoolWorker] = field(default_factory=dict)
    _running: int = 0
    _waiting: int = 0
    _slots: asyncio.Semaphore | None = None
    _generation: int = 0
    _closed: bool = False
    loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        """Fork a zygote of this pool's own; it makes the store ready in the background (see ``wait_ready``)."""
        zygote = Zygote.fork(self.store, prepare=self.prepare, memory_mb=self.memory_mb)
        self._zygote_pid = zygote.pid
        self.attach(zygote.channels[0])

    def attach(self, control: socket.socket) -> None:
        """Ask a zygote (perhaps shared with other processes, each on its own channel) for the workers."""
        self._control = control
        threading.Thread(target=self._await_ready, name="kg-pool-ready", daemon=True).start()

    def _await_ready(self) -> None:
        try:
            kind, item = _receive(self._control)
            if kind == "ready":
                self.info = item
            else:
                self._error = item
        except (WorkerDied, OSError, EOFError) as err:
            self._error = KgError(f"the process that holds the graph ended while loading it ({err or 'no answer'})")
        finally:
            self._ready.set()

    def wait_ready(self) -> dict[str, Any]:
        """What ``prepare`` returned; its error, raised, if it failed."""
        self._ready.wait()
        if self._error is not None:
            raise self._error
        return self.info

    @property
    def busy(self) -> tuple[int, int]:
        """(queries running, queries waiting)."""
        return self._running, self._waiting

    def renew(self) -> None:
        """The store was replaced: workers forked from now on open it afresh; the others go when idle."""
        self._generation += 1
        for worker in self._idle:
            self._kill(worker)
        self._idle.clear()

    def _spawn(self) -> _PoolWorker:
        ours, theirs = socket.socketpair()
        try:
            with self._spawn_lock:
                if self._closed or self._control is None:
                    raise Busy("the server is stopping")
                socket.send_fds(self._control, [b"f"], [theirs.fileno()])
                (pid,) = struct.unpack("!q", _read_exact(self._control, 8, time.monotonic() + 30))
        except (WorkerDied, OSError, TimeoutError) as err:
            ours.close()
            raise KgError(f"cannot start a worker for the query ({err or 'the zygote is gone'})") from None
        finally:
            theirs.close()
        ours.setblocking(False)
        worker = _PoolWorker(pid, ours, self._generation)
        self._all[pid] = worker
        return worker

    def _kill(self, worker: _PoolWorker) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            worker.sock.close()
        self._all.pop(worker.pid, None)

    async def run(self, function: Callable[..., Iterator[Any]], args: tuple, limits: Limits) -> tuple[list[Any], str]:
        """Every item ``function(store, *args)`` yields in a worker, and the store version it read."""
        loop = asyncio.get_running_loop()
        self.loop = loop
        if not self._ready.is_set():
            await loop.run_in_executor(None, self._ready.wait)
        if self._error is not None:
            raise self._error
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.size)
        if self._slots.locked():
            if self._waiting >= self.queue:
                raise Busy(f"the server is busy: {self._running} queries are running and {self._waiting} are "
                           "waiting; try again shortly")
        self._waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self._waiting -= 1
        self._running += 1
        worker = None
        reusable = False
        nice = None
        try:
            while self._idle:
                candidate = self._idle.pop()
                if candidate.generation == self._generation:
                    worker = candidate
                    break
                self._kill(candidate)
            if worker is None:
                worker = self._spawn()
            nice = loop.call_later(NICE_AFTER, self._nice, worker)
            try:
                async with asyncio.timeout(limits.timeout or None):
                    items, version, error = await self._exchange(loop, worker, function, args)
            except TimeoutError:
                raise limits.timed_out() from None
            except (WorkerDied, OSError, EOFError):
                if self._closed:
                    raise Busy("the server is stopping") from None
                raise limits.too_large() from None
            reusable = True
            if error is not None:
                raise error
            return items, version
        finally:
            if nice is not None:
                nice.cancel()
            if worker is not None and worker.nice_timer is not None:
                worker.nice_timer.cancel()
                worker.nice_timer = None
            self._running -= 1
            self._slots.release()
            if worker is not None:
                if reusable and not worker.niced and worker.generation == self._generation and not self._closed:
                    self._idle.append(worker)
                else:
                    self._kill(worker)
                    loop.call_soon(self._replenish)

    async def _exchange(self, loop, worker: _PoolWorker, function, args) -> tuple[list[Any], str, BaseException | None]:
        await loop.sock_sendall(worker.sock, _pack((function, args)))
        if worker.frames is None:
            worker.frames = _Frames(worker.sock)
        items: list[Any] = []
        while True:
            kind, item = await worker.frames.next(loop)
            if kind == "item":
                items.append(item)
            elif kind == "done":
                worker.version = item
                return items, item, None
            else:
                return items, worker.version, item

    def _replenish(self) -> None:
        """A worker killed is replaced at once, while no query waits for it: the next query finds a worker
        with its store open, not one that opens it first."""
        if self._closed or len(self._all) >= self.size or self._idle:
            return
        with contextlib.suppress(KgError):
            self._idle.append(self._spawn())

    def _nice(self, worker: _PoolWorker, cpu: float | None = None) -> asyncio.TimerHandle | None:
        """Nice a worker that is using a core (not one whose answer this process is slow to read); a niced
        worker is replaced after its query, since a process may not raise its own priority again."""
        now = _cpu_seconds(worker.pid)
        if now is None or worker.pid not in self._all:
            return None
        if cpu is None:
            worker.nice_timer = self.loop.call_later(NICE_CHECK, self._nice, worker, now)
            return worker.nice_timer
        if now - cpu >= NICE_BUSY:
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, worker.pid, NICE)
                worker.niced = True
        return None

    def close(self) -> None:
        """Kill every worker and the zygote: queries in flight end at once."""
        self._closed = True
        for worker in list(self._all.values()):
            self._kill(worker)
        self._idle.clear()
        if self._zygote_pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._zygote_pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self._zygote_pid, 0)
            self._zygote_pid = 0
        if self._control is not None:
            with contextlib.suppress(OSError):
                self._control.close()
