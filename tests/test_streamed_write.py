"""The parcels layer streamed to a child process while the analysis goes on in chunks
(``landuse.layer_writer``, ``GpkgParcelStream``, ``pipeline.assemble``): the GeoPackage is the
one a single pass writes, and a failed or stopped writer leaves no file behind.

A province's run streams (layers of 131,072 parcels or more); here the thresholds are lowered
so that the sample park's 294 parcels go through the same path in chunks of 37."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyogrio
import pytest
from test_safe_outputs import _analyse as sample_park_args
from typer.testing import CliRunner

from landuse import cli, layer_writer, outputs, pipeline
from landuse.analysis import REPLACED_INPUTS, analyse
from landuse.layer_writer import LayerWriter
from landuse.outputs import GpkgParcelStream
from landuse.pipeline import run_analysis
from landuse.rules_file import load_rules
from landuse.schema import INPUT_NAMES

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"


def _analyse(out: Path) -> None:
    result = CliRunner().invoke(cli.app, sample_park_args(str(out), "2025-12-31"))
    assert result.exit_code == 0, result.output


def _layers(path: Path) -> dict[str, pa.Table]:
    names = [str(name) for name in pyogrio.list_layers(path)[:, 0]]
    tables = {}
    for name in names:
        meta, table = pyogrio.read_arrow(path, layer=name)
        tables[name] = (meta["geometry_type"], meta["crs"], table)
    return tables


def test_a_streamed_run_writes_the_geopackage_of_a_single_pass(tmp_path, monkeypatch) -> None:
    _analyse(tmp_path / "single.gpkg")
    monkeypatch.setattr(outputs, "CHILD_WRITER_ROWS", 1)
    monkeypatch.setattr(pipeline, "ANALYSIS_CHUNK_ROWS", 37)
    streamed_here = []
    real_begin = GpkgParcelStream.begin

    def begin(self, *args):
        streamed_here.append(real_begin(self, *args))
        return streamed_here[-1]

    monkeypatch.setattr(GpkgParcelStream, "begin", begin)
    _analyse(tmp_path / "streamed.gpkg")
    assert streamed_here == [True]  # the layer went through the child process

    single, streamed = _layers(tmp_path / "single.gpkg"), _layers(tmp_path / "streamed.gpkg")
    assert list(streamed) == list(single)
    assert streamed["parcels"][2].num_rows == 294  # sample_data/README.md
    for name, (geometry_type, crs, table) in single.items():
        other_type, other_crs, other = streamed[name]
        assert (other_type, other_crs) == (geometry_type, crs), name
        assert other.schema.equals(table.schema), name
        if name == "layer_styles":  # written when the run ends
            table, other = table.drop_columns("update_time"), other.drop_columns("update_time")
        assert other.equals(table), name


def _sample_run(**options):
    """The sample park analysed as the session's ``sample_park`` fixture is."""
    return run_analysis(
        [SAMPLE / "parcels.gpkg"],
        rules=load_rules(SAMPLE / "rules.toml"),
        as_of="2025-12-31",
        ledger=[SAMPLE / "ledger.xlsx"],
        parks=SAMPLE / "parks.gpkg",
        **options,
    )


class _Collect:
    """A sink that takes every chunk (as the GeoPackage stream does) and keeps their sizes."""

    def __init__(self) -> None:
        self.rows: list[int] = []

    def begin(self, crs, geometry_type, rows) -> bool:
        return True

    def write(self, parcels) -> None:
        self.rows.append(len(parcels))


def test_parcels_analysed_in_chunks_equal_one_pass(sample_park, monkeypatch) -> None:
    """Every column, dtype and value of a run analysed in chunks of 37 is that of one pass:
    categorical columns whose categories differ from chunk to chunk join on their union, the
    input columns the analysis does not replace are taken from the parcels as loaded."""
    monkeypatch.setattr(pipeline, "ANALYSIS_CHUNK_ROWS", 37)
    sink = _Collect()
    chunked = _sample_run(sink=sink)
    assert sink.rows == [37] * 7 + [294 - 7 * 37]
    whole = sample_park.parcels
    assert chunked.parcels.crs == whole.crs
    pd.testing.assert_frame_equal(pd.DataFrame(chunked.parcels), pd.DataFrame(whole))
    pd.testing.assert_frame_equal(chunked.summary, sample_park.summary)


def test_the_analysis_returns_its_inputs_unchanged_but_the_replaced_ones(sample_park) -> None:
    """What chunked runs rely on (:data:`landuse.analysis.REPLACED_INPUTS`)."""
    loaded = (
        _sample_run().loaded.parcels
    )  # the analysed parcels replace the loaded ones: compare with analyse()
    parcels = sample_park.parcels
    again = analyse(loaded, pd.Timestamp("2025-12-31"), load_rules(SAMPLE / "rules.toml"))
    assert "area_ha" in REPLACED_INPUTS
    for name in INPUT_NAMES:
        if name in REPLACED_INPUTS or name not in parcels.columns:
            continue
        pd.testing.assert_series_equal(again[name], loaded[name], check_names=False)


def _batch(rows: int = 3) -> pa.RecordBatch:
    return pa.record_batch({"parcel_id": [f"P{i}" for i in range(rows)], "area_ha": [1.0] * rows})


def test_a_stopped_writer_leaves_no_file(tmp_path) -> None:
    path = tmp_path / "parcels.gpkg"
    stream = GpkgParcelStream(path)
    assert stream.begin(None, "Polygon", outputs.CHILD_WRITER_ROWS) is True
    stream._writer.write(_batch())
    stream.abort()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_layer_too_small_or_without_geometry_is_not_streamed(tmp_path) -> None:
    stream = GpkgParcelStream(tmp_path / "parcels.gpkg")
    assert stream.begin(None, "Polygon", outputs.CHILD_WRITER_ROWS - 1) is False
    assert stream.begin(None, None, 10 * outputs.CHILD_WRITER_ROWS) is False
    assert not stream.streamed
    assert list(tmp_path.iterdir()) == []


def test_the_writers_error_reaches_the_caller_and_no_file_is_left(tmp_path) -> None:
    """GDAL cannot create the file (its folder is missing): GDAL's message is raised here."""
    path = tmp_path / "missing" / "out.gpkg"
    with (
        pytest.raises(RuntimeError, match="missing/out.gpkg"),
        LayerWriter(path, layer="parcels", driver="GPKG") as writer,
    ):
        writer.write(_batch())
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(
    layer_writer._shm_folder() is None, reason="no shared-memory folder on this system"
)
def test_batch_files_of_a_killed_run_are_removed_and_none_are_left() -> None:
    """A run killed with SIGKILL may leave a batch file in /dev/shm: the next writer removes
    the files of processes no longer running, never those of a running one; a streamed
    layer leaves none of its own."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    stale = layer_writer.SHM_DIR / f"landuse-{gone.pid}-1-0.arrow"
    alive = layer_writer.SHM_DIR / f"landuse-{os.getpid()}-1-0.arrow"
    stale.write_bytes(b"x")
    alive.write_bytes(b"x")
    try:
        assert layer_writer._shm_folder() == layer_writer.SHM_DIR
        assert not stale.exists() and alive.exists()
    finally:
        stale.unlink(missing_ok=True)
        alive.unlink(missing_ok=True)
    before = set(layer_writer.SHM_DIR.glob(f"landuse-{os.getpid()}-*"))
    with tempfile.TemporaryDirectory() as folder:
        with LayerWriter(Path(folder) / "t.gpkg", layer="t", driver="GPKG") as writer:
            for _ in range(5):  # more than FILES_AHEAD: the child removes them as it goes
                writer.write(_batch())
        _, table = pyogrio.read_arrow(Path(folder) / "t.gpkg")
    assert table.num_rows == 15
    assert set(layer_writer.SHM_DIR.glob(f"landuse-{os.getpid()}-*")) == before
