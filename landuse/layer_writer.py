"""A GeoPackage layer written by a child process from Arrow record batches sent through a pipe.

pyogrio's ``write_arrow`` holds the GIL for the whole of GDAL's write (measured: a Python
thread beside it ran at 3 % of its speed), so a writer thread would stall this process. A
child process writes on the other core while this one computes and converts the next
batches; the file is the one ``pyogrio.write_arrow`` would write in-process.

The child is ``python -m landuse.layer_writer OPTIONS_JSON``: it imports pyarrow and pyogrio
only and hands the batches to ``write_arrow``. Where the system has a memory-backed folder
(``/dev/shm`` with room to spare), each batch is an Arrow IPC file there: the child maps it
(no copy), tells when GDAL is done with it (one line on its standard output) and removes it,
and the parent keeps at most :data:`FILES_AHEAD` such files. Elsewhere the batches go as one
Arrow IPC stream through the child's standard input (a copy each way; about 2 s more of the
child's time for a million parcels). On any error the child removes the file it was
creating, prints GDAL's message on its standard error and exits with 1;
:meth:`LayerWriter.close` raises that message as a :class:`RuntimeError`.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from landuse.atomic import process_running

#: Bytes of the pipe's kernel buffer asked for (Linux; the default is 64 KiB): fewer switches
#: between the two processes per batch.
PIPE_BYTES = 1 << 20
#: Batches converted ahead of the child: one in the pipe, this many waiting in memory.
QUEUE_DEPTH = 1
#: Batch files in the memory-backed folder not yet written by the child (shared memory).
FILES_AHEAD = 2
#: The memory-backed folder used for batches, when it exists and has this much room.
SHM_DIR, SHM_MIN_FREE = Path("/dev/shm"), 1 << 30
_DONE = object()


class LayerWriter:
    """Write one layer of ``path`` in a child process; :meth:`write` Arrow record batches (the
    first one fixes the schema), then :meth:`close`. Use as a context manager: leaving it on
    an exception stops the child and leaves no layer half-written in a new file.

    ``options`` are :func:`pyogrio.write_arrow`'s keyword arguments (``layer``, ``driver``,
    ``geometry_name``, ``geometry_type``, ``crs``, ``append``, ``dataset_options``), all
    JSON-serialisable."""

    def __init__(self, path: str | os.PathLike[str], **options: Any) -> None:
        self.path = Path(path)
        # the child's messages go to a file: a pipe left unread while the child writes its
        # warnings would fill up and stop it
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close() or abort()
        self._shm = _shm_folder()
        self._files: list[Path] = []  # batch files sent and not yet removed by the child
        spec = json.dumps({"path": str(self.path), "options": options, "shm": bool(self._shm)})
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "landuse.layer_writer", spec],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE if self._shm else None,
            stderr=self._stderr,
        )
        _widen_pipe(self._proc.stdin)
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_DEPTH)
        self._error: BaseException | None = None
        self._ended = False  # the sender has taken the end of the batches
        self._sender = threading.Thread(target=self._send, name="layer-writer", daemon=True)
        self._sender.start()

    def _send(self) -> None:
        """Send the queued batches as one IPC stream (the pipe's writes release the GIL), or as
        files in shared memory."""
        import pyarrow as pa

        stream = None
        try:
            if self._shm is not None:
                self._send_files()
                return
            while (batch := self._next()) is not _DONE:
                if stream is None:
                    sink = pa.PythonFile(self._proc.stdin, mode="w")
                    stream = pa.ipc.new_stream(sink, batch.schema)
                stream.write_batch(batch)
            if stream is not None:
                stream.close()
        except BaseException as exc:  # a broken pipe: the child stopped, close() says why
            self._error = exc
            while not self._ended and self._next() is not _DONE:  # unblock the producer
                pass
        finally:
            with contextlib.suppress(OSError):
                self._proc.stdin.close()

    def _send_files(self) -> None:
        """Each batch as an IPC file in the shared-memory folder, its path a line on the
        child's input; past :data:`FILES_AHEAD` files, wait for the child's word that it
        removed the oldest (a line on its output)."""
        import pyarrow as pa

        sent = 0
        while (batch := self._next()) is not _DONE:
            if len(self._files) >= FILES_AHEAD:
                self._await_removal()
            path = self._shm / f"landuse-{os.getpid()}-{id(self)}-{sent}.arrow"
            self._files.append(path)
            with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, batch.schema) as out:
                out.write_batch(batch)
            del batch
            self._proc.stdin.write(f"{path}\n".encode())
            self._proc.stdin.flush()
            sent += 1
        self._proc.stdin.close()
        while self._files:
            self._await_removal()

    def _await_removal(self) -> None:
        if not self._proc.stdout.readline():  # the child stopped: close() says why
            raise BrokenPipeError("the layer writer stopped")
        self._files.pop(0)

    def _next(self) -> Any:
        """The next queued batch, or :data:`_DONE` (then :attr:`_ended` is set)."""
        item = self._queue.get()
        self._ended = item is _DONE
        return item

    def write(self, batch: Any) -> None:
        """Queue one record batch (blocks while :data:`QUEUE_DEPTH` are waiting)."""
        self._queue.put(batch)

    def close(self) -> None:
        """End the stream and wait for the child; raises :class:`RuntimeError` with GDAL's
        message when the layer could not be written."""
        self._queue.put(_DONE)
        self._sender.join()
        code = self._proc.wait()
        self._remove_files()
        self._stderr.seek(0)
        stderr = self._stderr.read().decode("utf-8", "replace")
        self._stderr.close()
        if code != 0:
            message = stderr.strip().splitlines()[-1] if stderr.strip() else f"exit code {code}"
            raise RuntimeError(message)
        if self._error is not None:
            raise RuntimeError(f"the layer writer stopped reading: {self._error}")

    def abort(self) -> None:
        """Stop the child without waiting for its batches; what it wrote is left to the
        caller (a temporary file of :class:`landuse.atomic.OutputSet`)."""
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        with contextlib.suppress(queue.Empty):
            while True:  # batches nobody will send: the sender then finds the end at once
                self._queue.get_nowait()
        self._queue.put_nowait(_DONE)
        with contextlib.suppress(OSError):
            self._proc.stdin.close()
        self._stderr.close()
        self._sender.join(timeout=5)
        self._remove_files()

    def _remove_files(self) -> None:
        """Batch files the child did not remove (it stopped), and the child's output pipe."""
        for path in self._files:
            path.unlink(missing_ok=True)
        self._files.clear()
        if self._proc.stdout is not None:
            with contextlib.suppress(OSError):
                self._proc.stdout.close()

    def __enter__(self) -> LayerWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def _shm_folder() -> Path | None:
    """The memory-backed folder for batch files, None when there is none with
    :data:`SHM_MIN_FREE` bytes free and write access (macOS, Windows, a small container).
    Batch files left by a process no longer running (killed before it sent them) are
    removed."""
    try:
        if not os.access(SHM_DIR, os.W_OK) or shutil.disk_usage(SHM_DIR).free < SHM_MIN_FREE:
            return None
        for stale in SHM_DIR.glob("landuse-*.arrow"):
            pid = stale.name.split("-")[1]
            if pid.isdigit() and not process_running(int(pid)):
                stale.unlink(missing_ok=True)
    except OSError:
        return None
    return SHM_DIR


def _widen_pipe(pipe: Any) -> None:
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)
    except (ImportError, OSError, ValueError):
        pass  # not Linux, or the limit is lower: the default buffer works, a little slower


def _child(spec_json: str) -> int:
    spec = json.loads(spec_json)
    path = Path(spec["path"])
    existed = path.exists()
    try:
        import pyarrow as pa
        import pyogrio

        if spec.get("shm"):
            reader = _mapped_batches(pa)
        else:
            reader = pa.ipc.open_stream(pa.PythonFile(sys.stdin.buffer, mode="r"))
        if reader is not None:
            pyogrio.write_arrow(reader, path, **spec["options"])
    except BaseException as exc:  # any failure is reported to the parent
        if not existed:
            path.unlink(missing_ok=True)
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"{type(exc).__name__}: {message}", file=sys.stderr, flush=True)
        return 1
    return 0


def _mapped_batches(pa: Any) -> Any:
    """The batch files named on standard input, mapped (no copy), as a RecordBatchReader;
    each is removed, and said so on standard output, once GDAL asks for the next one. None
    when no batch came."""

    def open_next() -> tuple[Any, Path] | None:
        line = sys.stdin.buffer.readline().decode().strip()
        if not line:
            return None
        path = Path(line)
        with pa.memory_map(str(path)) as source:
            return pa.ipc.open_file(source).get_batch(0), path

    first = open_next()
    if first is None:
        return None

    def batches() -> Any:
        current = first
        while current is not None:
            batch, path = current
            yield batch
            del batch, current  # GDAL asks for the next batch: it is done with this one
            path.unlink(missing_ok=True)
            sys.stdout.write("\n")
            sys.stdout.flush()
            current = open_next()

    return pa.RecordBatchReader.from_batches(first[0].schema, batches())


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1]))
