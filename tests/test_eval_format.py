"""The export runs through the team's scorer (shared/eval/score.py) when it is beside the checkout."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from escwatch.cli import app

SCORE = Path(__file__).resolve().parents[2] / "shared" / "eval" / "score.py"
SEED = Path(__file__).resolve().parents[2] / "shared" / "seed"


@pytest.mark.skipif(not SCORE.exists(), reason="shared/eval is not beside this checkout")
def test_score_py_reads_our_export(tmp_path: Path, db_url: str) -> None:
    db = db_url
    runner = CliRunner()
    assert runner.invoke(app, ["--db", db, "ingest", str(SEED)]).exit_code == 0
    res = runner.invoke(app, ["--db", db, "export", "--what", "reports", "--format", "jsonl"])
    out = tmp_path / "out.jsonl"
    out.write_text(res.stdout, encoding="utf-8")
    gold = tmp_path / "gold.jsonl"
    first = (SCORE.parent / "dev" / "gold.jsonl").read_text(encoding="utf-8").splitlines()[0]
    gold.write_text(first + "\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, str(SCORE), "--gold", str(gold), "--records", str(out), "--json"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["missing_records"] == []
    assert result["language_accuracy"] == 1.0
    assert result["cited_sources"]["recall"] == 1.0
    assert result["entities"]["f1"] >= 0.6
