"""Exports read back with standard readers and compared with the store (demo corpus)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import Stores
from escwatch.cli import app
from escwatch.report.estimative import with_range, words


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory, stores: Stores) -> str:
    tmp = tmp_path_factory.mktemp("exports")
    db = stores.new("exports")
    r = CliRunner().invoke(app, ["demo", "--db", str(db), "--brief", str(tmp / "b.md"), "--json"])
    assert r.exit_code == 0, r.output
    return db


def _export(db: str, what: str, fmt: str, *extra: str) -> str:
    r = CliRunner().invoke(app, ["--db", str(db), "export", "--what", what, "--format", fmt, *extra])
    assert r.exit_code == 0, r.output
    return r.stdout


def _reports(db: str) -> list[dict]:  # type: ignore[type-arg]
    return json.loads(CliRunner().invoke(app, ["--db", str(db), "reports", "--json", "--limit", "1000"]).stdout)


def test_csv_opens_with_csv_and_pandas_and_matches_the_store(demo_db: str) -> None:
    text = _export(demo_db, "reports", "csv", "--bom")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    store = {r["id"]: r for r in _reports(demo_db)}
    assert {r["id"] for r in rows} == set(store)
    for r in rows:
        assert r["language"] == store[r["id"]]["language"]
        assert set(filter(None, r["indicators"].split("; "))) == set(store[r["id"]]["indicators"])
    df = pd.read_csv(io.StringIO(text), encoding_errors="strict")
    assert len(df) == len(store)
    for what in ("stories", "observations", "alerts"):
        got = pd.read_csv(io.StringIO(_export(demo_db, what, "csv")))
        assert len(got.columns) > 3


def test_geojson_is_valid_and_points_are_the_places(demo_db: str) -> None:
    fc = json.loads(_export(demo_db, "reports", "geojson"))
    assert fc["type"] == "FeatureCollection" and fc["features"]
    recs = {r["id"]: r for r in map(json.loads, _export(demo_db, "reports", "jsonl").splitlines())}
    for f in fc["features"]:
        assert f["type"] == "Feature" and f["geometry"]["type"] == "Point"
        lon, lat = f["geometry"]["coordinates"]
        assert -180 <= lon <= 180 and -90 <= lat <= 90
        place = next(p for p in recs[f["properties"]["report"]]["places"] if p["name"] == f["properties"]["place"])
        assert (round(place["lon"], 6), round(place["lat"], 6)) == (lon, lat)
    obs = json.loads(_export(demo_db, "observations", "geojson"))
    assert {f["properties"]["indicator"] for f in obs["features"]} >= {"nuclear_weapons_movement"}


def test_plover_and_misp(demo_db: str) -> None:
    obs = [json.loads(x) for x in _export(demo_db, "observations", "jsonl").splitlines()]
    events = json.loads(_export(demo_db, "observations", "plover"))
    assert len(events) == len(obs) and len({e["event_id"] for e in events}) == len(events)
    move = next(e for e in events if e["escwatch_nuclear"]["indicator"] == "nuclear_weapons_movement")
    assert move["event_type"] == "MOBILIZE" and move["escwatch_nuclear"]["reliability"] in "ABCDEF"
    again = json.loads(_export(demo_db, "observations", "plover"))
    assert [e["event_id"] for e in again] == [e["event_id"] for e in events]  # stable ids
    misp = json.loads(_export(demo_db, "observations", "misp"))
    assert len(misp) == len({o["story_id"] for o in obs})
    tags = {t["name"] for ev in misp for a in ev["Event"]["Attribute"] for t in a.get("Tag", [])}
    assert any(t.startswith("admiralty-scale:source-reliability=") for t in tags)
    assert any(t.startswith("admiralty-scale:information-credibility=") for t in tags)


def test_impossible_combinations_are_refused_without_output(demo_db: str, tmp_path: Path) -> None:
    out = tmp_path / "x.geojson"
    r = CliRunner().invoke(app, ["--db", str(demo_db), "export", "--what", "alerts", "--format", "geojson",
                                 "-o", str(out)])
    assert r.exit_code != 0 and not out.exists()


def test_estimative_words() -> None:
    assert words(0.03) == "almost no chance" and words(0.5) == "roughly even chance" and words(0.7) == "likely"
    assert words(0.99) == "almost certain" and with_range(0.7) == "likely (55%–80%)"
