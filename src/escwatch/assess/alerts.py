"""Alert rules over an assessment, recorded once and delivered once per channel.

Rules (``[[alerts.rules]]`` in escwatch.toml; the defaults below when none are set):

    {name, kind = "index_above", threshold, region?, indicators?}  the index crosses a threshold upwards
    {name, kind = "new_indicator", window_days = 30}               an indicator type not seen for a while
    {name, kind = "new_origin", min_origins = 2}                   a story gains an independent origin
    {name, kind = "hypothesis_overtakes"}                          the leading hypothesis changes

Each alert's id hashes its rule and what fired it, so evaluating again (or replaying) never makes a
second alert. A delivery row per (alert, channel) is claimed before sending and marked after: an
alert is sent once per channel; after a crash between the two it is sent again with the same id
(the webhook's Idempotency-Key and the e-mail's Message-ID let the receiver drop the repeat).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from escwatch.assess import Assessment, Day
from escwatch.assess.deliver import Alert, deliver
from escwatch.assess.index import Scope
from escwatch.errors import ConfigError, DeliveryError
from escwatch.store import Store
from escwatch.store.schema import alert_deliveries, alerts

KINDS = ("index_above", "new_indicator", "new_origin", "hypothesis_overtakes")
DEFAULT_RULES: tuple[dict[str, Any], ...] = (
    {"name": "index-above-5", "kind": "index_above", "threshold": 5.0},
    {"name": "new-indicator", "kind": "new_indicator", "window_days": 30},
    {"name": "new-origin", "kind": "new_origin", "min_origins": 2},
    {"name": "leader-change", "kind": "hypothesis_overtakes"},
)


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str
    params: Mapping[str, Any]

    @property
    def scope(self) -> Scope:
        inds = self.params.get("indicators")
        return Scope(self.params.get("region"), frozenset(inds) if inds else None)


def rules_from(config: Mapping[str, Any]) -> list[Rule]:
    """The configured rules (``alerts.rules``), checked; the defaults when none are configured."""
    raw = ((config.get("alerts") or {}).get("rules")) or DEFAULT_RULES
    out = []
    for i, r in enumerate(raw):
        kind = r.get("kind")
        if kind not in KINDS:
            raise ConfigError(f"alert rule {i + 1}: unknown kind {kind!r}", hint=f"use one of {', '.join(KINDS)}")
        if kind == "index_above" and not isinstance(r.get("threshold"), int | float):
            raise ConfigError(f"alert rule {i + 1}: index_above needs a numeric threshold")
        out.append(Rule(str(r.get("name") or f"{kind}-{i + 1}"), kind, {k: v for k, v in r.items()
                                                                        if k not in ("name", "kind")}))
    return out


def _alert(rule: Rule, key: str, day: date, title: str, body: list[str], payload: dict[str, Any]) -> Alert:
    aid = hashlib.sha1(f"{rule.name}|{rule.kind}|{key}".encode()).hexdigest()
    return Alert(aid, rule.name, rule.kind, day.isoformat(), title, "\n".join(body),
                 {"rule": rule.name, **payload})


def _explain(d: Day, n: int = 3) -> list[str]:
    return [f"  {c.value:+.2f} {c.observation.indicator} ({c.observation.grade}, {c.observation.story_id}): "
            f"{c.observation.supports[0].sentence[:140]}" for c in d.contributions[:n]]


def _index_above(rule: Rule, days: list[Day], a: Assessment) -> Iterable[Alert]:
    from escwatch.assess.index import contributions, value

    thr = float(rule.params["threshold"])
    prev = None
    for d in days:
        parts = contributions(a.model, d.observations, d.day, rule.scope)
        v = value(parts)
        if v >= thr and (prev is None or prev < thr):
            scoped = Day(d.day, v, d.posteriors, parts, d.observations)
            yield _alert(rule, f"{rule.scope.name}|{d.day}", d.day,
                         f"Escalation index {v:.2f} crossed {thr:g} on {d.day} ({rule.scope.name})",
                         [f"index {v:.2f} (previous day {prev:.2f})" if prev is not None else f"index {v:.2f}",
                          "largest contributions:", *_explain(scoped)],
                         {"scope": rule.scope.name, "index": round(v, 4), "threshold": thr})
        prev = v


def _new_indicator(rule: Rule, days: list[Day], a: Assessment) -> Iterable[Alert]:
    window = timedelta(days=int(rule.params.get("window_days", 30)))
    for d in days:
        for o in d.observations:
            if o.day != d.day or not rule.scope.covers(o):
                continue
            if any(p.indicator == o.indicator and d.day - window <= p.day < d.day for p in d.observations):
                continue
            s = o.supports[0]
            yield _alert(rule, f"{o.indicator}|{d.day}", d.day,
                         f"New indicator: {o.indicator.replace('_', ' ')} on {d.day}",
                         [f"{o.grade} — {o.credibility_reason}; {o.baseline_text}",
                          f"{s.outlet or '?'} ({s.language}): {s.sentence[:200]}"],
                         {"indicator": o.indicator, "observation": o.id, "story": o.story_id})


def _new_origin(rule: Rule, days: list[Day], a: Assessment) -> Iterable[Alert]:
    least = int(rule.params.get("min_origins", 2))
    before: dict[str, set[str]] = {}
    for d in days:
        now: dict[str, set[str]] = {}
        for o in d.observations:
            if rule.scope.covers(o):
                now.setdefault(o.story_id, set()).update(o.origins)
        for story, owners in sorted(now.items()):
            new = owners - before.get(story, set())
            if before.get(story) and new and len(owners) >= least:
                yield _alert(rule, f"{story}|{len(owners)}|{','.join(sorted(owners))}", d.day,
                             f"Story {story} has {len(owners)} independent origins (new: {', '.join(sorted(new))})",
                             [f"origins: {', '.join(sorted(owners))}"],
                             {"story": story, "origins": sorted(owners), "new": sorted(new)})
        before = now


def _overtakes(rule: Rule, days: list[Day], a: Assessment) -> Iterable[Alert]:
    prev = None
    for d in days:
        if prev is not None and d.leader != prev.leader:
            p = d.posteriors
            yield _alert(rule, f"{rule.scope.name}|{d.day}|{d.leader}", d.day,
                         f"{a.model.labels[d.leader]} overtakes {a.model.labels[prev.leader]} on {d.day}",
                         [", ".join(f"{a.model.labels[h]} {p[h]:.0%}" for h in a.model.hypotheses), *_explain(d)],
                         {"leader": d.leader, "previous": prev.leader,
                          "posteriors": {h: round(v, 4) for h, v in p.items()}})
        prev = d


EVALUATE = {"index_above": _index_above, "new_indicator": _new_indicator, "new_origin": _new_origin,
            "hypothesis_overtakes": _overtakes}


def evaluate(a: Assessment, rules: Iterable[Rule], start: date | None = None) -> list[Alert]:
    """Every alert the rules raise over the assessed days (from ``start`` on), in day order."""
    out = []
    for rule in rules:
        for al in EVALUATE[rule.kind](rule, a.days, a):
            if start is None or al.day >= start.isoformat():
                out.append(al)
    return sorted(out, key=lambda al: (al.day, al.rule, al.id))


def record(store: Store, found: Iterable[Alert]) -> list[Alert]:
    """Store alerts not stored before; returns the new ones."""
    new = []
    with store.engine.begin() as conn:
        known = set(conn.execute(select(alerts.c.id)).scalars())
        for al in found:
            if al.id in known:
                continue
            known.add(al.id)
            done = conn.execute(store.insert_or_ignore(alerts).values(  # another watch may record it first
                id=al.id, rule=al.rule, kind=al.kind, day=al.day, title=al.title, body=al.body,
                payload=dict(al.payload), created_at=datetime.now(UTC)))
            if done.rowcount:
                new.append(al)
    return new


def _claim(store: Store, alert_id: str, channel: str) -> bool:
    """Take the (alert, channel) delivery: False when it was sent already or is being sent."""
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        row = conn.execute(select(alert_deliveries.c.status).where(
            alert_deliveries.c.alert_id == alert_id, alert_deliveries.c.channel == channel)).first()
        if row is None:
            try:
                conn.execute(alert_deliveries.insert().values(alert_id=alert_id, channel=channel, status="sending",
                                                              attempts=0, updated_at=now))
            except IntegrityError:
                return False
            return True
        return row[0] in ("failed", "sending")  # a failed or interrupted delivery is tried again


def _mark(store: Store, alert_id: str, channel: str, status: str, attempts: int, detail: str) -> None:
    with store.engine.begin() as conn:
        conn.execute(update(alert_deliveries).where(
            alert_deliveries.c.alert_id == alert_id, alert_deliveries.c.channel == channel).values(
            status=status, attempts=alert_deliveries.c.attempts + attempts, detail=detail[:2000],
            updated_at=datetime.now(UTC)))


def channels_from(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    chans = [dict(c) for c in ((config.get("alerts") or {}).get("channels") or [])]
    for i, c in enumerate(chans):
        c.setdefault("name", f"{c.get('kind')}-{i + 1}")
    return chans


def stored(store: Store) -> list[Alert]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(alerts).order_by(alerts.c.day, alerts.c.rule, alerts.c.id)).mappings().all()
    return [Alert(r["id"], r["rule"], r["kind"], r["day"], r["title"], r["body"], r["payload"]) for r in rows]


def dispatch(store: Store, channels: list[dict[str, Any]], since: date | None = None,
             **deliver_kw: Any) -> list[dict[str, Any]]:
    """Deliver every stored alert (from ``since`` on) to every channel it has not reached yet."""
    report = []
    for al in stored(store):
        if since and al.day < since.isoformat():
            continue
        for ch in channels:
            if not _claim(store, al.id, ch["name"]):
                continue
            try:
                got = deliver(al, ch, **deliver_kw)
            except DeliveryError as exc:
                _mark(store, al.id, ch["name"], "failed", 1, str(exc))
                report.append({"alert": al.id, "channel": ch["name"], "status": "failed", "detail": str(exc)})
                continue
            _mark(store, al.id, ch["name"], "sent", got.attempts, got.detail)
            report.append({"alert": al.id, "channel": ch["name"], "status": "sent", "attempts": got.attempts})
    return report


def deliveries(store: Store) -> dict[str, list[dict[str, Any]]]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(alert_deliveries)).mappings().all()
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r["alert_id"], []).append(dict(r))
    return out
