"""A GeoPackage layer written by a child process from Arrow record batches sent through a pipe.

pyogrio's ``write_arrow`` holds the GIL for the whole of GDAL's write (measured: a Python
thread beside it ran at 3 % of its speed), so a writer thread would stall this process. A
child process writes on the other core while this one computes and converts the next
batches; the file is the one ``pyogrio.write_arrow`` would write in-process.

The child is ``python -m landuse.layer_writer OPTIONS_JSON``: it imports pyarrow and pyogrio
only, reads one Arrow IPC stream from its standard input and hands it to ``write_arrow``. On
any error it removes the file it was creating, prints GDAL's message on its standard error
and exits with 1; :meth:`LayerWriter.close` raises that message as a :class:`RuntimeError`.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

#: Bytes of the pipe's kernel buffer asked for (Linux; the default is 64 KiB): fewer switches
#: between the two processes per batch.
PIPE_BYTES = 1 << 20
#: Batches converted ahead of the child: one in the pipe, this many waiting in memory.
QUEUE_DEPTH = 1
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
        spec = json.dumps({"path": str(self.path), "options": options})
        # the child's messages go to a file: a pipe left unread while the child writes its
        # warnings would fill up and stop it
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close() or abort()
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "landuse.layer_writer", spec],
            stdin=subprocess.PIPE,
            stderr=self._stderr,
        )
        _widen_pipe(self._proc.stdin)
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_DEPTH)
        self._error: BaseException | None = None
        self._sender = threading.Thread(target=self._send, name="layer-writer", daemon=True)
        self._sender.start()

    def _send(self) -> None:
        """Send the queued batches as one IPC stream (the pipe's writes release the GIL)."""
        import pyarrow as pa

        stream = None
        try:
            while (batch := self._queue.get()) is not _DONE:
                if stream is None:
                    sink = pa.PythonFile(self._proc.stdin, mode="w")
                    stream = pa.ipc.new_stream(sink, batch.schema)
                stream.write_batch(batch)
            if stream is not None:
                stream.close()
        except BaseException as exc:  # a broken pipe: the child stopped, close() says why
            self._error = exc
            while self._queue.get() is not _DONE:  # unblock the producer
                pass
        finally:
            with contextlib.suppress(OSError):
                self._proc.stdin.close()

    def write(self, batch: Any) -> None:
        """Queue one record batch (blocks while :data:`QUEUE_DEPTH` are waiting)."""
        self._queue.put(batch)

    def close(self) -> None:
        """End the stream and wait for the child; raises :class:`RuntimeError` with GDAL's
        message when the layer could not be written."""
        self._queue.put(_DONE)
        self._sender.join()
        code = self._proc.wait()
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
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(_DONE)
        with contextlib.suppress(OSError):
            self._proc.stdin.close()
        self._stderr.close()

    def __enter__(self) -> LayerWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


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

        reader = pa.ipc.open_stream(pa.PythonFile(sys.stdin.buffer, mode="r"))
        pyogrio.write_arrow(reader, path, **spec["options"])
    except BaseException as exc:  # any failure is reported to the parent
        if not existed:
            path.unlink(missing_ok=True)
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"{type(exc).__name__}: {message}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1]))
