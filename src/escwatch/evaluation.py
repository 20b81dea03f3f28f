"""Run the pipeline over a corpus and summarise what the team's scorer says, per metric and language."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from escwatch.analyse.context import Context
from escwatch.engine import ingest_docs
from escwatch.ingest.files import read_file
from escwatch.report.export import records
from escwatch.store import open_store
from escwatch.stories import update_stories

# headline metric -> how to read it from score.py's result
HEADLINE: dict[str, Callable[[dict[str, Any]], float]] = {
    "language": lambda r: r["language_accuracy"],
    "entities_f1": lambda r: r["entities"]["f1"],
    "places_f1": lambda r: r["places"]["f1"],
    "cited_sources_recall": lambda r: r["cited_sources"]["recall"],
    "quotes_recall": lambda r: r["quotes"]["recall"],
    "hedged_recall": lambda r: r["hedged"]["recall"],
    "indicators_f1": lambda r: r["indicators"]["f1"],
    "stories_f1": lambda r: r["stories_bcubed"]["f1"],
}


def run_corpus(report_files: list[Path], db: Path, ctx: Context) -> list[dict[str, Any]]:
    """Ingest report files into a fresh store, group stories, return the exported records."""
    store = open_store(f"sqlite:///{db}")
    ingest_docs((d for f in report_files for d in read_file(f)), store, ctx)
    update_stories(store, ctx.pack)
    return list(records(store.iter_reports(), ctx.pack))


def score(gold: Path, recs: list[dict[str, Any]], workdir: Path, scorer: Path) -> dict[str, Any]:
    """Score records with the team's scorer script (as a subprocess, exactly as a person would)."""
    import subprocess
    import sys

    rec_file = workdir / "records.jsonl"
    rec_file.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    proc = subprocess.run([sys.executable, str(scorer), "--gold", str(gold), "--records", str(rec_file), "--json"],
                          capture_output=True, text=True, check=True)
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def summary(result: dict[str, Any]) -> dict[str, Any]:
    """Headline scores overall and the per-language F1 table of score.py."""
    out: dict[str, Any] = {"all": {k: fn(result) for k, fn in HEADLINE.items()}}
    for lang, row in result["per_language"].items():
        out[lang] = {"language": row["language_accuracy"], **{f"{k}_f1": v for k, v in row.items()
                                                               if k not in ("reports", "language_accuracy")}}
    return out


def snapshot(rec: dict[str, Any]) -> dict[str, Any]:
    """What a golden file pins for one report: the findings, not their offsets or story ids."""
    return {
        "url": rec["url"] or rec["source"],
        "language": rec["language"],
        "entities": sorted({e["name"] for e in rec["entities"]}),
        "places": sorted({p["code"] or p["name"] for p in rec["places"]}),
        "cited_sources": sorted(set(rec["cited_sources"])),
        "quotes": sorted({f"{q['speaker']}: {q['text'][:40]}" for q in rec["quotes"]}),
        "claims": sorted({f"{c['modality']}: {c['text'][:40]}" for c in rec["claims"] if c["modality"] != "asserted"}),
        "indicators": sorted({i["id"] for i in rec["indicators"]}),
    }


def origins_table(db: Path, records_: list[dict[str, Any]], gold_story: dict[str, str],
                  expected: dict[str, set[str]]) -> list[dict[str, Any]]:
    """Per labelled story: its size, the story escwatch put most of it in, the independent origins
    escwatch counts and how many of the expected origins it names (among origins or cited sources)."""
    from collections import Counter

    from escwatch.stories import list_stories

    stories = {s["id"]: s for s in list_stories(open_store(f"sqlite:///{db}"), limit=10**6)}
    rows = []
    for label, want in sorted(expected.items()):
        members = [r for r in records_ if gold_story.get(r["url"]) == label]
        if not members:
            continue
        sid, _ = Counter(r["story"] for r in members).most_common(1)[0]
        story = stories.get(sid, {"origins": [], "independent_origins": 0, "size": 0})
        named = {o["label"].casefold() for o in story["origins"]}
        named |= {c.casefold() for r in records_ if r["story"] == sid for c in r["cited_sources"]}
        found = [w for w in want if any(w.casefold() in n or n in w.casefold() for n in named)]
        rows.append({"story": label, "reports": len(members), "escwatch_story_size": story["size"],
                     "independent_origins": story["independent_origins"], "expected_origins": len(want),
                     "expected_named": len(found), "origins": [o["label"] for o in story["origins"]]})
    return rows
