"""Writing an assessment to the store (observations, index per day) and reading analysts' grade overrides."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select

from escwatch.assess import Assessment
from escwatch.assess.evidence import Observation
from escwatch.assess.index import Contribution
from escwatch.store import Store
from escwatch.store.schema import analyst_actions, grade_overrides, index_days, observations


def observation_row(o: Observation) -> dict[str, Any]:
    return {
        "id": o.id, "story_id": o.story_id, "indicator": o.indicator, "day": o.day.isoformat(),
        "event_day": o.event_day.isoformat(), "last_day": o.last_day.isoformat(), "reliability": o.reliability,
        "credibility": o.credibility, "credibility_reason": o.credibility_reason, "baseline": o.baseline_text,
        "inside": int(o.inside), "origins": list(o.origins), "denials": list(o.denials),
        "countries": sorted(o.countries),
        "supports": [{"report_id": s.report_id, "published": s.published.isoformat() if s.published else None,
                      "outlet": s.outlet, "language": s.language, "sentence": s.sentence, "start": s.start,
                      "end": s.end, "modality": s.modality, "origins": list(s.origin_labels),
                      "reliability": s.reliability, "places": [list(p) for p in s.places],
                      "actors": list(s.actors)} for s in o.supports],
    }


def contribution_row(c: Contribution) -> dict[str, Any]:
    return {"observation": c.observation.id, "indicator": c.observation.indicator, "story": c.observation.story_id,
            "grade": c.observation.grade, "value": c.value, "weight": c.weight, "reliability": c.reliability,
            "credibility": c.credibility, "baseline": c.baseline, "decay": c.decay}


def save(store: Store, a: Assessment) -> dict[str, int]:
    """Replace the stored observations (as of the last day) and this scope's index days."""
    now = datetime.now(UTC)
    last = a.days[-1].observations if a.days else []
    with store.lock("assess"), store.engine.begin() as conn:  # several watch processes may save at once
        conn.execute(delete(observations))
        if last:
            conn.execute(observations.insert(), [observation_row(o) for o in last])
        conn.execute(delete(index_days).where(index_days.c.scope == a.scope.name))
        if a.days:
            conn.execute(index_days.insert(), [{
                "scope": a.scope.name, "day": d.day.isoformat(), "value": d.index, "posteriors": d.posteriors,
                "contributions": [contribution_row(c) for c in d.contributions], "updated_at": now} for d in a.days])
    return {"observations": len(last), "days": len(a.days)}


def overrides(store: Store, config: Mapping[str, Any]) -> dict[str, str]:
    """Source grade overrides: ``[assess] grades`` in the config, then the analysts' (stored) ones."""
    out = {str(k): str(v).upper() for k, v in ((config.get("assess") or {}).get("grades") or {}).items()}
    with store.engine.connect() as conn:
        out.update({r.source: r.reliability for r in conn.execute(select(grade_overrides))})
    return out


def flags(store: Store) -> tuple[frozenset[str], frozenset[str]]:
    """(report ids, observation ids) that analysts flagged wrong: every assessment leaves them out."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(analyst_actions.c.target, analyst_actions.c.target_id).where(
            analyst_actions.c.kind == "flag")).all()
    return (frozenset(i for t, i in rows if t == "report"), frozenset(i for t, i in rows if t == "observation"))


def set_grade(store: Store, source: str, reliability: str, by: str, note: str | None = None) -> None:
    with store.engine.begin() as conn:
        conn.execute(delete(grade_overrides).where(grade_overrides.c.source == source))
        conn.execute(grade_overrides.insert().values(source=source, reliability=reliability.upper(), note=note,
                                                     set_by=by, set_at=datetime.now(UTC)))


__all__ = ["contribution_row", "flags", "observation_row", "overrides", "save", "set_grade"]
