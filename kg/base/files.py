"""Writing files so that a reader sees the old file or the new one, never half of one.

Every output of gpu-kg (exports, query results, views, charts, the store's
manifest) is written through here: to a temporary file beside the target, then
renamed into place. A rename would replace what is there, so an output that is
not a plain file is met on its own terms: a character device (``/dev/null``,
``/dev/full``, a terminal) or a named pipe is written through, as the shell's
``>`` would; a symbolic link is followed to the file it names; a block device or a
socket is refused. Nothing but a file ever replaces anything.
"""

from __future__ import annotations

import errno
import glob
import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from .errors import FileError, os_errors, shown_path


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

    An exception in the block leaves the old file (or none) and no temporary file. A
    character device or a named pipe gets the bytes as they come (there is nothing to
    rename onto it), and a symbolic link keeps pointing at the file it names.
    """
    shown = Path(path)
    with os_errors("write", shown):
        path = _file_to_replace(shown)
        if path is None:  # a device or a pipe: written through, never replaced
            with open(shown, "wb") as handle:
                yield handle
                handle.flush()
            return
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


# What the rename would put a file in place of, and what to do instead.
_WRITTEN_THROUGH = {stat.S_IFCHR: "character device", stat.S_IFIFO: "named pipe"}
_REFUSED = {stat.S_IFBLK: "a block device (a disk)", stat.S_IFSOCK: "a socket"}


def _file_to_replace(path: Path) -> Path | None:
    """The file a new output is renamed onto: ``path``, or the file a symbolic link at ``path``
    names; None for a character device or a named pipe, which are written through.
    Raises FileError for a block device or a socket, and OSError (EISDIR) for a folder."""
    try:
        mode = os.stat(path).st_mode  # follows links: what a write would reach
    except FileNotFoundError:
        return Path(os.path.realpath(path)) if path.is_symlink() else path  # a link to a file still to be made
    kind = stat.S_IFMT(mode)
    if kind in _WRITTEN_THROUGH:
        return None
    if kind in _REFUSED:
        raise FileError(f"cannot write {shown_path(path)}: it is {_REFUSED[kind]}, not a file; "
                        f"gpu-kg writes files, character devices and named pipes")
    if kind == stat.S_IFDIR:
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    return Path(os.path.realpath(path)) if path.is_symlink() else path


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
