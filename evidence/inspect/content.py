"""One file's bytes, read once: every check and reader of ``inspect_file`` works on them.

Reading an xlsx used to open it five times (hash, sniff, zip caps, calamine, hyperlinks),
parsing its zip directory three times. :func:`read_content` opens the file once — without
blocking (a FIFO put in a file's place cannot stall a worker), checked to be a regular
file, empty and oversized files refused from ``fstat`` before a byte is read — and keeps
what it read with the ``(size, mtime_ns, inode)`` of what was read, so the caller can tell
whether the file changed while it was being read. The zip directory is parsed once, on
first use (:attr:`Content.zip`).
"""

from __future__ import annotations

import io
import os
import stat
import zipfile
from functools import cached_property
from pathlib import Path

from duban.evidence.limits import Limits
from duban.evidence.share import reason_for

from . import common
from .common import InspectError

NOT_REGULAR = "不是普通文件（管道、设备或文件夹），不计入佐证"


class Rejected(InspectError):
    """Refused before any reader ran; ``kind`` is what the content was found to be."""

    def __init__(self, kind: str, reason: str):
        super().__init__(reason)
        self.kind = kind


class Content:
    """The bytes of one file and where they came from."""

    def __init__(self, path: Path, data: bytes, signature: tuple[int, int, int]):
        self.path = path
        self.data = data
        self.signature = signature  # (size, mtime_ns, inode) of the open file, from fstat
        self.ext = path.suffix.lower()

    def stream(self) -> io.BytesIO:
        """A fresh file object over the bytes (for readers that want one: calamine, pypdf ...)."""
        return io.BytesIO(self.data)

    @cached_property
    def zip(self) -> zipfile.ZipFile | None:
        """The zip container, its central directory read once; None when it is not a readable zip."""
        try:
            return zipfile.ZipFile(self.stream())
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, KeyError):
            return None


def read_content(path: Path | str, limits: Limits) -> Content:
    """The file's bytes. Raises :class:`common.Unreadable` (gone, no permission: read again next
    time), :class:`Rejected` (empty, over ``max_file_bytes``) or :class:`InspectError` (not a
    regular file)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except (OSError, ValueError) as e:
        raise common.Unreadable(reason_for(e if isinstance(e, OSError) else UnicodeError(str(e)))[1]) from e
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise InspectError(NOT_REGULAR)
        if st.st_size == 0:
            raise Rejected("empty", common.EMPTY)
        if st.st_size > limits.max_file_bytes:
            raise Rejected("unknown", common.too_big(limits.max_file_bytes))
        with io.FileIO(fd, closefd=False) as f:
            data = f.readall()  # one buffer sized from fstat
    except OSError as e:
        raise common.Unreadable(reason_for(e)[1]) from e
    finally:
        os.close(fd)
    if not data:
        raise Rejected("empty", common.EMPTY)
    if len(data) > limits.max_file_bytes:  # grew while it was read
        raise Rejected("unknown", common.too_big(limits.max_file_bytes))
    return Content(path if isinstance(path, Path) else Path(path), data, (st.st_size, st.st_mtime_ns, st.st_ino))
