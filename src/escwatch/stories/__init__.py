"""Stories: near-duplicates, grouping across outlets and languages, and provenance.

``update_stories`` is incremental: it takes the reports that have no story signals yet, in
publication order, and touches only the stories they join.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.engine import Connection

from escwatch.packs import Pack
from escwatch.records import Report
from escwatch.store import Store
from escwatch.store.schema import provenance_edges, reports, stories, story_signals
from escwatch.stories import cluster, embed, provenance

BATCH = 32


def update_stories(store: Store, pack: Pack, progress: Callable[[int], None] | None = None,
                   repair: bool = False) -> dict[str, Any]:
    """Give every report without story signals a story; refresh the touched stories' summaries. One
    process at a time (several ``ingest`` and ``watch`` processes may share a store). ``repair`` also
    refreshes stories a killed run left stale (a check that reads the whole store: once per command
    or watch start, not per cycle)."""
    with store.lock("stories"):
        return _update(store, pack, progress, repair)


def _update(store: Store, pack: Pack, progress: Callable[[int], None] | None, repair: bool) -> dict[str, Any]:
    with store.engine.connect() as conn:
        todo = cluster.pending(conn)
        touched: set[str] = set(stale(conn)) if repair else set()
    merged_total = 0
    for i in range(0, len(todo), BATCH):
        batch = [store.get_report(rid) for rid in todo[i:i + BATCH]]
        vecs = embed.embed([f"{r.title or ''}. {r.text}" for r in batch])
        with store.engine.begin() as conn:
            for rep, vec in zip(batch, vecs, strict=True):
                story, merged = cluster.assign(conn, rep, vec)
                touched.add(story)
                touched.difference_update(merged)
                merged_total += len(merged)
                if merged:
                    conn.execute(delete(provenance_edges).where(provenance_edges.c.story_id.in_(merged)))
        if progress:
            progress(len(batch))
    for sid in sorted(touched):
        refresh_story(store, pack, sid)
    return {"reports": len(todo), "stories_touched": len(touched), "merged": merged_total}


def stale(conn: Connection) -> list[str]:
    """Stories whose summary row is missing or counts fewer members than it has (a run was killed after
    grouping reports, before refreshing their stories). Grouping only adds members, so a stale summary
    always undercounts: two sums tell whether any is stale, and only then are stories compared one by one."""
    live = stories.c.merged_into.is_(None)
    summed = conn.execute(select(func.coalesce(func.sum(stories.c.size), 0)).where(live)).scalar_one()
    grouped = conn.execute(select(func.count()).select_from(reports).where(reports.c.story.is_not(None))).scalar_one()
    if summed == grouped:
        return []
    counts = select(reports.c.story, func.count().label("n")).where(reports.c.story.is_not(None)).group_by(
        reports.c.story).subquery()
    q = select(counts.c.story).outerjoin(stories, stories.c.id == counts.c.story).where(
        or_(stories.c.id.is_(None), stories.c.size != counts.c.n))
    return sorted(conn.execute(q).scalars())


def members(store: Store, story_id: str) -> list[Report]:
    with store.engine.connect() as conn:
        ids = conn.execute(select(reports.c.id).where(reports.c.story == story_id).order_by(
            reports.c.published.is_(None), reports.c.published, reports.c.id)).scalars().all()
    return [store.get_report(i) for i in ids]


def copies(store: Store, ids: list[str]) -> dict[str, str | None]:
    with store.engine.connect() as conn:
        return {r: c for r, c in conn.execute(select(story_signals.c.report_id, story_signals.c.copy_of).where(
            story_signals.c.report_id.in_(ids)))}


def graph(store: Store, pack: Pack, story_id: str) -> tuple[list[Report], provenance.Graph]:
    mem = members(store, story_id)
    return mem, provenance.build(mem, copies(store, [m.id for m in mem]), pack)


def refresh_story(store: Store, pack: Pack, story_id: str) -> dict[str, Any]:
    """Recompute one story's summary row and provenance edges from its members."""
    mem, g = graph(store, pack, story_id)
    origin_list = provenance.origins(g, mem)
    dated = [m.published for m in mem if m.published]  # already UTC-aware (Store rebuilds them so)
    lead = mem[0] if mem else None
    row = {
        "id": story_id, "title": (lead.title or lead.text[:100]).strip() if lead else None,
        "first_seen": min(dated) if dated else None, "last_seen": max(dated) if dated else None,
        "size": len(mem), "languages": sorted({m.language or "?" for m in mem}),
        "outlets": sorted({m.outlet or "?" for m in mem}), "origins": origin_list,
        "independent_origins": provenance.independent(origin_list), "merged_into": None,
        "updated_at": datetime.now(UTC),
    }
    with store.engine.begin() as conn:
        conn.execute(delete(stories).where(stories.c.id == story_id))
        conn.execute(stories.insert().values(**row))
        conn.execute(delete(provenance_edges).where(provenance_edges.c.story_id == story_id))
        if g.edges:
            conn.execute(provenance_edges.insert(), [{"story_id": story_id, "src": s, "dst": d, "kind": k,
                                                      "report_id": rid} for s, d, k, rid in g.edges])
    return row


def list_stories(store: Store, limit: int = 100) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(stories).where(stories.c.merged_into.is_(None)).order_by(
            stories.c.size.desc(), stories.c.first_seen).limit(limit)).mappings().all()
    return [dict(r) for r in rows]


__all__ = ["graph", "list_stories", "members", "refresh_story", "update_stories"]
