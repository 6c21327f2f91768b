"""Writing files so that a reader sees the old file or the new one, never half of one.

Every output of gpu-kg (exports, query results, views, charts, the store's
manifest) is written through here: to a temporary file beside the target, then
renamed into place.
"""

from __future__ import annotations

import errno
import glob
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from .errors import os_errors


def write_atomically(path: str | Path, data: bytes, *, check: Callable[[bytes], None] | None = None) -> None:
    """Write to a temporary file beside ``path`` and rename it into place.

    A reader sees the old file or the new one, never half of one. The temporary
    name carries our process id, so a later run can sweep what a killed run left.
    ``check`` (e.g. ``check_rdf``) reads the bytes back first and raises if they
    are not well formed: what is renamed into place has been read. Any failure of
    the operating system is a FileError naming ``path``; the old file stays.
    """
    if check is not None:
        check(data)
    with atomic_file(path) as handle:
        handle.write(data)


@contextmanager
def atomic_file(path: str | Path) -> Iterator[BinaryIO]:
    """A file to write ``path``'s new bytes into as they come; renamed into place when the block ends well.

    An exception in the block leaves the old file (or none) and no temporary file.
    """
    path = Path(path)
    with os_errors("write", path):
        make_folder(path.parent)
        _sweep_orphans(path)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
        try:
            os.fchmod(fd, 0o666 & ~_umask())  # as open() would make it: mkstemp's files are private
            with os.fdopen(fd, "wb") as handle:
                yield handle
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                Path(tmp).unlink(missing_ok=True)
            except OSError:  # the write's own failure is the one to report; the next run sweeps it
                pass
            raise


def make_folder(path: Path) -> None:
    """``mkdir -p``; a file where a folder should be is ENOTDIR (Python says "already exists")."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(path)) from None


def _umask() -> int:
    """The process's umask, read without setting it where Linux allows (setting it is not thread-safe)."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(re.search(r"^Umask:\s*([0-7]+)", status, re.M)[1], 8)
    except (OSError, TypeError):
        mask = os.umask(0)
        os.umask(mask)
        return mask


def _sweep_orphans(path: Path) -> None:
    """Remove temporary files of ``path`` whose writing process is gone (best effort)."""
    try:
        for orphan in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
            pid = orphan.name[len(path.name) + 2 :].split(".", 1)[0]
            if pid.isdigit() and not _alive(int(pid)):
                orphan.unlink(missing_ok=True)
    except OSError:  # an unreadable folder: the write itself will say what is wrong
        pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: leave its file alone
        return True
    return True


def replace_unsynced(path: Path, data: bytes) -> None:
    """Write beside ``path`` and rename into place, without fsync: for caches, where a file lost
    in a crash fails its checksum (or does not parse) and is made again, and syncing dozens of
    files costs more than remaking them."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def remove_quietly(path: Path) -> None:
    """Forget a cache file; one that cannot be removed is no cache to spoil."""
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass
