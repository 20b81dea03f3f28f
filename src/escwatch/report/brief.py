"""Briefing (Markdown, first version): indicators with their evidence, stories with their sources."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from escwatch.packs import Pack
from escwatch.records import Report


def render_brief(reports: list[Report], pack: Pack) -> str:
    dated = [r.published for r in reports if r.published]
    period = f"{min(dated).date()} – {max(dated).date()}" if dated else "undated"
    lines = [f"# escwatch briefing, {period}", "",
             f"{len(reports)} reports in {len({r.language for r in reports})} languages.", ""]
    by_ind: dict[str, list[tuple[Report, str]]] = defaultdict(list)
    for r in reports:
        for h in {h.id: h for h in sorted(r.indicators, key=lambda h: h.confidence)}.values():
            by_ind[h.id].append((r, h.evidence))
    lines += ["## Indicators", ""]
    if not by_ind:
        lines.append("No nuclear-signalling indicator was found.")
    for ind_id, hits in sorted(by_ind.items(), key=lambda kv: -len(kv[1])):
        label = pack.indicators[ind_id].label if ind_id in pack.indicators else ind_id
        lines.append(f"### {label} (`{ind_id}`): {len(hits)} reports")
        for r, ev in hits[:3]:
            when = r.published.date().isoformat() if r.published else "undated"
            lines.append(f"- {when}, {r.outlet or Path(r.source).name} ({r.language}): “{' '.join(ev.split())[:220]}”")
        lines.append("")
    stories: dict[str, list[Report]] = defaultdict(list)
    for r in reports:
        stories[r.story or r.id].append(r)
    lines += ["## Stories", ""]
    for members in sorted(stories.values(), key=len, reverse=True):
        if len(members) < 2:
            continue
        outlets = sorted({m.outlet or "?" for m in members})
        cited = sorted({c.name for m in members for c in m.cited_sources})
        first = members[0]
        lines.append(f"### {(first.title or first.text[:80]).strip()} ({len(members)} reports)")
        lines.append(f"- languages: {', '.join(sorted({m.language or '?' for m in members}))}")
        lines.append(f"- outlets: {', '.join(outlets)}")
        lines.append(f"- cited sources: {', '.join(cited) or 'none named'}")
        lines.append("")
    lines += ["## Sources", ""]
    for r in reports:
        lines.append(f"- {r.outlet or '-'}: {r.title or r.source}" + (f" <{r.url}>" if r.url else ""))
    return "\n".join(lines) + "\n"


def write_brief(reports: list[Report], pack: Pack, path: Path) -> Path:
    path.write_text(render_brief(reports, pack), encoding="utf-8")
    return path
