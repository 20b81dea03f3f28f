"""Score escwatch on the team's corpus (tests/fixtures/corpus) and manage the quality gate.

    python scripts/quality_gate.py              # print scores per metric and language
    python scripts/quality_gate.py --raise      # raise tests/quality_baseline.json where scores improved
    python scripts/quality_gate.py --golden     # rewrite the golden snapshot for review (git diff)

The baseline can only go up: --raise keeps the higher of the old and the new value.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from pathlib import Path

from escwatch.analyse.context import make_context
from escwatch.evaluation import origins_table, run_corpus, score, snapshot, summary

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "fixtures" / "corpus"
BASELINE = ROOT / "tests" / "quality_baseline.json"
GOLDEN = CORPUS / "expected.jsonl"
SCORER = ROOT / "tests" / "eval" / "score.py"
LAST_WORKDIR = Path(tempfile.gettempdir())  # the folder of the last evaluate() run (tests read its store)


def evaluate(workdir: Path) -> tuple[dict, list[dict]]:  # type: ignore[type-arg]
    global LAST_WORKDIR
    LAST_WORKDIR = workdir
    recs = run_corpus(sorted(CORPUS.glob("reports_*.jsonl")), workdir / "corpus.db", make_context())
    gold = workdir / "gold.jsonl"
    gold.write_text("".join(p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("gold_*.jsonl"))),
                    encoding="utf-8")
    return summary(score(gold, recs, workdir, SCORER)), recs


def origins(workdir: Path, recs: list[dict]) -> list[dict]:  # type: ignore[type-arg]
    """Escwatch's origins per labelled story against the corpus writers' expected origins."""
    gold_story = {json.loads(x)["url"]: json.loads(x)["story"]
                  for p in sorted(CORPUS.glob("gold_*.jsonl")) for x in p.read_text(encoding="utf-8").splitlines()}
    expected: dict[str, set[str]] = {}
    for p in sorted(CORPUS.glob("origins_*.json")):
        for label, names in json.loads(p.read_text(encoding="utf-8")).items():
            expected.setdefault(label, set()).update(names)
    return origins_table(workdir / "corpus.db", recs, gold_story, expected)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--raise", dest="raise_", action="store_true", help="raise the baseline where scores improved")
    ap.add_argument("--golden", action="store_true", help="rewrite the golden snapshot")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        scores, recs = evaluate(Path(tmp))
        for row in origins(Path(tmp), recs):
            print(f"{row['story']:<22} reports={row['reports']:<3} story size={row['escwatch_story_size']:<3} "
                  f"independent origins={row['independent_origins']:<2} expected named="
                  f"{row['expected_named']}/{row['expected_origins']}  {', '.join(row['origins'])[:90]}")
    for lang, row in scores.items():
        print(f"{lang:4} " + "  ".join(f"{m}={v:.3f}" for m, v in row.items()))
    if args.raise_:
        old = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
        new = {lang: {m: max(math.floor(v * 1000) / 1000, old.get(lang, {}).get(m, 0.0)) for m, v in row.items()}
               for lang, row in scores.items()}
        BASELINE.write_text(json.dumps(new, indent=2, sort_keys=True) + "\n")
        print(f"baseline written to {BASELINE}")
    if args.golden:
        GOLDEN.write_text("".join(json.dumps(snapshot(r), ensure_ascii=False, sort_keys=True) + "\n"
                                  for r in sorted(recs, key=lambda r: r["url"] or r["source"])), encoding="utf-8")
        print(f"golden snapshot written to {GOLDEN}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
