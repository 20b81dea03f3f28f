"""Exports: reports, stories, observations and alerts as JSON Lines, CSV (Excel-friendly), GeoJSON
(QGIS), PLOVER-style event JSON with escwatch's nuclear-signalling extension, and MISP event JSON with
the admiralty-scale and estimative-language taxonomy tags. Field lists: docs/exports.md."""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

from escwatch.errors import ConfigError
from escwatch.report.estimative import MISP_TAGS, words
from escwatch.report.export import write_jsonl

WHATS = ("reports", "stories", "observations", "alerts")
FORMATS = ("jsonl", "csv", "geojson", "plover", "misp")
NS = uuid.UUID("6f1c1d5e-6b0b-4f0e-9a57-2f4f2b7e1a11")  # escwatch's namespace for stable MISP/PLOVER ids
# escwatch indicator -> PLOVER event type and mode (see docs/exports.md)
PLOVER_TYPES = {
    "nuclear_weapons_movement": ("MOBILIZE", "weapons"),
    "nuclear_forces_readiness": ("MOBILIZE", "alert"),
    "nuclear_exercise": ("MOBILIZE", "exercise"),
    "delivery_system_deployment": ("MOBILIZE", "weapons"),
    "nuclear_test_activity": ("COERCE", "weapons-test"),
    "nuclear_rhetoric": ("THREATEN", "nuclear"),
    "nuclear_doctrine_change": ("THREATEN", "nuclear-doctrine"),
    "territorial_annexation": ("COERCE", "seize"),
    "nuclear_facility_risk": ("ASSAULT", "facility"),
    "deescalation_signal": ("COOPERATE", "de-escalation"),
}
CSV_COLUMNS = {
    "reports": ["id", "published", "language", "outlet", "title", "url", "story", "indicators", "entities", "places",
                "cited_sources"],
    "stories": ["id", "title", "first_seen", "last_seen", "size", "languages", "outlets", "independent_origins",
                "origins"],
    "observations": ["id", "story_id", "indicator", "day", "event_day", "last_day", "reliability", "credibility",
                     "credibility_reason", "baseline", "inside", "origins", "denials", "countries", "supports", "lat",
                     "lon"],
    "alerts": ["id", "day", "rule", "kind", "title", "body"],
}


def _name(x: Any) -> str:
    """A list item in a cell: a record by its label, name or id."""
    if isinstance(x, Mapping):
        return str(x.get("label") or x.get("name") or x.get("id") or x.get("report_id") or "")
    return str(x)


def _cell(v: Any) -> Any:
    if isinstance(v, list | tuple):
        return "; ".join(dict.fromkeys(_name(x) for x in v))
    if isinstance(v, datetime):
        return v.isoformat()
    return "" if v is None else v


def write_csv(rows: Iterable[Mapping[str, Any]], what: str, out: TextIO, bom: bool = False) -> int:
    """CSV with a fixed header per kind; lists joined with "; "; ``bom`` for Excel's UTF-8 detection."""
    if bom:
        out.write("\ufeff")
    w = csv.DictWriter(out, fieldnames=CSV_COLUMNS[what], extrasaction="ignore", lineterminator="\r\n")
    w.writeheader()
    n = 0
    for row in rows:
        w.writerow({k: _cell(row.get(k)) for k in CSV_COLUMNS[what]})
        n += 1
    return n


def _point(lat: Any, lon: Any, props: dict[str, Any]) -> dict[str, Any] | None:
    if lat is None or lon is None:
        return None
    point = [round(float(lon), 6), round(float(lat), 6)]
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": point}, "properties": props}


def geo_features(rows: Iterable[Mapping[str, Any]], what: str) -> Iterator[dict[str, Any]]:
    """Point features: one per place a report names, or per place behind an observation's supports."""
    for row in rows:
        if what == "reports":
            for p in row.get("places") or []:
                f = _point(p.get("lat"), p.get("lon"), {
                    "report": row["id"], "title": row.get("title"), "outlet": row.get("outlet"),
                    "published": row.get("published"), "language": row.get("language"), "place": p.get("name"),
                    "country": p.get("country"), "precision": p.get("precision"), "story": row.get("story"),
                    "indicators": ", ".join(sorted({h["id"] for h in row.get("indicators") or []}))})
                if f:
                    yield f
        elif what == "observations":
            seen = set()
            for s in row.get("supports") or []:
                for name, country, lat, lon in s.get("places") or []:
                    if (name, lat, lon) in seen:
                        continue
                    seen.add((name, lat, lon))
                    f = _point(lat, lon, {"observation": row["id"], "indicator": row["indicator"],
                                          "story": row["story_id"], "day": row["day"],
                                          "grade": f"{row['reliability']}{row['credibility']}",
                                          "inside_routine_window": bool(row["inside"]), "place": name,
                                          "country": country, "baseline": row["baseline"]})
                    if f:
                        yield f
        else:
            raise ConfigError(f"{what} have no places to map", hint="GeoJSON exports reports or observations")


def write_geojson(rows: Iterable[Mapping[str, Any]], what: str, out: TextIO) -> int:
    feats = list(geo_features(rows, what))
    json.dump({"type": "FeatureCollection", "features": feats}, out, ensure_ascii=False)
    out.write("\n")
    return len(feats)


def plover_events(rows: Iterable[Mapping[str, Any]], what: str) -> Iterator[dict[str, Any]]:
    """PLOVER-style events (one per observation, or per indicator hit of a report) with the
    ``escwatch_nuclear`` extension holding what PLOVER has no field for."""
    for row in rows:
        if what == "observations":
            places = [p for s in row.get("supports") or [] for p in s.get("places") or []]
            etype, mode = PLOVER_TYPES.get(row["indicator"], ("OTHER", ""))
            actors = [a for s in row.get("supports") or [] for a in s.get("actors") or []]
            yield {"event_id": str(uuid.uuid5(NS, row["id"])), "event_date": row["event_day"], "event_type": etype,
                   "mode": mode, "context": ["nuclear"], "actor": actors[0] if actors else None,
                   "actor_country": (row.get("countries") or [None])[0], "recipient": None,
                   "recipient_country": None,
                   "location": {"name": places[0][0], "country": places[0][1], "lat": places[0][2],
                                "lon": places[0][3]} if places else None,
                   "sources": [s["report_id"] for s in row.get("supports") or []],
                   "escwatch_nuclear": {"indicator": row["indicator"], "story": row["story_id"],
                                        "reliability": row["reliability"], "credibility": row["credibility"],
                                        "credibility_reason": row["credibility_reason"], "baseline": row["baseline"],
                                        "inside_routine_window": bool(row["inside"]),
                                        "independent_origins": row["origins"], "denied_by": row["denials"],
                                        "evidence": [s["sentence"] for s in row.get("supports") or []][:5]}}
        elif what == "reports":
            for h in row.get("indicators") or []:
                etype, mode = PLOVER_TYPES.get(h["id"], ("OTHER", ""))
                place = (row.get("places") or [None])[0]
                yield {"event_id": str(uuid.uuid5(NS, f"{row['id']}:{h['id']}")),
                       "event_date": (row.get("published") or "")[:10] or None, "event_type": etype, "mode": mode,
                       "context": ["nuclear"], "actor": dict(h.get("roles") or {}).get("actor"),
                       "location": {"name": place["name"], "country": place.get("country"), "lat": place.get("lat"),
                                    "lon": place.get("lon")} if place else None,
                       "sources": [row["id"]], "url": row.get("url"),
                       "escwatch_nuclear": {"indicator": h["id"], "confidence": h["confidence"],
                                            "evidence": h["evidence"], "roles": h.get("roles") or {}}}
        else:
            raise ConfigError(f"{what} are not events", hint="PLOVER exports reports or observations")


def _tags(reliability: str | None, credibility: int | None, p: float | None = None) -> list[dict[str, str]]:
    tags = []
    if reliability:
        tags.append({"name": f'admiralty-scale:source-reliability="{reliability.lower()}"'})
    if credibility:
        tags.append({"name": f'admiralty-scale:information-credibility="{credibility}"'})
    if p is not None:
        tags.append({"name": f'estimative-language:likelihood-probability="{MISP_TAGS[words(p)]}"'})
    return tags


def misp_events(rows: Iterable[Mapping[str, Any]], what: str,
                posteriors: Mapping[str, float] | None = None) -> Iterator[dict[str, Any]]:
    """MISP events: one per story (its observations as attributes) or per alert."""
    now = datetime.now(UTC).strftime("%Y-%m-%d")
    if what == "observations":
        by_story: dict[str, list[Mapping[str, Any]]] = {}
        for row in rows:
            by_story.setdefault(row["story_id"], []).append(row)
        for story, obs in by_story.items():
            attrs = []
            for o in obs:
                attrs.append({"uuid": str(uuid.uuid5(NS, o["id"])), "type": "text", "category": "Other",
                              "value": f"{o['indicator']}: {o['baseline']}", "comment": o["credibility_reason"],
                              "to_ids": False, "Tag": _tags(o["reliability"], o["credibility"])})
                for s in o.get("supports") or []:
                    if s.get("url") or s.get("report_id"):
                        attrs.append({"uuid": str(uuid.uuid5(NS, f"{o['id']}:{s['report_id']}:{s['start']}")),
                                      "type": "text", "category": "External analysis", "value": s["sentence"],
                                      "comment": f"{s.get('outlet') or '?'} ({s.get('language')}), report "
                                                 f"{s['report_id'][:12]}", "to_ids": False})
            lead = max(obs, key=lambda o: -o["credibility"])
            yield {"Event": {"uuid": str(uuid.uuid5(NS, story)), "info": f"escwatch story {story}: "
                             + ", ".join(sorted({o['indicator'] for o in obs})), "date": min(o["day"] for o in obs),
                             "threat_level_id": "4", "analysis": "1", "distribution": "0", "published": False,
                             "timestamp": now, "Tag": [*_tags(lead["reliability"], lead["credibility"]),
                                                       {"name": "escwatch:story=" + story}], "Attribute": attrs}}
    elif what == "alerts":
        for row in rows:
            p = (row.get("payload") or {}).get("posteriors") or posteriors or {}
            top = max(p.values()) if p else None
            yield {"Event": {"uuid": str(uuid.uuid5(NS, row["id"])), "info": row["title"], "date": row["day"],
                             "threat_level_id": "3", "analysis": "1", "distribution": "0", "published": False,
                             "Tag": [*_tags(None, None, top), {"name": f"escwatch:rule={row['rule']}"}],
                             "Attribute": [{"uuid": str(uuid.uuid5(NS, row["id"] + ":body")), "type": "text",
                                            "category": "Other", "value": row["body"], "to_ids": False}]}}
    else:
        raise ConfigError(f"{what} are not exported as MISP events", hint="MISP exports observations or alerts")


def write_json_list(items: Iterable[dict[str, Any]], out: TextIO) -> int:
    data = list(items)
    json.dump(data, out, ensure_ascii=False, indent=1, default=str)
    out.write("\n")
    return len(data)


ALLOWED = {"jsonl": set(WHATS), "csv": set(WHATS), "geojson": {"reports", "observations"},
           "plover": {"reports", "observations"}, "misp": {"observations", "alerts"}}


def check(what: str, fmt: str) -> None:
    """ConfigError for an unknown kind or format, or a combination that makes no sense."""
    if what not in WHATS or fmt not in FORMATS:
        raise ConfigError(f"unknown export {what!r} as {fmt!r}", hint=f"--what {'|'.join(WHATS)} --format "
                          f"{'|'.join(FORMATS)}")
    if what not in ALLOWED[fmt]:
        raise ConfigError(f"{what} cannot be exported as {fmt}",
                          hint=f"{fmt} exports {' or '.join(sorted(ALLOWED[fmt]))}")


def write(rows: Iterable[Mapping[str, Any]], what: str, fmt: str, out: TextIO, bom: bool = False) -> int:
    """Write rows of one kind in one format (see ``check`` for what combines)."""
    check(what, fmt)
    writers: dict[str, Callable[[], int]] = {
        "jsonl": lambda: write_jsonl(rows, out),
        "csv": lambda: write_csv(rows, what, out, bom),
        "geojson": lambda: write_geojson(rows, what, out),
        "plover": lambda: write_json_list(plover_events(rows, what), out),
        "misp": lambda: write_json_list(misp_events(rows, what), out),
    }
    return writers[fmt]()


__all__ = ["FORMATS", "WHATS", "check", "write"]
