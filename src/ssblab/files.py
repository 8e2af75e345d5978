"""Files in and out: the check every reader makes first, and atomic output.

:func:`check_input_file` looks at a path before anything reads it (a regular file, not empty,
below a size limit), so a FIFO, a device, a folder or a huge file is refused at once instead of
hanging or filling the memory. :func:`atomic_write` and :func:`atomic_folder` make sure a reader
never sees a half-written file or folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from pathlib import Path

from ssblab.errors import InputError

MAX_BYTES_ENV = "SSBLAB_MAX_INPUT_BYTES"
#: Default size limits by kind of input; ``SSBLAB_MAX_INPUT_BYTES`` (bytes, or with a suffix
#: such as ``8G``) replaces them all. Beyond these sizes a file is almost surely a mistake
#: (a 2 GB CIF, /dev/zero), and reading it would take the machine's memory first.
MAX_BYTES = {"table": 2 * 1024**3, "structure": 256 * 1024**2, "volume": 32 * 1024**3,
             "trajectory": 32 * 1024**3, "json": 64 * 1024**2}

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def max_input_bytes(kind: str = "table") -> int:
    """The size limit for an input of ``kind``: ``$SSBLAB_MAX_INPUT_BYTES`` or the default.

    Examples
    --------
    >>> max_input_bytes("structure") == 256 * 1024**2
    True
    """
    text = os.environ.get(MAX_BYTES_ENV, "").strip()
    if not text:
        return MAX_BYTES.get(kind, MAX_BYTES["table"])
    scale = {"K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}.get(text[-1].upper(), 1)
    number = text[:-1] if scale > 1 else text
    try:
        value = int(float(number) * scale)
    except ValueError:
        raise InputError(f"{MAX_BYTES_ENV}: expected a size in bytes such as 4000000000 or 8G, "
                         f"found {text!r}") from None
    if value <= 0:
        raise InputError(f"{MAX_BYTES_ENV}: expected a positive size, found {text!r}")
    return value


def check_input_file(path: str | os.PathLike, *, kind: str = "table",
                     max_bytes: int | None = None, allow_empty: bool = False) -> Path:
    """Refuse anything a reader should not open: missing, not a regular file, empty, too big.

    Only ``os.stat`` is used, so a FIFO is never opened (it would block) and a device never
    read. ``max_bytes`` (default :func:`max_input_bytes` for ``kind``) can be raised with the
    environment variable ``SSBLAB_MAX_INPUT_BYTES``.

    Examples
    --------
    >>> check_input_file("/dev/zero")
    Traceback (most recent call last):
    ...
    ssblab.errors.InputError: /dev/zero: expected a regular file, found a character device
    """
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError(f"{path}: cannot open: file not found") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        raise InputError(f"{path}: cannot open: {getattr(exc, 'strerror', None) or exc}") \
            from None
    if not stat.S_ISREG(info.st_mode):
        found = next((name for test, name in _KINDS if test(info.st_mode)), "not a regular file")
        raise InputError(f"{path}: expected a regular file, found {found}")
    if info.st_size == 0 and not allow_empty:
        raise InputError(f"{path}: the file is empty (0 bytes)")
    limit = max_input_bytes(kind) if max_bytes is None else int(max_bytes)
    if info.st_size > limit:
        raise InputError(f"{path}: {_size(info.st_size)} is above the {_size(limit)} limit for "
                         f"a {kind} file; if it is right, raise the limit with "
                         f"{MAX_BYTES_ENV}=<bytes> (e.g. {MAX_BYTES_ENV}=64G)")
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: cannot open: permission denied")
    return path


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} bytes"


def check_output_folder(path: str | os.PathLike, *, name: str = "out") -> Path:
    """Check before any work that ``path`` can become an output folder; nothing is created.

    Refused: an empty name, an existing file, a path under a file, a name too long or with a
    NUL byte, and a folder this process cannot write into (tried with a temporary folder).
    """
    text = os.fspath(path)
    if not str(text).strip():
        raise InputError(f"{name}: expected a folder name, found an empty string")
    if "\0" in str(text):
        raise InputError(f"{name}: invalid path {text!r} (a NUL byte in the name)")
    path = Path(text)
    try:
        if path.exists() and not path.is_dir():
            raise InputError(f"{name}: {path} exists and is not a folder")
        ancestor = path.absolute()
        while not ancestor.exists():
            ancestor = ancestor.parent
    except ValueError as exc:  # an embedded NUL byte
        raise InputError(f"{name}: invalid path {text!r} ({exc})") from None
    except OSError as exc:
        raise InputError(f"{name}: invalid path {text!r} ({exc.strerror or exc})") from None
    if not ancestor.is_dir():
        raise InputError(f"{name}: cannot create {path}: {ancestor} is a file, not a folder")
    limit = os.pathconf(ancestor, "PC_NAME_MAX") if hasattr(os, "pathconf") else 255
    long = [part for part in path.absolute().relative_to(ancestor).parts if len(part) > limit]
    if long:
        raise InputError(f"{name}: invalid path: the name {long[0][:40]!r}... is longer than "
                         f"{limit} characters")
    try:
        probe = tempfile.mkdtemp(dir=ancestor, prefix=".ssblab-probe-")
        os.rmdir(probe)
    except OSError as exc:
        raise InputError(f"{name}: cannot write into {ancestor}: {exc.strerror or exc}") from None
    return path


def check_output_file(path: str | os.PathLike, *, name: str = "output",
                      suffixes: tuple[str, ...] | None = None) -> Path:
    """Check before any work that ``path`` can be written as a file: a name, not a folder, in a
    folder that can be created and written, with one of ``suffixes`` when given."""
    text = os.fspath(path)
    if not str(text).strip():
        raise InputError(f"{name}: expected a file name, found an empty string")
    path = Path(text)
    if path.is_dir():
        raise InputError(f"{name}: {path} is a folder; expected a file name")
    if suffixes is not None and path.suffix.lower() not in suffixes:
        raise InputError(f"{name}: expected a file ending in {' or '.join(suffixes)}, found "
                         f"{path.name!r}")
    check_output_folder(path.parent if str(path.parent) else Path("."), name=name)
    return path


_STAGED: dict[Path, Path] = {}


def final_path(path: str | os.PathLike) -> Path:
    """Where a path inside a folder staged by :func:`atomic_folder` will end up."""
    path = Path(path)
    for stage, final in _STAGED.items():
        if path == stage or stage in path.parents:
            return final / path.relative_to(stage)
    return path


@contextlib.contextmanager
def atomic_folder(path: str | os.PathLike):
    """Write a folder as one transaction: yield a hidden staging folder beside ``path``.

    On success (or ``SystemExit``: the CLI's "written, but the analysis failed") a new folder
    is renamed into place in one step; into an existing folder the staged files are moved
    with ``os.replace`` each, only after all of them were written. On any other exception the
    staging folder is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    _STAGED[stage] = path
    try:
        try:
            yield stage
        except SystemExit:
            _commit(stage, path)
            raise
        _commit(stage, path)
    finally:
        _STAGED.pop(stage, None)
        shutil.rmtree(stage, ignore_errors=True)


def _commit(stage: Path, path: Path) -> None:
    if not any(stage.iterdir()):
        return
    os.chmod(stage, 0o777 & ~_umask())  # mkdtemp makes 0700; give what mkdir would
    if not path.exists():
        os.rename(stage, path)
        return
    for item in sorted(stage.rglob("*")):
        target = path / item.relative_to(stage)
        if item.is_dir():
            target.mkdir(exist_ok=True)
        else:
            os.replace(item, target)


def atomic_write(path: str | os.PathLike, data: str | bytes, *, fsync: bool = True) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    ``fsync=False`` skips flushing to disk (a reader still never sees half a file, but a
    power cut may leave an empty one): for many small files whose reader checks them.
    Inside a folder staged by :func:`atomic_folder` the file is written directly (no temporary
    file, no fsync): nobody sees the staging folder before it is renamed into place, so that
    rename is the one atomic step (2000 files are written in a fraction of the time).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    if final_path(path) != path:
        with open(path, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as fh:
            fh.write(data)
        return path
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as fh:
            fh.write(data)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give what open() would
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_csv(path: str | os.PathLike, rows: list[dict]) -> Path:
    """Write a list of dicts as CSV (columns: union of keys, in first-seen order), atomically."""
    import csv
    import io

    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return atomic_write(path, buffer.getvalue())
