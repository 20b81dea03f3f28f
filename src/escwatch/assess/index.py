"""The escalation index: per day, the sum of every observation's contribution, each explained.

contribution = escalation weight of the indicator x reliability factor x credibility factor
               x baseline factor (the pack's discount inside a routine window, else 1) x decay
The explanation lists those factors, so its numbers add up to the index it explains, and reaches
down to the reports and sentences behind each observation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from escwatch.assess.evidence import Observation
from escwatch.assess.model import Model


@dataclass(frozen=True)
class Scope:
    """Which observations an index covers: a country (ISO alpha-2), some indicators, one story."""

    region: str | None = None
    indicators: frozenset[str] | None = None
    story: str | None = None  # a story id or a prefix of it

    @property
    def name(self) -> str:
        parts = [self.region or "all"]
        if self.indicators:
            parts.append("+".join(sorted(self.indicators)))
        if self.story:
            parts.append(f"story={self.story}")
        name = ":".join(parts)
        return name if len(name) <= 100 else f"{name[:88]}~{hashlib.sha1(name.encode()).hexdigest()[:10]}"

    def covers(self, o: Observation) -> bool:
        if self.indicators and o.indicator not in self.indicators:
            return False
        if self.story and not o.story_id.startswith(self.story):
            return False
        return not self.region or self.region.upper() in o.countries


@dataclass(frozen=True)
class Contribution:
    observation: Observation
    weight: float  # escalation weight of the indicator
    reliability: float
    credibility: float
    baseline: float
    decay: float

    @property
    def value(self) -> float:
        return self.weight * self.reliability * self.credibility * self.baseline * self.decay


def contributions(model: Model, obs: Iterable[Observation], day: date, scope: Scope = Scope()) -> list[Contribution]:
    out = []
    for o in obs:
        if o.day > day or not scope.covers(o):
            continue
        f = model.factors
        out.append(Contribution(o, model.escalation.get(o.indicator, 1.0), f["reliability"][o.reliability],
                                f["credibility"][o.credibility], model.baseline_discount if o.inside else 1.0,
                                model.decay(o.day, day)))
    return sorted(out, key=lambda c: (-abs(c.value), c.observation.id))


def value(parts: Iterable[Contribution]) -> float:
    return sum(c.value for c in parts)
