"""Packs: the built-in pack loads, a user pack extends it, and a broken pack says where it broke."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from escwatch.cli import app
from escwatch.errors import PackNotFoundError, PackSchemaError, PackYAMLError
from escwatch.packs import load_pack_dirs, load_packs


def test_builtin_pack_is_a_knowledge_base() -> None:
    pack = load_packs()
    people = [e for e in pack.entities.values() if e.type == "person"]
    assert len(pack.entities) >= 400 and len(people) >= 100
    assert len(pack.outlets) >= 150
    assert set(pack.indicators) >= {"nuclear_weapons_movement", "nuclear_test_activity", "territorial_annexation"}
    luhansk = next(e for e in pack.entities.values() if e.code == "UA-09")
    assert "Loegansk" in luhansk.all_aliases() and luhansk.lat is not None
    putin = pack.entities["vladimir_putin"]
    assert {"Путина", "Poetin"} <= putin.all_aliases()


def _pack(tmp_path: Path, entities: str) -> Path:
    d = tmp_path / "mypack"
    d.mkdir()
    (d / "pack.yaml").write_text("name: mine\nlanguages: [en]\n")
    (d / "entities.yaml").write_text(entities)
    return d


def test_user_pack_adds_entities(tmp_path: Path, db_url: str) -> None:
    d = _pack(tmp_path, "- id: zorg_institute\n  type: org\n  name: Zorg Institute\n  aliases: {en: [Zorg]}\n")
    db = db_url
    (tmp_path / "r.txt").write_text("Analysts at Zorg warned about nuclear exercises near Kaliningrad.")
    runner = CliRunner()
    assert (
        runner.invoke(app, ["--db", db, "--pack", str(d), "ingest", "--no-stories", str(tmp_path / "r.txt")]).exit_code
        == 0
    )
    out = runner.invoke(app, ["--db", db, "--pack", str(d), "export"]).stdout
    assert "Zorg Institute" in out


def test_yaml_error_names_the_line(tmp_path: Path) -> None:
    d = _pack(tmp_path, "- id: a\n  type: org\n  name: A\n  aliases: {en: [A\n")
    with pytest.raises(PackYAMLError) as err:
        load_pack_dirs([d])
    assert "entities.yaml:" in str(err.value) and "line" in str(err.value)


def test_schema_errors(tmp_path: Path) -> None:
    with pytest.raises(PackSchemaError):
        load_pack_dirs([_pack(tmp_path, "- id: a\n  type: spaceship\n  name: A\n")])
    with pytest.raises(PackNotFoundError):
        load_pack_dirs([tmp_path / "nowhere"])
