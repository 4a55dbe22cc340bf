"""What several test modules share: the sample park analysed once per session, and the service
run in a child process on a loopback port (as users run it), read by real clients."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import openpyxl
import pytest

from landuse.pipeline import Results, run_analysis, write_results
from landuse.rules_file import load_rules

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_data"
RULES = SAMPLE / "rules.toml"
SAMPLE_AS_OF = "2025-12-31"


@pytest.fixture(scope="session")
def sample_park() -> Results:
    """The sample park (sample_data/) analysed as of 2025-12-31 as ``landuse demo`` does.

    Shared by every module of the session: never change it in place (copy the parcels and
    ``dataclasses.replace`` the results)."""
    return run_analysis(
        [SAMPLE / "parcels.gpkg"],
        rules=load_rules(RULES),
        as_of=SAMPLE_AS_OF,
        ledger=[SAMPLE / "ledger.xlsx"],
        parks=SAMPLE / "parks.gpkg",
    )


@pytest.fixture(scope="session")
def sample_park_gpkg(sample_park: Results, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """:func:`sample_park` written as a results GeoPackage (do not change it: copy it)."""
    out = tmp_path_factory.mktemp("sample_park") / "sample_park.gpkg"
    write_results(sample_park, out)
    return out


def free_port() -> int:
    """A TCP port free on the loopback interface now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fill_form(workbook: Path, out: Path, parcel: str, values: dict[str, str]) -> Path:
    """The 待核查 sheet of ``workbook`` with ``values`` (Chinese column → text) filled in on the
    row of ``parcel``, as an inspector would, saved as ``out``."""
    book = openpyxl.load_workbook(workbook)
    ws = book["待核查"]
    header_row = next(r for r in range(1, 10) if "核查结论" in [c.value for c in ws[r] if c.value])
    columns = {c.value: c.column for c in ws[header_row] if c.value}
    row = next(
        r for r in range(header_row + 1, ws.max_row + 1)
        if ws.cell(r, columns["宗地编号"]).value == parcel
    )  # fmt: skip
    for name, value in values.items():
        ws.cell(row, columns[name]).value = value
    book.save(out)
    return out


class Server:
    """The service in a child process on a loopback port.

    ``target``: a results file, or a store of runs with ``store=True``. By default uvicorn runs
    the app factory (``api.app:create_app_from_env``) with the settings in the environment;
    ``via_serve=True`` runs ``api.serve`` (what ``landuse serve`` calls). ``env``: more
    ``LANDUSE_*`` settings. The rules are the sample park's."""

    def __init__(
        self,
        target: Path,
        log: Path,
        *,
        via_serve: bool = False,
        store: bool = False,
        env: dict[str, str] | None = None,
        log_level: str = "warning",
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        variables = {**os.environ, "LANDUSE_RULES_PATH": str(RULES), **(env or {})}
        variables.pop("LANDUSE_RESULTS_PATH", None)
        variables.pop("LANDUSE_STORE_PATH", None)
        if via_serve:  # the entry point `landuse serve` calls
            where = "store_path=sys.argv[1]" if store else "results_path=sys.argv[1]"
            code = (
                "import sys; from api import serve; "
                f"serve(host='127.0.0.1', port=int(sys.argv[2]), log_level={log_level!r}, "
                f"{where})"
            )
            command = [sys.executable, "-c", code, str(target), str(self.port)]
        else:
            variables["LANDUSE_STORE_PATH" if store else "LANDUSE_RESULTS_PATH"] = str(target)
            command = [
                sys.executable,
                "-m",
                "uvicorn",
                "api.app:create_app_from_env",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                log_level,
            ]
        self._log = log.open("wb")
        self.proc = subprocess.Popen(
            command, cwd=REPO, env=variables, stdout=self._log, stderr=subprocess.STDOUT
        )
        self.log = log
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._log.close()
                raise RuntimeError(f"server exited:\n{log.read_text(errors='replace')}")
            try:
                if httpx.get(self.url + "/", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not start:\n{log.read_text(errors='replace')}")

    def get(self, path: str, **kwargs) -> httpx.Response:
        return httpx.get(self.url + path, timeout=60, **kwargs)

    def post(self, path: str, **kwargs) -> httpx.Response:
        return httpx.post(self.url + path, timeout=60, **kwargs)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


@pytest.fixture(scope="module")
def start_server(tmp_path_factory) -> Iterator[Callable[..., Server]]:
    """Start servers (``start_server(path, **options)``, options of :class:`Server`); all are
    stopped at the end of the module."""
    servers: list[Server] = []
    logs = tmp_path_factory.mktemp("server_logs")

    def start(target: Path, **options) -> Server:
        server = Server(target, logs / f"server_{len(servers)}.log", **options)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
