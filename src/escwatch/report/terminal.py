"""Terminal views: a report with its evidence, and report lists (rich)."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.table import Table
from rich.text import Text

from escwatch.records import Report

MODALITY_STYLE = {"asserted": "green", "reported": "yellow", "hedged": "yellow", "speculative": "magenta",
                  "denied": "red"}


def report_table(reports: Iterable[Report]) -> Table:
    t = Table("id", "published", "lang", "outlet", "title / start", "indicators", box=None)
    for r in reports:
        head = (r.title or r.text[:60]).replace("\n", " ")
        t.add_row(r.id[:10], r.published.date().isoformat() if r.published else "-", r.language or "?",
                  (r.outlet or "-")[:20], head[:60], ", ".join(sorted({h.id for h in r.indicators})))
    return t


def render_report(r: Report, out: Console) -> None:
    out.print(f"[bold]{r.title or r.source}[/]")
    out.print(f"id {r.id}\nsource {r.source}\noutlet {r.outlet or '-'}  byline {r.byline or '-'}  "
              f"published {r.published.isoformat() if r.published else '-'}  language {r.language}"
              + (f"  story {r.story}" if r.story else ""))
    text = Text(r.text)
    for m in r.mentions:
        text.stylize("bold cyan", m.start, m.end)
    for p in r.places:
        text.stylize("bold green", p.start, p.end)
    out.print()
    out.print(text)
    out.print()
    if r.cited_sources:
        out.print("[bold]cited sources[/] " + ", ".join(c.name for c in r.cited_sources))
    ents: dict[str, tuple[str, str, int]] = {}
    for m in r.mentions:
        name, typ, n = ents.get(m.entity_id, (m.name, m.type, 0))
        ents[m.entity_id] = (name, typ, n + 1)
    if ents:
        out.print("[bold]entities[/] " + "; ".join(f"{n} ({t}) ×{c}" for n, t, c in ents.values()))
    if r.places:
        seen = {p.place_id: p for p in r.places}
        out.print("[bold]places[/] " + "; ".join(
            f"{p.name} [{p.precision}{', ' + p.code if p.code else ''}"
            f"{f', {p.lat:.2f},{p.lon:.2f}' if p.lat is not None and p.lon is not None else ''}]"
            for p in seen.values()))
    if r.dates:
        out.print("[bold]dates[/] " + "; ".join(
            f"“{d.text}” → {d.value or ''}{'…' + d.until if d.until else ''}"
            f"{' ' + d.recurrence if d.recurrence else ''}"
            for d in r.dates))
    for q in r.quotes:
        out.print(f"[bold]quote[/] ({q.kind}) {q.speaker or '?'}: “{q.text[:160]}”")
    for c in r.claims:
        if c.modality != "asserted":
            style = MODALITY_STYLE.get(c.modality, "white")
            out.print(f"[{style}]{c.modality:<11}[/] {c.text[:150]}" + (f"  [dim]cue: {c.cue}[/]" if c.cue else ""))
    for h in r.indicators:
        roles = ", ".join(f"{k}={v}" for k, v in h.roles)
        out.print(f"[bold red]indicator[/] {h.id} ({h.confidence:.2f}) [{roles}]\n    “{h.evidence[:200]}”")
