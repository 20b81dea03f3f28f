"""Briefings a desk could send out: key judgements in estimative language, the index and hypotheses
charts, the map, the top stories with their independent origins and grades, what is new, what to
watch for next, and the sources with links. Markdown, self-contained HTML, and PDF from that HTML."""

from __future__ import annotations

import html
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from escwatch.assess import Assessment, assess
from escwatch.assess.evidence import Observation
from escwatch.assess.hypotheses import Discriminator, discriminators
from escwatch.errors import ConfigError, EscwatchError
from escwatch.packs import Pack
from escwatch.records import Report
from escwatch.report.estimative import with_range
from escwatch.store import Store

CHROMIUM = ("chromium", "chromium-browser", "google-chrome")


@dataclass
class Briefing:
    start: date
    end: date
    generated: datetime
    reports: list[Report]
    assessment: Assessment
    judgements: list[str]
    stories: list[dict[str, Any]]
    new: list[Observation]
    watch: list[Discriminator]
    charts: dict[str, str] = field(default_factory=dict)  # name -> inline SVG (HTML only)


def _judgements(a: Assessment) -> list[str]:
    last = a.days[-1]
    labels = a.model.labels
    order = sorted(last.posteriors, key=lambda h: -last.posteriors[h])
    top = order[0]
    out = [f"We judge it {with_range(last.posteriors[top])} that the nuclear signalling observed up to {last.day} "
           f"is best explained as {labels[top].lower()}."]
    for h in order[1:]:
        out.append(f"{labels[h]} is {with_range(last.posteriors[h])}.")
    peak = max(a.days, key=lambda d: d.index)
    why = ""
    if peak.contributions:
        o = peak.contributions[0].observation
        why = f"; the largest contribution that day: {o.indicator.replace('_', ' ')} ({o.baseline_text})"
    out.append(f"The escalation index peaked at {peak.index:.2f} on {peak.day} and stands at {last.index:.2f} on "
               f"{last.day}{why}.")
    return out


def _stories(a: Assessment, store: Store, limit: int = 5) -> list[dict[str, Any]]:
    from escwatch.stories import list_stories

    obs = a.days[-1].observations
    rows = []
    for s in list_stories(store, 1000):
        mine = [o for o in obs if o.story_id == s["id"]]
        if mine:
            rows.append({**s, "grades": sorted({f"{o.indicator} {o.grade}" for o in mine}),
                         "origin_labels": [o["label"] for o in s["origins"]]})
    rows.sort(key=lambda s: (-s["independent_origins"], -s["size"]))
    return rows[:limit]


def build(store: Store, pack: Pack, start: date | None = None, end: date | None = None,
          since: date | None = None, overrides: Mapping[str, str] | None = None) -> Briefing:
    """Everything a briefing says, for reports published from ``start`` to ``end``; observations first
    seen after ``since`` (the last briefing) are "new"."""
    a = assess(store, pack, start, end, overrides=overrides)
    if not a.days:
        raise EscwatchError("nothing to brief on: no dated report with an indicator in that period",
                            hint="ingest reports first, or widen --from/--to")
    first, last = a.days[0].day, a.days[-1].day
    reports = [r for r in store.iter_reports() if r.published and first <= r.published.date() <= last]
    obs = a.days[-1].observations
    new = [o for o in obs if since is None or o.day > since]
    return Briefing(first, last, datetime.now(UTC), reports, a, _judgements(a), _stories(a, store), new,
                    discriminators(a.model, obs, last))


def render_md(b: Briefing) -> str:
    labels = b.assessment.model.labels
    out = [f"# escwatch briefing, {b.start} – {b.end}", "",
           f"_{len(b.reports)} reports in {len({r.language for r in b.reports})} languages; generated "
           f"{b.generated:%Y-%m-%d %H:%M} UTC._", "", "## Key judgements", ""]
    out += [f"- {j}" for j in b.judgements]
    out += ["", "Estimative language: almost no chance 0–5%, very unlikely 5–20%, unlikely 20–45%, roughly even "
            "chance 45–55%, likely 55–80%, very likely 80–95%, almost certain 95–99%.", "",
            "## Escalation index", "", "| day | index | leading hypothesis |", "|---|---|---|"]
    for d in b.assessment.days:
        out.append(f"| {d.day} | {d.index:.2f} | {labels[d.leader]} {d.posteriors[d.leader]:.0%} |")
    out += ["", "## Top stories", ""]
    for s in b.stories:
        out.append(f"### {(s['title'] or s['id']).strip()}")
        out.append(f"- {s['size']} reports in {', '.join(s['languages'])}; first seen {str(s['first_seen'])[:10]}")
        out.append(f"- independent origins: {s['independent_origins']} — {', '.join(s['origin_labels'])}")
        out.append(f"- observations (Admiralty grade): {', '.join(s['grades'])}")
        out.append("")
    out += ["## New since the last briefing", ""]
    out += [f"- {o.day}: {o.indicator.replace('_', ' ')} [{o.grade}] — {o.baseline_text}; "
            f"“{o.supports[0].sentence[:200]}”" for o in sorted(b.new, key=lambda o: o.day)] or ["- nothing new"]
    out += ["", "## What to watch for next", ""]
    out += [f"- {d.indicator.replace('_', ' ')}: would move {labels[d.hypothesis]} from {d.before:.0%} to "
            f"{d.after:.0%}" for d in b.watch]
    out += ["", "## Sources", ""]
    for r in b.reports:
        when = r.published.date().isoformat() if r.published else "undated"
        link = f" <{r.url}>" if r.url else ""
        out.append(f"- {when} {r.outlet or '-'} ({r.language}): {r.title or r.source}{link}")
    return "\n".join(out) + "\n"


CSS = """body{font:15px/1.5 Georgia,serif;max-width:52rem;margin:2rem auto;color:#222;padding:0 1rem}
h1,h2,h3{font-family:Helvetica,Arial,sans-serif}h1{font-size:1.6rem}h2{font-size:1.2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:.85rem}td,th{border-bottom:1px solid #eee;padding:.15rem .6rem;text-align:left}
.judgement{font-size:1.05rem}.small{color:#555;font-size:.85rem}svg{max-width:100%;height:auto}
@media print{body{margin:0}h2{break-after:avoid}figure{break-inside:avoid}}"""


def render_html(b: Briefing) -> str:
    """A self-contained page: inline CSS and SVG charts, no script, no external resource."""
    e = html.escape
    labels = b.assessment.model.labels
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>escwatch briefing {b.start} – "
             f"{b.end}</title><style>{CSS}</style></head><body>",
             f"<h1>escwatch briefing, {b.start} – {b.end}</h1><p class='small'>{len(b.reports)} reports in "
             f"{len({r.language for r in b.reports})} languages; generated {b.generated:%Y-%m-%d %H:%M} UTC.</p>",
             "<h2>Key judgements</h2><ul>" + "".join(f"<li class='judgement'>{e(j)}</li>" for j in b.judgements)
             + "</ul>"]
    for name, title in (("index", "Escalation index"), ("hypotheses", "Competing hypotheses"), ("map", "Map")):
        if name in b.charts:
            parts.append(f"<h2>{title}</h2><figure id='chart-{name}'>{b.charts[name]}</figure>")
    parts.append("<h2>Top stories</h2>")
    for s in b.stories:
        parts.append(f"<h3>{e((s['title'] or s['id']).strip())}</h3><p>{s['size']} reports in "
                     f"{e(', '.join(s['languages']))}; independent origins: <b>{s['independent_origins']}</b> — "
                     f"{e(', '.join(s['origin_labels']))}<br>observations: {e(', '.join(s['grades']))}</p>")
    parts.append("<h2>New since the last briefing</h2><ul>" + ("".join(
        f"<li>{o.day}: {e(o.indicator.replace('_', ' '))} [{o.grade}] — {e(o.baseline_text)}</li>"
        for o in sorted(b.new, key=lambda o: o.day)) or "<li>nothing new</li>") + "</ul>")
    parts.append("<h2>What to watch for next</h2><ul>" + "".join(
        f"<li>{e(d.indicator.replace('_', ' '))}: would move {e(labels[d.hypothesis])} from {d.before:.0%} to "
        f"{d.after:.0%}</li>" for d in b.watch) + "</ul>")
    parts.append("<h2>Sources</h2><ol class='small'>" + "".join(
        f"<li>{r.published.date() if r.published else 'undated'} {e(r.outlet or '-')} ({e(r.language or '?')}): "
        + (f"<a href='{e(r.url)}'>{e(r.title or r.url)}</a>" if r.url else e(r.title or r.source)) + "</li>"
        for r in b.reports) + "</ol></body></html>")
    return "".join(parts)


def with_charts(b: Briefing) -> Briefing:
    from escwatch.report import plots

    a = b.assessment
    b.charts = {"index": plots.svg(plots.index_figure(a)), "hypotheses": plots.svg(plots.hypotheses_figure(a)),
                "map": plots.svg(plots.map_figure(a))}
    return b


def html_to_pdf(page: str, out: Path) -> Path:
    """Print the HTML to PDF with headless Chromium (Debian's package)."""
    exe = next((p for p in (shutil.which(c) for c in CHROMIUM) if p), None)
    if exe is None:
        raise ConfigError("PDF needs Chromium, which is not installed",
                          hint="apt-get install chromium, or use --format html and print it")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "brief.html"
        src.write_text(page, encoding="utf-8")
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp}/profile",
               "--no-pdf-header-footer", f"--print-to-pdf={out.resolve()}", src.as_uri()]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if done.returncode != 0 or not out.exists():
        raise EscwatchError(f"Chromium could not print the briefing: {done.stderr[-300:]}")
    return out


def write(b: Briefing, fmt: str, out: Path) -> Path:
    if fmt == "md":
        out.write_text(render_md(b), encoding="utf-8")
    elif fmt == "html":
        out.write_text(render_html(with_charts(b)), encoding="utf-8")
    elif fmt == "pdf":
        html_to_pdf(render_html(with_charts(b)), out)
    else:
        raise ConfigError(f"unknown briefing format {fmt!r}", hint="md | html | pdf")
    return out


def last_briefing(store: Store) -> date | None:
    """The last day covered by the previous briefing (what is new counts from there)."""
    from sqlalchemy import func, select

    from escwatch.store.schema import briefings

    with store.engine.connect() as conn:
        got = conn.execute(select(func.max(briefings.c.end_day))).scalar()
    return date.fromisoformat(got) if got else None


def record_briefing(store: Store, b: Briefing, fmt: str) -> None:
    from escwatch.store.schema import briefings

    with store.engine.begin() as conn:
        conn.execute(briefings.insert().values(start_day=b.start.isoformat(), end_day=b.end.isoformat(), format=fmt,
                                               created_at=b.generated))


def write_brief(store: Store, pack: Pack, path: Path) -> Path:
    """The demo's Markdown briefing over everything in the store."""
    return write(build(store, pack), "md", path)
