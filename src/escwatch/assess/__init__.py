"""Assessment: observations held against baselines, graded, weighed between competing hypotheses,
summed into an escalation index per day with an explanation for every value, and alerts.

    a = assess(store, pack)            # every day from the first to the last report
    a.on(date(2022, 10, 3)).index      # the index that day; .contributions explain it
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date, timedelta

from escwatch.assess.evidence import Observation, Support, collect, observations
from escwatch.assess.hypotheses import posterior
from escwatch.assess.index import Contribution, Scope, contributions, value
from escwatch.assess.model import Model, load_model
from escwatch.errors import AssessError
from escwatch.packs import Pack
from escwatch.store import Store

MAX_DAYS = 3660


@dataclass(frozen=True)
class Day:
    day: date
    index: float
    posteriors: dict[str, float]
    contributions: list[Contribution]
    observations: list[Observation]  # everything known that day (any scope)

    @property
    def leader(self) -> str:
        return max(self.posteriors, key=lambda h: self.posteriors[h])


@dataclass
class Assessment:
    model: Model
    scope: Scope
    supports: list[Support]
    days: list[Day] = field(default_factory=list)

    def on(self, day: date) -> Day:
        for d in self.days:
            if d.day == day:
                return d
        raise AssessError(f"no assessment for {day}", hint=f"the assessed days run from {self.first} to {self.last}")

    @property
    def first(self) -> date | None:
        return self.days[0].day if self.days else None

    @property
    def last(self) -> date | None:
        return self.days[-1].day if self.days else None


def assess_supports(supports: list[Support], pack: Pack, start: date | None = None, end: date | None = None,
                    scope: Scope = Scope(), flagged_observations: AbstractSet[str] = frozenset()) -> Assessment:
    """Replay the supports day by day: what was known each day, the index and the posteriors
    (without the observations flagged wrong)."""
    model = load_model(pack)
    dated = sorted(s.published.date() for s in supports if s.published)
    a = Assessment(model, scope, supports)
    if not dated:
        return a
    start, end = start or dated[0], end or dated[-1]
    if (end - start).days > MAX_DAYS:
        raise AssessError(f"{start} to {end} is more than {MAX_DAYS} days", hint="narrow it with --from/--to")
    day = start
    while day <= end:
        obs = observations(supports, pack, upto=day, flagged_observations=flagged_observations)
        parts = contributions(model, obs, day, scope)
        a.days.append(Day(day, value(parts), posterior(model, [o for o in obs if scope.covers(o)], day), parts, obs))
        day += timedelta(days=1)
    return a


def assess(store: Store, pack: Pack, start: date | None = None, end: date | None = None, scope: Scope = Scope(),
           overrides: Mapping[str, str] | None = None, flagged_reports: AbstractSet[str] | None = None,
           flagged_observations: AbstractSet[str] | None = None) -> Assessment:
    """Assess everything in the store (see ``assess_supports``), leaving out what analysts flagged wrong
    (read from the store unless given)."""
    if flagged_reports is None or flagged_observations is None:
        from escwatch.assess.persist import flags

        stored_reports, stored_observations = flags(store)
        flagged_reports = stored_reports if flagged_reports is None else flagged_reports
        flagged_observations = stored_observations if flagged_observations is None else flagged_observations
    return assess_supports(collect(store, pack, overrides, flagged_reports), pack, start, end, scope,
                           flagged_observations)


__all__ = ["Assessment", "Day", "Observation", "Scope", "Support", "assess", "assess_supports"]
