"""Terminal and JSON views of an assessment: index table, explanation, ACH matrix, alerts."""

from __future__ import annotations

from datetime import date
from typing import Any

from rich.console import Console
from rich.table import Table

from escwatch.assess import Assessment, Day
from escwatch.assess.deliver import Alert
from escwatch.assess.hypotheses import Discriminator, Row
from escwatch.assess.index import Contribution
from escwatch.assess.persist import contribution_row, observation_row

BAR = 16


def _bar(v: float, top: float) -> str:
    n = 0 if top <= 0 else round(BAR * max(v, 0) / top)
    return "█" * n


def index_table(a: Assessment, days: list[Day] | None = None) -> Table:
    days = days if days is not None else a.days
    top = max((d.index for d in days), default=0.0)
    t = Table(box=None)
    for name, width in (("day", 10), ("index", 6), ("", BAR), ("leading hypothesis", 22)):
        t.add_column(name, no_wrap=True, min_width=width)
    t.add_column("new observations", overflow="ellipsis", no_wrap=True, max_width=60)
    seen: set[str] = set()
    for d in days:
        new = [o for o in d.observations if o.id not in seen and a.scope.covers(o)]
        seen.update(o.id for o in d.observations)
        t.add_row(d.day.isoformat(), f"{d.index:.2f}", _bar(d.index, top),
                  f"{d.leader} {d.posteriors[d.leader]:.0%}",
                  ", ".join(sorted({o.indicator.replace("nuclear_", "") for o in new})))
    return t


def explain_lines(a: Assessment, d: Day) -> list[str]:
    """The index of one day as the sum of its contributions, each down to its reports and sentences."""
    lines = [f"escalation index {d.day} ({a.scope.name}): {d.index:.3f} = sum of {len(d.contributions)} contributions",
             "  contribution = indicator weight × reliability × credibility × baseline × decay", ""]
    for c in d.contributions:
        lines.extend(contribution_lines(c, d.day))
    lines.append(f"  sum: {sum(c.value for c in d.contributions):.3f}")
    p = d.posteriors
    lines.append("hypotheses: " + ", ".join(f"{a.model.labels[h]} {p[h]:.0%}" for h in a.model.hypotheses))
    return lines


def contribution_lines(c: Contribution, day: date) -> list[str]:
    o = c.observation
    age = (day - o.day).days
    out = [f"{c.value:+8.3f}  {o.indicator}  [{o.grade}]  story {o.story_id}, first seen {o.day}",
           f"          = {c.weight:g} × {c.reliability:.2f} (reliability {o.reliability}) × {c.credibility:.2f} "
           f"(credibility {o.credibility}: {o.credibility_reason}) × {c.baseline:.2f} × {c.decay:.2f} "
           f"({age} day{'s' if age != 1 else ''} old)",
           f"          baseline: {o.baseline_text}",
           f"          origins: {', '.join(o.origins) or '-'}" + (f"; denied by {', '.join(o.denials)}"
                                                                     if o.denials else "")]
    for s in o.supports[:4]:
        when = s.published.date().isoformat() if s.published else "undated"
        out.append(f"          ▸ {s.outlet or '?'} ({s.language}, {when}) [{s.modality}] "
                   f"{s.report_id[:10]}:{s.start}-{s.end} “{s.sentence[:160]}”")
    if len(o.supports) > 4:
        out.append(f"          ▸ … and {len(o.supports) - 4} more supporting sentences")
    return out


def ach_table(a: Assessment, rows: list[Row], inconsistency: dict[str, float]) -> Table:
    hyps = a.model.hypotheses
    t = Table(box=None, caption="marks: CC C N I II (consistent … inconsistent); window: inside/outside a routine "
              "window; diag.: max/min likelihood")
    for name in ("evidence", "story", "window", "grade", *hyps, "diag."):
        t.add_column(name, no_wrap=True)
    for r in rows:
        o = r.observation
        t.add_row(o.indicator.replace("nuclear_", ""), o.story_id[:8], "inside" if o.inside else "outside", o.grade,
                  *[f"{r.marks[h]} {r.likelihoods[h]:.2f}" for h in hyps], f"{r.diagnosticity:.2f}")
    t.add_row("inconsistency", "", "", "", *[f"{inconsistency[h]:.2f}" for h in hyps], "")
    return t


def discriminator_lines(a: Assessment, found: list[Discriminator]) -> list[str]:
    return [f"  {d.indicator.replace('_', ' ')} (outside routine windows, B2) would move "
            f"{a.model.labels[d.hypothesis]} from {d.before:.0%} to {d.after:.0%}" for d in found]


def day_json(a: Assessment, d: Day) -> dict[str, Any]:
    return {"day": d.day.isoformat(), "scope": a.scope.name, "index": d.index, "posteriors": d.posteriors,
            "leader": d.leader, "contributions": [contribution_row(c) for c in d.contributions],
            "observations": {c.observation.id: observation_row(c.observation) for c in d.contributions}}


def alert_lines(al: Alert, status: str = "") -> list[str]:
    return [f"{al.day}  {al.kind:<20} {al.title}" + (f"  [{status}]" if status else ""),
            *[f"    {line}" for line in al.body.splitlines()]]


def print_lines(console: Console, lines: list[str]) -> None:
    for line in lines:
        console.print(line, markup=False, highlight=False)
