"""First-version story grouping: linked entities, indicators and places shared within a time window.

Language-independent by construction (entity and indicator ids are the same in every language).
Reports are taken in publication order; each joins the most similar open story or opens one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from escwatch.records import Report
from escwatch.store import Store

WINDOW = timedelta(days=10)
THRESHOLD = 0.25
SKIP_TYPES = {"outlet"}


def features(r: Report) -> Counter[str]:
    f: Counter[str] = Counter()
    for m in r.mentions:
        if m.type in SKIP_TYPES or m.entity_id.startswith("country:"):
            continue
        f[f"e:{m.entity_id}"] = 1
    for h in r.indicators:
        f[f"i:{h.id}"] = 2
    for p in r.places:
        if p.precision != "country":
            f[f"p:{p.place_id}"] = 1
    return f


def similarity(a: Counter[str], b: Counter[str]) -> float:
    keys = a.keys() | b.keys()
    if not keys:
        return 0.0
    inter = sum(min(a[k], b[k]) for k in keys)
    union = sum(max(a[k], b[k]) for k in keys)
    return inter / union


@dataclass
class _Story:
    id: str
    last: datetime | None
    members: list[Counter[str]] = field(default_factory=list)

    def score(self, f: Counter[str]) -> float:
        return max((similarity(f, m) for m in self.members), default=0.0)


def assign_stories(store: Store) -> dict[str, str]:
    """Give every stored report without a story a story id; returns {report_id: story_id}."""
    stories: list[_Story] = []
    assigned: dict[str, str] = {}
    for rep in store.iter_reports():
        f = features(rep)
        when = rep.published
        if rep.story:
            st = next((s for s in stories if s.id == rep.story), None)
            if st is None:
                st = _Story(rep.story, when)
                stories.append(st)
            st.members.append(f)
            st.last = max(filter(None, [st.last, when]), default=None)
            continue
        open_ = [s for s in stories if when is None or s.last is None or when - s.last <= WINDOW]
        best = max(open_, key=lambda s: s.score(f), default=None)
        if best is not None and best.score(f) >= THRESHOLD and f:
            st = best
        else:
            st = _Story(f"s-{rep.id[:10]}", when)
            stories.append(st)
        st.members.append(f)
        st.last = max(filter(None, [st.last, when]), default=None)
        assigned[rep.id] = st.id
        store.set_story(rep.id, st.id)
    return assigned
