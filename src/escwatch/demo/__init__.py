"""The bundled demo corpus (October 2022, written by the escwatch team) and the demo run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from escwatch.analyse.context import Context
from escwatch.store import Store


def corpus_dir() -> Path:
    return Path(__file__).parent / "corpus"


def corpus_files() -> list[Path]:
    """The demo's report files (the folder also holds its README and story labels)."""
    return sorted(p for p in corpus_dir().iterdir() if p.suffix in {".jsonl", ".txt", ".md", ".html"}
                  and p.name != "README.md")


def run_demo(store: Store, ctx: Context, brief_path: Path) -> dict[str, Any]:
    """Stories and briefing over what the demo ingested; returns the summary the CLI prints."""
    from escwatch.assess import assess
    from escwatch.assess.persist import save
    from escwatch.report.brief import write_brief
    from escwatch.stories import update_stories

    update_stories(store, ctx.pack)
    a = assess(store, ctx.pack)
    save(store, a)
    reports = list(store.iter_reports())
    write_brief(store, ctx.pack, brief_path)
    counts = store.counts()
    counts["stories"] = len({r.story for r in reports if r.story})
    counts["brief"] = str(brief_path.resolve())
    if a.days:
        peak, last = max(a.days, key=lambda d: d.index), a.days[-1]
        counts["assessment"] = {"peak_day": peak.day.isoformat(), "peak_index": round(peak.index, 2),
                                "last_day": last.day.isoformat(), "leader": a.model.labels[last.leader],
                                "posteriors": {a.model.labels[h]: round(p, 3) for h, p in last.posteriors.items()}}
    return counts
