"""The HTTP service (api/) under abuse: oversized, chunked, short and trickling bodies, HEAD,
reserved characters in park names, the OpenAPI document's per-collection parameters and
error answers, implausible screening numbers, a results file that disappears, files that are
not results files, and item pages while 5,000-project screenings run.

Servers are real: ``api.serve`` (what ``landuse serve`` runs) in a child process on a free
loopback port, read with raw sockets where the point is what the server does before a client
finishes sending, with httpx elsewhere, and with GDAL's OGC API Features driver (pyogrio).
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
import select
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import httpx
import pandas as pd
import pyogrio
import pytest
from conftest import REPO, Server, free_port

from landuse.pipeline import Results, write_results

PARK = "A/B 区?#%"  # every character a URL treats specially, and Chinese
RENAMED = "经开区南区"  # the sample park that takes that name
BODY_TIMEOUT_S = 1.0
KEEP_ALIVE_S = 2
MAX_BODY = 4 * 1024 * 1024  # the default cap
PROJECT = {
    "project_name": "年产 5 万套汽车零部件项目",
    "investment_wan": 12000,
    "area_mu": 30,
    "park": "经开区北区",
    "industry_code": "C3670",
    "plot_ratio": 1.2,
    "building_coverage": 0.45,
    "green_ratio": 0.15,
    "admin_living_share": 0.05,
}


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def results(sample_park: Results) -> Results:
    """The sample park as of 2025-12-31, one park renamed to :data:`PARK`."""
    parcels = sample_park.parcels.copy()
    parcels.loc[parcels["park"] == RENAMED, "park"] = PARK
    return dataclasses.replace(sample_park, parcels=parcels)


@pytest.fixture(scope="module")
def results_file(tmp_path_factory, results) -> Path:
    path = tmp_path_factory.mktemp("abuse") / "results.gpkg"
    write_results(results, path)
    return path


#: ``api.serve`` with short body and keep-alive timeouts.
SHORT_TIMEOUTS = {
    "LANDUSE_BODY_TIMEOUT_S": str(BODY_TIMEOUT_S),
    "LANDUSE_KEEP_ALIVE_S": str(KEEP_ALIVE_S),
}


def serve_briefly(start_server: Callable[..., Server], path: Path) -> Server:
    """The service on ``path`` through ``api.serve``, with short timeouts."""
    return start_server(path, via_serve=True, env=SHORT_TIMEOUTS)


@pytest.fixture(scope="module")
def server(start_server, results_file) -> Server:
    return serve_briefly(start_server, results_file)


def _connect(server: Server) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _read_response(sock: socket.socket, timeout: float) -> tuple[int, dict[str, str], bytes, bool]:
    """Status, headers, body and whether the server closed the connection after it."""
    sock.settimeout(timeout)
    data = b""
    closed = False
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            closed = True
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length and not closed:
        chunk = sock.recv(65536)
        if not chunk:
            closed = True
            break
        body += chunk
    if not closed:
        try:
            closed = sock.recv(1) == b""
        except TimeoutError:
            closed = False
        except ConnectionError:
            closed = True
    return status, headers, body, closed


def _post_head(server: Server, **headers: str) -> bytes:
    lines = ["POST /screening HTTP/1.1", f"Host: 127.0.0.1:{server.port}"]
    lines += [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


# --------------------------------------------------------------------------- body limits


def test_a_body_announced_over_the_cap_is_refused_before_it_is_sent(server):
    with _connect(server) as sock:
        sock.sendall(_post_head(server, Content_Type="application/json", Content_Length=str(10**9)))
        started = time.monotonic()
        status, headers, body, closed = _read_response(sock, timeout=10)
    assert time.monotonic() - started < 5  # answered at once, not after reading 1 GB
    assert status == 413
    assert headers["content-type"] == "application/json"
    doc = json.loads(body)
    assert doc["code"] == "PayloadTooLarge"
    assert f"{MAX_BODY:,}" in doc["description"]
    assert closed


def test_a_chunked_body_over_the_cap_is_cut_off_while_it_streams(server):
    chunk = b"[" + b" " * (64 * 1024 - 1)
    sent = 0
    with _connect(server) as sock:
        sock.sendall(
            _post_head(server, Content_Type="application/json", Transfer_Encoding="chunked")
        )
        try:
            while sent < 3 * MAX_BODY:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
                chunk = b" " * len(chunk)
                if select.select([sock], [], [], 0)[0]:
                    break  # the answer is there
        except (BrokenPipeError, ConnectionResetError):
            pass
        status, _, body, closed = _read_response(sock, timeout=10)
    assert status == 413
    assert json.loads(body)["code"] == "PayloadTooLarge"
    assert closed
    assert sent < 3 * MAX_BODY  # the server stopped reading; the client did not finish


def test_the_default_cap_holds_5000_projects(server):
    body = json.dumps([PROJECT] * 5000, ensure_ascii=False).encode()
    assert len(body) < MAX_BODY
    resp = httpx.post(
        server.url + "/screening",
        content=body,
        headers={"content-type": "application/json"},
        timeout=60,
    )
    assert resp.status_code == 200
    assert len(resp.json()) == 5000


def test_a_short_upload_times_out_with_408(server):
    with _connect(server) as sock:
        sock.sendall(
            _post_head(server, Content_Type="application/json", Content_Length="1000")
            + b'{"investment_wan": 1'
        )
        started = time.monotonic()
        status, _, body, closed = _read_response(sock, timeout=10)
        waited = time.monotonic() - started
    assert status == 408
    assert json.loads(body)["code"] == "RequestTimeout"
    assert closed
    assert BODY_TIMEOUT_S * 0.8 <= waited < BODY_TIMEOUT_S + 3


def test_a_trickling_upload_times_out_too(server):
    payload = json.dumps(PROJECT).encode()
    with _connect(server) as sock:
        sock.sendall(
            _post_head(server, Content_Type="application/json", Content_Length=str(len(payload)))
        )
        started = time.monotonic()
        answered = False
        for byte in payload:  # one byte every 0.2 s: would take minutes
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                break
            if select.select([sock], [], [], 0.2)[0]:
                answered = True
                break
        assert answered
        status, _, body, closed = _read_response(sock, timeout=10)
    assert status == 408 and closed
    assert time.monotonic() - started < BODY_TIMEOUT_S + 3


def test_an_idle_connection_is_closed_after_the_keep_alive_timeout(server):
    with _connect(server) as sock:
        sock.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode())
        status, _, _, closed = _read_response(sock, timeout=0.5)
        assert status == 200 and not closed
        sock.settimeout(KEEP_ALIVE_S + 5)
        started = time.monotonic()
        assert sock.recv(1) == b""
    assert time.monotonic() - started < KEEP_ALIVE_S + 3


# --------------------------------------------------------------------------- HEAD


def _tile_with_data(server: Server) -> str:
    bbox = server.get("/collections/parcels").json()["extent"]["spatial"]["bbox"][0]
    lon, lat = (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2
    z = 12
    n = 1 << z
    x = int((lon + 180) / 360 * n)
    import math

    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return f"/collections/parcels/tiles/WebMercatorQuad/{z}/{y}/{x}"


def test_head_answers_wherever_get_does(server):
    fid = server.get("/collections/parcels/items?limit=1").json()["features"][0]["id"]
    summary = f"/parks/{quote(PARK, safe='')}/summary"
    paths = {
        "/": ["/", "/?f=html"],
        "/conformance": ["/conformance"],
        "/collections": ["/collections"],
        "/collections/{collectionId}": ["/collections/parcels", "/collections/parks?f=html"],
        "/collections/{collectionId}/queryables": ["/collections/parks/queryables"],
        "/collections/{collectionId}/schema": ["/collections/parcels/schema"],
        "/collections/parcels/items": ["/collections/parcels/items?limit=3"],
        "/collections/parks/items": ["/collections/parks/items?f=html"],
        # results without footprints: 404 naming the collections there are
        "/collections/buildings/items": ["/collections/buildings/items"],
        "/collections/{collectionId}/items/{featureId}": [f"/collections/parcels/items/{fid}"],
        "/collections/{collectionId}/tiles": ["/collections/parks/tiles"],
        "/collections/{collectionId}/tiles/WebMercatorQuad/tilejson.json": [
            "/collections/parcels/tiles/WebMercatorQuad/tilejson.json"
        ],
        "/collections/{collectionId}/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}": [
            _tile_with_data(server),
            "/collections/parcels/tiles/WebMercatorQuad/3/0/0",  # empty: 204
        ],
        "/parks": ["/parks"],
        "/parks/{park}/summary": [summary, summary + "?f=html"],
        "/runs": ["/runs", "/runs?f=html"],
        # a results file is one run: nothing before it to compare with
        "/runs/{run}/changes": ["/runs/1/changes", "/runs/1/changes?compare=1"],
        "/ranking": ["/ranking"],
        # a results file: 409, inspections need a store of runs (tests/test_inspections_api.py)
        "/inspections": ["/inspections", "/inspections?f=html"],
        "/inspections/queue": ["/inspections/queue?status=open"],
    }
    documented = {
        path for path, item in server.get("/api").json()["paths"].items() if "get" in item
    }
    assert documented == set(paths)  # a new GET route needs a sample here
    others = [
        "/api",
        "/api.html",
        "/map",
        "/map/assets/leaflet.js",
        "/nowhere",
        "/parks/nix/summary",
    ]
    statuses = set()
    with httpx.Client(base_url=server.url, timeout=60) as client:
        for path in [p for group in paths.values() for p in group] + others:
            got, head = client.get(path), client.head(path)
            statuses.add(got.status_code)
            assert head.status_code == got.status_code, path
            assert head.content == b"", path
            assert head.headers.get("content-type") == got.headers.get("content-type"), path
            if "content-length" in got.headers:
                assert head.headers["content-length"] == got.headers["content-length"], path
            assert head.headers.get("etag") == got.headers.get("etag"), path
    assert {200, 204, 404, 409} <= statuses
    for post_only in ("/screening", "/inspections/queue/B"):
        head = httpx.head(server.url + post_only, timeout=30)
        assert head.status_code == 405
        assert "POST" in head.headers["allow"]


# --------------------------------------------------------------------------- park names in links


def test_a_park_name_with_reserved_characters_survives_every_link(server, results):
    parcels = results.parcels
    expected = int(((parcels["park"] == PARK) & parcels.geometry.notna()).sum())
    assert expected > 5
    listing = server.get("/parks").json()["parks"]
    (doc,) = [p for p in listing if p["park"] == PARK]
    links = {link["rel"]: link["href"] for link in doc["links"]}
    assert quote(PARK, safe="") in links["self"]
    summary = httpx.get(links["self"], timeout=30)
    assert summary.status_code == 200
    assert summary.json()["park"] == PARK
    assert summary.json()["parcels"] == int((parcels["park"] == PARK).sum())
    page = httpx.get(links["alternate"], timeout=30)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert html.escape(PARK) in page.text
    json_href = html.unescape(re.search(r'<a href="([^"]+)">JSON</a>', page.text).group(1))
    assert httpx.get(json_href, timeout=30).json()["park"] == PARK

    # the park's parcels, followed page by page through the next links
    href, seen = links["items"] + "&limit=5", []
    while href:
        items = httpx.get(href, timeout=30).json()
        seen += [f["properties"]["park"] for f in items["features"]]
        href = next((ln["href"] for ln in items["links"] if ln["rel"] == "next"), None)
    assert seen == [PARK] * expected

    # the HTML items pages link their next page with the filter kept
    first = server.get("/collections/parcels/items", params={"park": PARK, "limit": 5, "f": "html"})
    nxt = html.unescape(re.search(r'<a href="([^"]+)">next', first.text).group(1))
    assert "park=" + quote(PARK, safe="").replace("%20", "+") in nxt.replace("%20", "+")
    assert "<td>" + html.escape(PARK) + "</td>" in httpx.get(nxt, timeout=30).text

    # GDAL turns an attribute filter into ?park=... and reads the parcels back
    gdal = pyogrio.read_dataframe(f"OAPIF:{server.url}", layer="parcels", where=f"park = '{PARK}'")
    assert len(gdal) == expected and set(gdal["park"]) == {PARK}
    parks = pyogrio.read_dataframe(f"OAPIF:{server.url}", layer="parks")
    assert PARK in set(parks["park"])


# --------------------------------------------------------------------------- OpenAPI


def test_openapi_lists_each_collection_its_own_filters_and_every_error(server):
    doc = server.get("/api").json()
    paths = doc["paths"]
    assert "/collections/{collectionId}/items" not in paths

    def names(path: str) -> set[str]:
        return {p["name"] for p in paths[path]["get"]["parameters"]}

    paging = {"bbox", "bbox-crs", "limit", "offset", "sortby", "f", "run", "datetime"}
    assert names("/collections/parks/items") == paging | {"park", "group_kind"}
    parcel_filters = names("/collections/parcels/items") - paging
    assert {"parcel_id", "park", "status", "below_threshold", "industry_code"} <= parcel_filters
    parks_queryables = set(server.get("/collections/parks/queryables").json()["properties"])
    parcels_queryables = set(server.get("/collections/parcels/queryables").json()["properties"])
    assert parks_queryables == {"park", "group_kind"}
    assert parcels_queryables <= parcel_filters

    error = {"$ref": "#/components/schemas/Exception"}
    assert doc["components"]["schemas"]["Exception"]["required"] == ["code", "description"]
    for path, item in paths.items():
        for method, op in item.items():
            responses = op["responses"]
            expected = {"400"}
            if any(p["in"] == "path" or p["name"] == "run" for p in op.get("parameters", [])):
                expected.add("404")  # no such resource, or no such run
            if path.startswith(("/collections", "/parks", "/runs", "/ranking", "/inspections")):
                expected.add("503")
            if path.startswith("/inspections"):
                expected.add("409")  # only a store of runs records inspections
            if method == "post":
                expected |= {"408", "413", "422"}
            errors = {code for code in responses if code[0] in "45"}
            assert errors == expected, (method, path, errors)
            for code in errors:
                assert responses[code]["content"]["application/json"]["schema"] == error


# --------------------------------------------------------------------------- screening input


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"area_mu": True}, "area_mu"),
        ({"investment_wan": True}, "investment_wan"),
        ({"area_mu": 0}, "area_mu"),
        ({"area_mu": 5e-324}, "area_mu"),
        ({"investment_wan": 0}, "investment_wan"),
        ({"investment_wan": 5e-324}, "investment_wan"),
        ({"investment_wan": 1e300}, "investment_wan"),
        ({"investment_wan": "12000"}, "investment_wan"),
        ({"area_mu": None, "area_m2": 0.5}, "area_m2"),  # below 1 m²
        ({"area_mu": None, "area_ha": 1e7}, "area_ha"),  # 100,000 km²
        ({"plot_ratio": False}, "plot_ratio"),
        ({"green_ratio": True}, "green_ratio"),
    ],
)
def test_screening_refuses_implausible_numbers_naming_the_field(server, change, field):
    project = {k: v for k, v in {**PROJECT, **change}.items() if v is not None}
    text = json.dumps(project, ensure_ascii=False)  # 5e-324 and 1e300 written as such
    resp = httpx.post(
        server.url + "/screening",
        content=text.encode(),
        headers={"content-type": "application/json"},
        timeout=30,
    )
    assert resp.status_code == 422, resp.text
    doc = resp.json()
    assert doc["code"] == "InvalidBody"
    assert ["body", field] in [e["loc"] for e in doc["errors"]]
    assert field in doc["description"]


def test_screening_still_takes_integers_and_the_smallest_plausible_area(server):
    project = {"investment_wan": 1, "area_m2": 1}  # 1 万元 on 1 m²: 10,000 万元/ha
    resp = httpx.post(server.url + "/screening", json=[project, PROJECT], timeout=30)
    assert resp.status_code == 200, resp.text
    tiny, usual = resp.json()
    assert tiny["area_ha"] == pytest.approx(1e-4)
    assert tiny["intensity_wan_per_ha"] == pytest.approx(10_000.0)
    assert usual["investment_wan"] == 12000.0


# --------------------------------------------------------------------------- results file


def test_a_deleted_results_file_answers_503_until_a_new_one_is_there(
    start_server, results_file, tmp_path
):
    served = tmp_path / "served.gpkg"
    served.write_bytes(results_file.read_bytes())
    server = serve_briefly(start_server, served)
    tile = _tile_with_data(server)
    assert server.get("/collections/parcels/items?limit=1").status_code == 200
    served.unlink()
    for path in ["/collections/parcels/items", "/collections/parks", "/parks", tile]:
        resp = server.get(path)
        assert resp.status_code == 503, path
        assert resp.json()["code"] == "ResultsUnavailable"
        assert str(served) in resp.json()["description"]
    assert server.get("/").status_code == 200  # what does not need the file still answers
    assert httpx.post(server.url + "/screening", json=PROJECT, timeout=30).status_code == 200

    served.write_text("not a results file", encoding="utf-8")  # something unreadable
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        resp = server.get("/collections/parcels/items")
        assert resp.status_code == 503  # never the old results
        if "not a results file" in resp.json()["description"]:
            break
        time.sleep(0.2)
    assert str(served) in resp.json()["description"]
    assert "`parcels` layer" in resp.json()["description"]

    served.write_bytes(results_file.read_bytes())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        resp = server.get("/collections/parcels/items?limit=1")
        if resp.status_code == 200:
            break
        assert resp.status_code == 503
        time.sleep(0.2)
    assert resp.status_code == 200
    assert server.get(tile).status_code == 200


@pytest.mark.parametrize("kind", ["no parcels layer", "text named .gpkg", "plain parquet"])
def test_serve_on_a_file_that_is_not_results_says_so_and_exits_2(tmp_path, results, kind):
    if kind == "no parcels layer":
        bad = tmp_path / "roads.gpkg"
        pyogrio.write_dataframe(results.parcels[["parcel_id", "geometry"]], bad, layer="roads")
        why = "no `parcels` layer"
    elif kind == "text named .gpkg":
        bad = tmp_path / "notes.gpkg"
        bad.write_text("meeting notes\n", encoding="utf-8")
        why = "GDAL cannot open it as a GeoPackage"
    else:  # a plain Parquet file is results when it has their columns (ledgers alone)
        bad = tmp_path / "table.parquet"
        pd.DataFrame({"parcel_id": ["1"], "area_ha": [1.0]}).to_parquet(bad)
        why = "is not a results file"
    port = free_port()
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "landuse.cli", "serve", str(bad), "--port", str(port)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    message = " ".join(proc.stderr.split())  # rich wraps long lines
    assert bad.name in message and why in message
    assert "not a results file" in message or "not a GeoPackage" in message
    assert "landuse analyse" in message
    assert "Uvicorn running" not in proc.stderr + proc.stdout
    assert time.monotonic() - started < 60


# --------------------------------------------------------------------------- concurrency

SCREENING_LOAD = r"""
import sys, threading, time, httpx, json
url, clients, each = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
project = json.loads(sys.argv[4])
body = json.dumps([dict(project, investment_wan=1000 + i) for i in range(5000)]).encode()
times, failures = [], []
def run():
    with httpx.Client(timeout=120) as client:
        for _ in range(each):
            t = time.perf_counter()
            r = client.post(url, content=body, headers={"content-type": "application/json"})
            times.append(time.perf_counter() - t)
            if r.status_code != 200 or not r.content.startswith(b"[{"):
                failures.append(r.status_code)
print("ready", flush=True)
sys.stdin.readline()
threads = [threading.Thread(target=run) for _ in range(clients)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps({"times": times, "failures": failures}), flush=True)
"""


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _stall_round(server: Server) -> tuple[bool, str]:
    """One measurement: item pages idle (before and after), then while three clients each
    send three 5,000-project screenings. Whether p99 during ≤ max(5 x idle p99, 50 ms), and
    the figures."""
    page = "/collections/parcels/items?limit=100"
    with httpx.Client(base_url=server.url, timeout=60) as client:

        def timed(count: int, until: Callable[[], bool] = lambda: False) -> list[float]:
            out = []
            for _ in range(count):
                if until():
                    break
                t = time.perf_counter()
                assert client.get(page).status_code == 200
                out.append(time.perf_counter() - t)
            return out

        timed(20)  # warm: connection, caches
        idle_before = timed(150)
        load = subprocess.Popen(
            [
                sys.executable,
                "-c",
                SCREENING_LOAD,
                server.url + "/screening",
                "3",
                "3",
                json.dumps(PROJECT),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert load.stdout.readline().strip() == "ready"
            load.stdin.write("go\n")
            load.stdin.flush()
            time.sleep(0.2)  # the first screening is under way
            during = timed(5000, until=lambda: load.poll() is not None)
            out, _ = load.communicate(timeout=120)
        finally:
            if load.poll() is None:
                load.kill()
        idle_after = timed(150)
    outcome = json.loads(out.strip().splitlines()[-1])
    assert outcome["failures"] == [] and len(outcome["times"]) == 9
    assert len(during) >= 50
    idle_p99 = max(_p(idle_before, 0.99), _p(idle_after, 0.99))
    bound = max(5 * idle_p99, 0.050)
    figures = (
        f"idle p50 {_p(idle_before, 0.5) * 1e3:.1f} ms p99 {idle_p99 * 1e3:.1f} ms; during "
        f"({len(during)} pages, 9 screenings, median {_p(outcome['times'], 0.5):.2f} s) p50 "
        f"{_p(during, 0.5) * 1e3:.1f} ms p99 {_p(during, 0.99) * 1e3:.1f} ms; bound "
        f"{bound * 1e3:.0f} ms"
    )
    print(figures)
    return _p(during, 0.99) <= bound, figures


def test_screenings_do_not_stall_item_pages(server):
    """Item-page latency while 5,000-project screenings run stays within p99 ≤ max(5 x idle
    p99, 50 ms). Idle is measured before and after (the larger p99 counts); the 50 ms floor
    and a second round, taken only when the first misses, keep the scheduling bursts of other
    processes on a shared 2-core machine from failing the test. A stalled server (the event
    loop or the GIL held through a screening: seconds) fails both rounds."""
    rounds = []
    for _ in range(2):
        ok, figures = _stall_round(server)
        rounds.append(figures)
        if ok:
            break
    assert ok, " | ".join(rounds)
