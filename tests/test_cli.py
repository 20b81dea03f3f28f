import json
from pathlib import Path

from typer.testing import CliRunner

from escwatch.cli import app

FIX = Path(__file__).parent / "fixtures" / "reports"
runner = CliRunner()


def test_help_everywhere() -> None:
    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0
    for cmd in ("ingest", "export", "show", "demo", "reports", "errors"):
        assert cmd in res.output
        sub = runner.invoke(app, [cmd, "--help"])
        assert sub.exit_code == 0, cmd


def test_ingest_export_show(tmp_path: Path, db_url: str) -> None:
    db = db_url
    res = runner.invoke(app, ["--db", db, "ingest", str(FIX)])
    assert res.exit_code == 0, res.output
    assert "new 5, duplicate 0, failed 0" in res.output
    res = runner.invoke(app, ["--db", db, "ingest", "--json", str(FIX)])
    data = json.loads(res.stdout)
    assert data["new"] == 0 and data["duplicate"] == 5
    res = runner.invoke(app, ["--db", db, "export", "--what", "reports", "--format", "jsonl"])
    rows = [json.loads(x) for x in res.stdout.splitlines()]
    assert len(rows) == 5
    nl = next(r for r in rows if r["source"].endswith("nl_trein.txt"))
    assert nl["language"] == "nl"
    assert nl["cited_sources"][:2] == ["The Times", "The Telegraph"]
    assert any(e["name"] == "Vladimir Putin" for e in nl["entities"])
    res = runner.invoke(app, ["--db", db, "show", nl["id"][:10]])
    assert res.exit_code == 0
    assert "Konrad Muzyka" in res.output and "nuclear_weapons_movement" in res.output
    res = runner.invoke(app, ["--db", db, "show", "--json", nl["id"]])
    assert json.loads(res.stdout)["id"] == nl["id"]


def test_bad_files_fail_softly(tmp_path: Path, db_url: str) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "good.txt").write_text("Poetin sprak over de NAVO en over kernwapens in Europa.", "utf-8")
    (tmp_path / "in" / "empty.txt").write_text("")
    (tmp_path / "in" / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "in" / "bad.jsonl").write_text('{"text": "ok report about NATO"}\n{oops\n', "utf-8")
    db = db_url
    res = runner.invoke(app, ["--db", db, "ingest", str(tmp_path / "in")])
    assert res.exit_code == 1  # something failed
    assert "new 2, duplicate 0, failed 3" in res.output
    res = runner.invoke(app, ["--db", db, "errors", "--json"])
    codes = sorted(e["code"] for e in json.loads(res.stdout))
    assert codes == ["E101", "E102", "E104"]
    res = runner.invoke(app, ["--db", db, "show", "nope"])
    assert res.exit_code != 0


def test_demo_runs_whole_pipeline(tmp_path: Path, db_url: str) -> None:
    db, brief = db_url, tmp_path / "brief.md"
    res = runner.invoke(app, ["demo", "--db", str(db), "--brief", str(brief), "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["reports"] >= 20
    assert len(summary["languages"]) >= 5
    assert summary["indicators"].get("nuclear_weapons_movement", 0) >= 3
    assert summary["stories"] >= 3
    text = brief.read_text(encoding="utf-8")
    assert "nuclear_weapons_movement" in text and "## Sources" in text


def test_store_urls_are_normalised_and_passwords_never_shown() -> None:
    from escwatch.config import Settings, shown

    assert Settings(db="postgresql://u:secret@127.0.0.1/db").db_url == "postgresql+psycopg://u:secret@127.0.0.1/db"
    assert Settings(db="postgres://u@h/db").db_url == "postgresql+psycopg://u@h/db"
    assert Settings(db="x.db").db_url.startswith("sqlite:///")
    assert "secret" not in shown("postgresql://u:secret@127.0.0.1/db") and "***" in shown("postgresql://u:s@h/d")
    assert shown("local.db") == "local.db"
