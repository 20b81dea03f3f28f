"""Plots of an assessment with matplotlib: the index, the hypotheses over time, the story timeline,
the observations' map. Each returns a Figure; ``save`` writes PNG, SVG or PDF by the file's suffix."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")  # no screen: files only
import matplotlib.dates as mdates
import matplotlib.pyplot as plt

from escwatch.assess import Assessment

if TYPE_CHECKING:
    from matplotlib.figure import Figure

COLOURS = {"routine": "#4c8c4a", "coercive_signal": "#d08c1f", "preparation": "#b23a3a"}
WORLD = Path(__file__).resolve().parents[1] / "web" / "static" / "world-110m.json"  # Natural Earth, public domain


def index_figure(a: Assessment, title: str = "Escalation index") -> Figure:
    fig, ax = plt.subplots(figsize=(8, 3))
    days = mdates.date2num([d.day for d in a.days])
    ax.xaxis_date()
    ax.plot(days, [d.index for d in a.days], color="#223", linewidth=2)
    ax.fill_between(days, [d.index for d in a.days], color="#223", alpha=0.08)
    ax.set_title(f"{title} ({a.scope.name})", loc="left", fontsize=11)
    ax.set_ylabel("index")
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def hypotheses_figure(a: Assessment) -> Figure:
    fig, ax = plt.subplots(figsize=(8, 3))
    days = mdates.date2num([d.day for d in a.days])
    ax.xaxis_date()
    for h in a.model.hypotheses:
        ax.plot(days, [d.posteriors[h] for d in a.days], label=a.model.labels[h], color=COLOURS.get(h), linewidth=2)
    ax.set_ylim(0, 1)
    ax.set_ylabel("probability")
    ax.set_title("Competing hypotheses", loc="left", fontsize=11)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def timeline_figure(a: Assessment) -> Figure:
    """Observations per story over time: one row per story, one mark per supporting report."""
    obs = a.days[-1].observations if a.days else []
    stories = sorted({o.story_id for o in obs})
    fig, ax = plt.subplots(figsize=(8, 0.5 + 0.45 * max(1, len(stories))))
    for i, sid in enumerate(stories):
        for o in (o for o in obs if o.story_id == sid):
            days = mdates.date2num([s.published for s in o.supports if s.published])
            ax.scatter(days, [i] * len(days), s=18, alpha=0.7)
    ax.xaxis_date()
    ax.set_yticks(range(len(stories)), [s[:14] for s in stories], fontsize=8)
    ax.set_title("Story timeline (supporting reports)", loc="left", fontsize=11)
    ax.grid(alpha=0.3, axis="x")
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def _outlines(ax: Any) -> None:
    if not WORLD.exists():
        return
    data = json.loads(WORLD.read_text(encoding="utf-8"))
    for f in data.get("features", []):
        geom = f.get("geometry") or {}
        polys = geom.get("coordinates") or []
        if geom.get("type") == "Polygon":
            polys = [polys]
        for poly in polys if geom.get("type") in ("Polygon", "MultiPolygon") else []:
            for ring in poly[:1]:
                xs, ys = zip(*[(p[0], p[1]) for p in ring], strict=True)
                ax.plot(xs, ys, color="#999", linewidth=0.4)


def map_figure(a: Assessment) -> Figure:
    """Where the observations are, on longitude/latitude (country outlines when the package has them)."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    _outlines(ax)
    pts: dict[tuple[float, float], tuple[str, set[str]]] = {}
    for o in (a.days[-1].observations if a.days else []):
        for s in o.supports:
            for name, _, lat, lon in s.places:
                if lat is not None and lon is not None:
                    pts.setdefault((lon, lat), (name, set()))[1].add(o.indicator)
    if pts:
        xs, ys = zip(*pts, strict=True)
        ax.scatter(xs, ys, s=[20 + 15 * len(v[1]) for v in pts.values()], color="#b23a3a", alpha=0.6, zorder=3)
        for (x, y), (name, _) in list(pts.items())[:25]:
            ax.annotate(name, (x, y), fontsize=6, xytext=(3, 3), textcoords="offset points")
        ax.set_xlim(min(xs) - 10, max(xs) + 10)
        ax.set_ylim(min(ys) - 6, max(ys) + 6)
    ax.set_title("Observations by place (longitude, latitude)", loc="left", fontsize=11)
    fig.tight_layout()
    return fig


FIGURES = {"index": index_figure, "hypotheses": hypotheses_figure, "timeline": timeline_figure, "map": map_figure}


def save(fig: Figure, path: Path) -> Path:
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return path


def svg(fig: Figure) -> str:
    """The figure as an inline SVG element (for self-contained HTML)."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]
