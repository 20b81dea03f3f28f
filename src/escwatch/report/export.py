"""Report records in the format of shared/eval/SCHEMA.md (JSON Lines)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TextIO

from escwatch.packs import Pack
from escwatch.records import Report

PLACE_TYPES = {"place"}


def _aliases(entity_id: str, surfaces: list[str], pack: Pack) -> list[str]:
    ent = pack.entities.get(entity_id)
    names = list(dict.fromkeys(surfaces + (sorted(ent.all_aliases()) if ent else [])))
    return names


def record(report: Report, pack: Pack) -> dict[str, Any]:
    """One report as a SCHEMA.md record: entities grouped by id with their mentions, places geocoded."""
    ents: dict[str, dict[str, Any]] = {}
    for m in report.mentions:
        e = ents.setdefault(m.entity_id, {"id": m.entity_id, "name": m.name, "type": m.type, "wikidata": m.wikidata,
                                          "description": m.description, "aliases": [], "mentions": []})
        e["mentions"].append({"text": m.text, "start": m.start, "end": m.end})
    for e in ents.values():
        e["aliases"] = _aliases(e["id"], [x["text"] for x in e["mentions"]], pack)
    places: dict[str, dict[str, Any]] = {}
    for p in report.places:
        pl = places.setdefault(p.place_id, {"id": p.place_id, "name": p.name, "lat": p.lat, "lon": p.lon,
                                            "country": p.country, "code": p.code, "precision": p.precision,
                                            "mentions": []})
        pl["mentions"].append({"text": p.text, "start": p.start, "end": p.end})
    best: dict[str, Any] = {}
    for h in report.indicators:
        if h.id not in best or h.confidence > best[h.id].confidence:
            best[h.id] = h
    return {
        "id": report.id,
        "source": report.source,
        "url": report.url,
        "title": report.title,
        "outlet": report.outlet,
        "byline": report.byline,
        "language": report.language,
        "published": report.published.isoformat() if report.published else None,
        "published_source": report.published_source,
        "cited_sources": [c.name for c in report.cited_sources],
        "entities": list(ents.values()),
        "places": list(places.values()),
        "dates": [{"text": d.text, "start": d.start, "end": d.end, "kind": d.kind, "value": d.value,
                   "until": d.until, "recurrence": d.recurrence} for d in report.dates],
        "quotes": [{"text": q.text, "speaker": q.speaker, "kind": q.kind, "start": q.start, "end": q.end}
                   for q in report.quotes],
        "claims": [{"text": c.text, "modality": c.modality, "attributed_to": c.attributed_to, "cue": c.cue,
                    "start": c.start, "end": c.end} for c in report.claims],
        "indicators": [{"id": h.id, "confidence": h.confidence, "evidence": h.evidence, "start": h.start,
                        "end": h.end, "roles": dict(h.roles)} for h in best.values()],
        "story": report.story,
    }


def records(reports: Iterable[Report], pack: Pack) -> Iterator[dict[str, Any]]:
    for r in reports:
        yield record(r, pack)


def write_jsonl(rows: Iterable[Mapping[str, Any]], out: TextIO) -> int:
    n = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        n += 1
    return n
