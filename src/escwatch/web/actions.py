"""Analysts' actions: grade a source, flag a report or an observation as wrong, add a note.

Every action is one row of ``analyst_actions`` (kind, target, target id, JSON payload, actor, time).
A grade is also written where ``escwatch grade`` writes it (``grade_overrides``); flags are read back
by ``flagged`` and left out of every assessment the web app makes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from escwatch.assess.persist import set_grade
from escwatch.records import utc
from escwatch.store import Store
from escwatch.store.schema import analyst_actions

ASSESSING = ("grade", "flag")  # kinds that change the assessment


def _plain(value: str | None) -> str | None:
    """Text as stored: without NUL characters (PostgreSQL text refuses them)."""
    return value.replace("\x00", "") if value is not None else None


def as_dict(row: Any) -> dict[str, Any]:
    created = utc(row["created_at"])
    return {"id": row["id"], "kind": row["kind"], "target": row["target"], "target_id": row["target_id"],
            "payload": row["payload"], "actor": row["actor"], "created_at": created.isoformat() if created else None}


def record(store: Store, kind: str, target: str, target_id: str, payload: dict[str, Any], actor: str) -> dict[str, Any]:
    """Store one action; returns it as stored."""
    row = {"kind": kind, "target": target, "target_id": target_id, "payload": payload, "actor": actor[:80],
           "created_at": datetime.now(UTC)}
    with store.engine.begin() as conn:
        key = conn.execute(analyst_actions.insert().values(**row)).inserted_primary_key
    row["id"] = key[0] if key else None
    return as_dict(row)


def grade(store: Store, source: str, reliability: str, note: str | None, actor: str) -> dict[str, Any]:
    source, note = _plain(source) or "", _plain(note)
    set_grade(store, source, reliability, actor, note)
    return record(store, "grade", "source", source, {"reliability": reliability.upper(), "note": note}, actor)


def flag(store: Store, target: str, target_id: str, note: str | None, actor: str) -> dict[str, Any]:
    return record(store, "flag", target, target_id, {"note": _plain(note)}, actor)


def note(store: Store, target: str, target_id: str, body: str, actor: str) -> dict[str, Any]:
    return record(store, "note", target, target_id, {"text": _plain(body)}, actor)


def on(store: Store, target: str, target_id: str) -> list[dict[str, Any]]:
    """Every action on one report, observation, story or source, oldest first."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(analyst_actions).where(
            analyst_actions.c.target == target, analyst_actions.c.target_id == target_id).order_by(
            analyst_actions.c.id)).mappings().all()
    return [as_dict(r) for r in rows]


def assessing_count() -> Any:
    """A scalar subquery: how many actions change the assessment (part of the web cache's key)."""
    return select(func.count()).select_from(analyst_actions).where(
        analyst_actions.c.kind.in_(ASSESSING)).scalar_subquery()
