"""Quality gate on the team's corpus: scores per metric and language may not fall below the pinned
baseline (tests/quality_baseline.json, raised only by scripts/quality_gate.py --raise), and the
findings must match the reviewed golden snapshot (regenerate with scripts/quality_gate.py --golden)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import quality_gate  # noqa: E402

from escwatch.evaluation import snapshot  # noqa: E402

SHARED_SCORER = ROOT.parent / "shared" / "eval" / "score.py"


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):  # type: ignore[no-untyped-def]
    if not list(quality_gate.CORPUS.glob("reports_*.jsonl")):
        pytest.skip("no corpus")
    return quality_gate.evaluate(tmp_path_factory.mktemp("gate"))


def test_scores_meet_the_baseline(evaluated) -> None:  # type: ignore[no-untyped-def]
    scores, _ = evaluated
    baseline = json.loads(quality_gate.BASELINE.read_text())
    below = [f"{lang}.{m}: {scores[lang][m]:.3f} < {want}" for lang, row in baseline.items()
             for m, want in row.items() if scores.get(lang, {}).get(m, 0.0) + 1e-9 < want]
    assert not below, "quality fell below the baseline:\n" + "\n".join(below)


def test_findings_match_the_golden_snapshot(evaluated) -> None:  # type: ignore[no-untyped-def]
    _, recs = evaluated
    golden = {json.loads(x)["url"]: json.loads(x) for x in quality_gate.GOLDEN.read_text(encoding="utf-8").splitlines()}
    changed = [r["url"] for r in recs if snapshot(r) != golden.get(r["url"] or r["source"])]
    assert not changed, f"{len(changed)} reports changed; review with scripts/quality_gate.py --golden: {changed[:5]}"


def test_baseline_covers_every_language() -> None:
    baseline = json.loads(quality_gate.BASELINE.read_text())
    assert {"nl", "en", "de", "fr", "pl", "ru", "uk"} <= baseline.keys()


@pytest.mark.skipif(not SHARED_SCORER.exists(), reason="shared/eval is not beside this checkout")
def test_vendored_scorer_is_the_teams() -> None:
    assert (ROOT / "tests" / "eval" / "score.py").read_bytes() == SHARED_SCORER.read_bytes()


def test_the_echo_is_not_counted_as_corroboration(evaluated, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    """The train story is told by many outlets in 7 languages, nearly all echoing The Times and one
    Telegram video: escwatch must count a handful of independent origins, not one per report."""
    _, recs = evaluated
    rows = {r["story"]: r for r in quality_gate.origins(quality_gate.LAST_WORKDIR, recs)}
    train = rows["train-12gumo"]
    assert train["escwatch_story_size"] >= 10
    assert train["independent_origins"] <= train["escwatch_story_size"] // 2
    assert train["expected_named"] >= 2  # Telegram and The Times are among what escwatch names
