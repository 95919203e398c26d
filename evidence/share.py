"""Reading the share: the one place duban touches the shared evidence folder.

Every OS call on a path under the evidence root — list a folder, ``stat`` a file, open and
hash it — goes through :class:`Share`. A failure never raises into the round: it comes back
as a :class:`Finding`, the path and a reason in plain Chinese (no permission, moved away
during the check, the network share blinked, a link loop, a name too long ...), and the
caller decides what the finding means for the verdict (``duban.check`` never judges an
obligation ``missing`` from a folder it could not read).

Names are kept as the OS gives them: ``str`` with undecodable bytes carried as lone
surrogates (Python's ``surrogateescape``), so the path can always be opened again. Such a
name is never written raw anywhere else:

- :func:`shown` — for people (terminal, email, reports, the check JSON): undecodable bytes
  and control characters made visible as ``\\xNN``;
- :func:`stored` / :func:`unstored` — for the store's text columns: a reversible escape with
  no lone surrogate in it;
- :func:`name_text` — for reading a folder's meaning (unit, task, round): a name that is not
  UTF-8 but reads as GB18030 (a Windows share mounted without the right charset) is read in
  that encoding.

Walks are iterative and bounded (:data:`MAX_DEPTH`), so a folder 1,100 levels deep costs a
line in the result, never the process's stack.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

MAX_DEPTH = 12  # folder levels below the root duban reads: unit / task / round and 9 more
CHUNK = 1 << 20

# test hook: called with the OS path right before a file is opened for hashing (a test moves
# or locks the file there, to build "gone between the scan and the hash" with the real OS)
before_open: Callable[[str], None] | None = None


# ---------------------------------------------------------------- names
_SURROGATE = re.compile("[\udc80-\udcff]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_STORE_ESCAPE = re.compile(r"\\|[\udc80-\udcff]")
_STORE_UNESCAPE = re.compile(r"\\(\\|x[0-9a-f]{2})")


def shown(text: str) -> str:
    """A name or path for people: control characters as ``\\xNN``, and in a name that is not
    UTF-8 every byte outside ASCII as ``\\xNN`` (part of a GBK name may happen to decode as
    UTF-8: showing those bytes as letters would only mislead)."""
    if text.isprintable():  # no control character, no undecodable byte: the common case, as is
        return text
    if _SURROGATE.search(text):
        text = "/".join(_bytes_shown(part) if _SURROGATE.search(part) else part for part in text.split("/"))
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _bytes_shown(part: str) -> str:
    return "".join(chr(b) if b < 0x80 else f"\\x{b:02x}" for b in raw_bytes(part))


def stored(text: str) -> str:
    """A path for a text column of the store: no lone surrogate, and :func:`unstored` gives it back."""
    if "\\" not in text and text.isprintable():  # nothing to escape: the common case, as is
        return text
    return _STORE_ESCAPE.sub(lambda m: "\\\\" if m.group() == "\\" else f"\\x{ord(m.group()) - 0xDC00:02x}", text)


def unstored(text: str) -> str:
    def one(m: re.Match) -> str:
        code = m.group(1)
        return "\\" if code == "\\" else chr(0xDC00 + int(code[1:], 16))

    return _STORE_UNESCAPE.sub(one, text)


def is_clean(name: str) -> bool:
    """True when the name is valid UTF-8 (no undecodable byte)."""
    return not _SURROGATE.search(name)


def raw_bytes(name: str) -> bytes:
    return name.encode("utf-8", "surrogateescape")


def gbk_reading(name: str) -> str | None:
    """How a name that is not UTF-8 reads in GB18030 (what a Chinese Windows share writes), or None."""
    if is_clean(name):
        return None
    try:
        return raw_bytes(name).decode("gb18030")
    except UnicodeDecodeError:
        return None


def name_text(name: str) -> str:
    """The text a folder name means: itself, its GB18030 reading, or its visible form."""
    if is_clean(name):
        return name
    return gbk_reading(name) or shown(name)


def encoding_note(name: str) -> str:
    """A note on a name that is not UTF-8 (empty for a clean name)."""
    if is_clean(name):
        return ""
    gbk = gbk_reading(name)
    return (
        "名称不是 UTF-8 编码"
        + (f"（按 GBK 读作“{gbk}”）" if gbk else "")
        + "，共享盘挂载时请指定字符集（如 iocharset=utf8）"
    )


# ---------------------------------------------------------------- reasons
_NETWORK = {
    errno.EIO,
    errno.ESTALE,
    errno.ETIMEDOUT,
    errno.EHOSTDOWN,
    errno.EHOSTUNREACH,
    errno.ENOTCONN,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.ENETDOWN,
    errno.ENETUNREACH,
    errno.EREMOTEIO,
    errno.EAGAIN,
    errno.EBUSY,
}


def reason_for(err: BaseException, what: str = "文件") -> tuple[str, str]:
    """(code, Chinese reason with the fix) for a failed OS call on a path."""
    if isinstance(err, UnicodeError):
        return "name", f"{what}名称无法处理（编码错误）：请在共享盘上重命名"
    code = getattr(err, "errno", None)
    why = getattr(err, "strerror", None) or str(err) or type(err).__name__
    if code in (errno.EACCES, errno.EPERM):
        return "permission", f"{what}没有读取权限：请共享盘管理员给运行 duban 的账户开放读取权限，然后重新检查"
    if code == errno.ENOENT:
        return "vanished", f"{what}在检查过程中被移走或删除：如仍要报送，请放回后重新检查"
    if code == errno.ENOTDIR:
        return "vanished", f"{what}在检查过程中被替换：请重新检查"
    if code == errno.ENAMETOOLONG:
        return "too-long", f"{what}路径过长，无法读取：请减少文件夹层级或缩短名称"
    if code == errno.ELOOP:
        return "loop", f"{what}是循环链接，无法读取：请删除该链接，把材料本身放进来"
    if code in _NETWORK:
        return "io", f"读取{what}时共享盘出错（{why}），可能是网络中断：恢复后重新检查"
    return "io", f"{what}无法读取（{why}）：请检查共享盘后重新检查"


@dataclass(frozen=True)
class Finding:
    """A path duban could not read, and why (shown form, Chinese reason)."""

    rel: str
    reason: str
    code: str = "io"  # permission | vanished | too-long | loop | io | name | not-regular


# ---------------------------------------------------------------- entries
class Entry(NamedTuple):
    """One name in a folder, with what its type looks like (links followed). A tuple: a walk
    makes one per name, 100,000 of them on a district share."""

    name: str  # as the OS gives it (surrogateescape)
    path: str  # OS path
    is_link: bool
    is_dir: bool  # a folder (or a link to one)
    error: OSError | None = None  # the type could not be read (a dangling link, a vanished entry ...)


@dataclass(frozen=True)
class Hashed:
    sha256: str
    size: int
    mtime_ns: int
    inode: int


class Share:
    """Reads one evidence root; every failure is a :class:`Finding`, never an exception."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    def rel(self, path: str | Path) -> str:
        try:
            return Path(path).relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def finding(self, path: str | Path, err: BaseException, what: str = "文件", rel: str | None = None) -> Finding:
        code, reason = reason_for(err, what)
        return Finding(shown(rel if rel is not None else self.rel(path)), reason, code)

    # -- folders
    def entries(self, path: str | Path, *, what: str = "文件夹", rel: str | None = None) -> list[Entry] | Finding:
        """The names in a folder, sorted (hidden files included: the caller decides)."""
        out: list[Entry] = []
        try:
            with os.scandir(path) as it:
                for e in it:
                    out.append(_entry(e))
        except (OSError, UnicodeError) as err:
            return self.finding(path, err, what, rel)
        out.sort(key=lambda e: e.name)
        return out

    def stat(self, path: str | Path, *, follow: bool = True, rel: str | None = None) -> os.stat_result | Finding:
        try:
            return os.stat(path, follow_symlinks=follow)
        except (OSError, UnicodeError, ValueError) as err:
            if isinstance(err, ValueError):  # a NUL in a name: no OS call can reach it
                err = UnicodeError(str(err))
            return self.finding(path, err, rel=rel)

    def real(self, path: str | Path) -> Path | None:
        """Where a path really lies (links resolved), or None when that cannot be read."""
        try:
            return Path(os.path.realpath(path))
        except (OSError, ValueError, RuntimeError):
            return None

    # -- files
    def hash(self, path: str | Path, *, rel: str | None = None) -> Hashed | Finding:
        """SHA-256 of a regular file, with the stat signature of what was read.

        Opened without blocking (a FIFO put in a file's place cannot stall the round) and
        checked to be a regular file after opening."""
        if before_open is not None:
            before_open(str(path))
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        except (OSError, UnicodeError, ValueError) as err:
            return self.finding(path, err if not isinstance(err, ValueError) else UnicodeError(str(err)), rel=rel)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                return Finding(
                    shown(rel or self.rel(path)), "不是普通文件（管道、设备或文件夹），不计入佐证", "not-regular"
                )
            h = hashlib.sha256()
            while chunk := os.read(fd, CHUNK):
                h.update(chunk)
            return Hashed(h.hexdigest(), st.st_size, st.st_mtime_ns, st.st_ino)
        except OSError as err:
            return self.finding(path, err, rel=rel)
        finally:
            os.close(fd)

    # -- whole trees
    def walk_files(self, top: str | Path, *, max_depth: int = MAX_DEPTH) -> Iterator[tuple[str, str] | Finding]:
        """(name, path) of every file under ``top`` (links to folders not followed), depth
        first, iteratively; an unreadable folder yields its Finding and the walk goes on;
        folders deeper than ``max_depth`` are not entered."""
        stack: list[tuple[str, int]] = [(str(top), 0)]
        while stack:
            folder, depth = stack.pop()
            listed = self.entries(folder)
            if isinstance(listed, Finding):
                yield listed
                continue
            for e in reversed(listed):
                if e.is_dir and not e.is_link:
                    if depth < max_depth:
                        stack.append((e.path, depth + 1))
                elif not e.is_dir:
                    yield e.name, e.path


def _entry(e: os.DirEntry) -> Entry:
    try:
        is_link = e.is_symlink()
        is_dir = e.is_dir(follow_symlinks=True)
        return Entry(e.name, e.path, is_link, is_dir)
    except OSError as err:
        return Entry(e.name, e.path, False, False, err)
