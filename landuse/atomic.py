"""Writing output files so that nothing is lost.

Every file of a run is written under a hidden temporary name in its own folder
(``.<name>.<pid>-<token>.tmp<suffix>``: the suffix is kept so that writers which choose the
format by extension still recognise it) and renamed into place with :func:`os.replace` only when
every file of the run is complete. A run stopped at any moment leaves the previous files as they
were, or no new file, never a partial one. The only window is the renaming itself (microseconds
per file): the main file is renamed last, so a new main file means every file of the set is new.

Temporary files are removed when writing fails, on Ctrl+C and on SIGTERM. A process killed with
SIGKILL cannot clean up; the next run that writes the same output removes the temporary files
of processes that are no longer running (the process id is part of the name).

:func:`check_outputs` is the check made before anything is read: an output that is also an
input is refused, an existing output is replaced only with ``overwrite``, and a folder that
cannot be written is named.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import re
import secrets
import signal
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType, TracebackType

from landuse.errors import InputError

#: Temporary names written by :class:`OutputSet`: ``.<final name>.<pid>-<8 hex>.tmp<suffix>``
#: (``.probe`` instead of ``.tmp`` for the empty file :func:`check_outputs` creates and removes).
TEMP_NAME = re.compile(
    r"^\.(?P<name>.+)\.(?P<pid>\d+)-(?P<token>[0-9a-f]{8})\.(?:tmp|probe)(?P<suffix>.*)$"
)
# Files SQLite (GeoPackage) may leave beside a database it was writing.
_SQLITE_SIDE_FILES = ("-journal", "-wal", "-shm")
# Signals that end a run politely: the temporary files are removed before the process exits.
_STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def temp_path(final: Path, kind: str = "tmp") -> Path:
    """A fresh hidden temporary name beside ``final``, keeping its extension."""
    token = secrets.token_hex(4)
    return final.with_name(f".{final.name}.{os.getpid()}-{token}.{kind}{final.suffix}")


def _remove(path: Path) -> None:
    """Remove ``path`` and the SQLite side files a GeoPackage writer may leave beside it."""
    for name in (path.name, *(path.name + side for side in _SQLITE_SIDE_FILES)):
        with contextlib.suppress(FileNotFoundError):
            (path.parent / name).unlink()


def process_running(pid: int) -> bool:
    """Whether process ``pid`` exists (always true on Windows, where ``os.kill`` would end it)."""
    if pid == os.getpid() or os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process: it exists
        return True
    return True


def remove_stale_temps(final: Path) -> list[Path]:
    """Remove the temporary files of ``final`` left by processes that are no longer running
    (a run killed with SIGKILL); returns what was removed."""
    removed = []
    folder = final.parent
    with contextlib.suppress(OSError):
        for candidate in folder.glob(f".{glob.escape(final.name)}.*-*.*"):
            m = TEMP_NAME.match(candidate.name)
            if m is None or m["name"] != final.name:
                continue
            if not process_running(int(m["pid"])):
                _remove(candidate)
                removed.append(candidate)
    return sorted(removed)


def _fsync_file(path: Path) -> None:
    # Windows flushes only a handle open for writing
    fd = os.open(path, os.O_RDWR if os.name == "nt" else os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # some platforms cannot open a folder; the rename is done all the same
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _stop_exception(signum: int) -> BaseException:
    """What a stop signal raises: KeyboardInterrupt for Ctrl+C, else SystemExit with the
    shell's exit status for "killed by signal n" (128 + n). Both unwind the stack, so every
    ``finally`` runs and the temporary files are removed."""
    if signum == signal.SIGINT:
        return KeyboardInterrupt()
    return SystemExit(128 + signum)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold Ctrl+C and the stop signals while the files are renamed (microseconds), so a run is
    not stopped between two renames; a held signal takes effect right after."""
    held = set(_STOP_SIGNALS)
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - Windows
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class OutputSet:
    """The files one run writes, committed together.

    ``temp(final)`` hands out the temporary path to write ``final`` to; ``commit()`` renames
    every temporary file into place once all are written (the first path asked for last).
    Used as a context manager it commits on success and removes every temporary file on an
    error, Ctrl+C, SIGTERM or SIGHUP (then KeyboardInterrupt or SystemExit(128 + n) goes on,
    also when a library swallowed it while the signal interrupted its callback). With
    ``overwrite=False`` a file that appeared at a final path while the run was working is not
    replaced (:class:`~landuse.errors.InputError`).
    """

    def __init__(self, *, overwrite: bool = True) -> None:
        self.overwrite = overwrite
        self.stopped_by: int | None = None  # the stop signal received while writing
        self._temps: dict[Path, Path] = {}
        self._saved_handlers: dict[int, object] = {}

    def temp(self, final: str | os.PathLike[str]) -> Path:
        """The temporary path for ``final`` (the same one when asked twice)."""
        final = Path(final)
        if final not in self._temps:
            remove_stale_temps(final)
            self._temps[final] = temp_path(final)
        return self._temps[final]

    @property
    def finals(self) -> list[Path]:
        """The final paths, in the order they were first asked for."""
        return list(self._temps)

    def commit(self) -> list[Path]:
        """Rename every temporary file into place; returns the final paths."""
        missing = [final for final, temp in self._temps.items() if not temp.exists()]
        if missing:
            raise RuntimeError(f"{missing[0]} was never written; nothing was replaced")
        if not self.overwrite:
            appeared = [final for final in self._temps if final.exists()]
            if appeared:
                raise InputError(
                    f"输出文件已存在 (output exists): {appeared[0]} appeared while the run was "
                    "working and was left as it is. Run again with --overwrite to replace it, "
                    "or choose another output name."
                )
        for temp in self._temps.values():
            _fsync_file(temp)
        with _signals_held():
            for final, temp in reversed(list(self._temps.items())):
                os.replace(temp, final)
        for folder in {final.parent for final in self._temps}:
            _fsync_folder(folder)
        finals = self.finals
        self._temps.clear()
        return finals

    def discard(self) -> None:
        """Remove every temporary file not yet renamed into place."""
        for temp in self._temps.values():
            _remove(temp)
        self._temps.clear()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        # The handler itself removes the temporary files: the signal may land anywhere,
        # also on the first line of ``__exit__`` before its ``finally`` is armed. The list is
        # kept so that ``__exit__`` removes again what a writer may still create.
        self.stopped_by = signum
        for temp in self._temps.values():
            with contextlib.suppress(OSError):
                _remove(temp)
        self._restore_handlers()
        raise _stop_exception(signum)

    def _restore_handlers(self) -> None:
        for signum, handler in self._saved_handlers.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        self._saved_handlers.clear()

    def __enter__(self) -> OutputSet:
        if threading.current_thread() is threading.main_thread():
            for signum in _STOP_SIGNALS:
                self._saved_handlers[signum] = signal.signal(signum, self._on_signal)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None and self.stopped_by is None:
                self.commit()
        finally:
            self.discard()
            self._restore_handlers()
        if self.stopped_by is not None and not isinstance(exc, KeyboardInterrupt | SystemExit):
            # a writer's C code turned the signal's exception into its own error (or dropped
            # it): the run was asked to stop, so it stops
            raise _stop_exception(self.stopped_by) from exc


@contextlib.contextmanager
def atomic_file(final: str | os.PathLike[str], *, overwrite: bool = True) -> Iterator[Path]:
    """Write one file atomically: ``with atomic_file(p) as tmp: write(tmp)``."""
    with OutputSet(overwrite=overwrite) as files:
        yield files.temp(final)


# --------------------------------------------------------------------------------------------
# The check made before a run reads anything


def _same_file(a: Path, b: Path) -> bool:
    """``a`` and ``b`` name one file (through symbolic links, ``..`` or a second hard link)."""
    if a.exists() and b.exists():
        with contextlib.suppress(OSError):
            return os.path.samefile(a, b)
    return a.resolve() == b.resolve()


def _probe(final: Path) -> None:
    """Create and remove a temporary file as the run will, to find an unwritable folder or a
    too-long name before any work; raises the OSError."""
    temp = temp_path(final, "probe")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    temp.unlink()


_OS_FIXES = {
    errno.EACCES: "choose a folder you can write to, or ask for write permission",
    errno.EPERM: "choose a folder you can write to, or ask for write permission",
    errno.EROFS: "the disk is read-only: choose a folder on a writable disk",
    errno.ENOSPC: "the disk is full: free some space or choose a folder on another disk",
    errno.EDQUOT: "the disk quota is used up: free some space or choose another folder",
    errno.ENAMETOOLONG: "the name is too long: choose a shorter file or folder name",
    errno.ENOENT: "check the path and the file name",
    errno.ENOTDIR: "a part of the path is a file, not a folder: check the path",
    errno.EISDIR: "this is a folder: name a file",
}


def os_error_fix(exc: OSError) -> str:
    """What the user can do about an operating-system error, by its errno."""
    return _OS_FIXES.get(exc.errno or 0, "check the path and try again")


def _os_reason(exc: OSError) -> str:
    return exc.strerror or errno.errorcode.get(exc.errno or 0, str(exc))


def check_outputs(
    outputs: Sequence[str | os.PathLike[str]],
    *,
    inputs: Sequence[tuple[str, str | os.PathLike[str] | None]] = (),
    overwrite: bool = False,
    option: str = "--out",
    folder: str | os.PathLike[str] | None = None,
) -> list[Path]:
    """Check, before anything is read, every file a run will write.

    ``outputs``: the main output first, then the files written beside it. ``inputs``: pairs of
    (how the user named it, path), e.g. ``("--ledger", "ledger.xlsx")``. Refused with an
    :class:`InputError` naming the file and the fix: an output that is one of the inputs (also
    through a link), an output that is a folder or write-protected, an existing output without
    ``overwrite``, a folder that cannot be written (the error of the operating system is named).
    ``option`` names the main output in messages or, with ``folder``, the folder it names (as
    ``demo --out-dir``). Returns the outputs as paths.
    """
    paths = [Path(p) for p in outputs]
    main = paths[0]
    given = [(label, Path(p)) for label, p in inputs if p is not None]

    def which(path: Path) -> str:
        if folder is not None:
            return f"{path} (in {option} {folder})"
        return f"{option} {path}" if path == main else f"{path} (written beside {option} {main})"

    for path in paths:
        for label, source in given:
            if _same_file(path, source):
                raise InputError(
                    f"输出会覆盖输入 (output is an input): {which(path)} is the input {label} "
                    f"{source}; writing there would destroy it. Choose another {option} name, "
                    "e.g. in a results folder."
                )
    for path in paths:
        if path.is_dir():
            raise InputError(
                f"{which(path)} is an existing folder. Name a file for the output instead, or "
                "move the folder."
            )
    existing = [p for p in paths if p.exists()]
    if existing and not overwrite:
        more = len(existing) - 1
        others = f" (and {more} more file{'s' * (more > 1)} of this output)" if more else ""
        raise InputError(
            f"输出文件已存在 (output exists): {which(existing[0])} is already there{others}. "
            f"Add --overwrite to replace it, or choose another {option}."
        )
    for path in existing:
        if not os.access(path, os.W_OK):
            raise InputError(
                f"{which(path)} is write-protected, so it is not replaced. Make it writable, or "
                f"choose another {option}."
            )
    for path in paths:
        try:
            _probe(path)
        except OSError as exc:
            raise InputError(
                f"无法写入 (cannot write): {which(path)}: {_os_reason(exc)} (folder "
                f"{path.parent.absolute()}). 请处理后重试 (fix): {os_error_fix(exc)}."
            ) from None
    return paths
