"""Competing hypotheses: posteriors over time, the ACH matrix and the indicators that would discriminate.

Each observation multiplies every hypothesis by its likelihood (inside or outside a routine window),
made less diagnostic the weaker the evidence: L' = w·L + (1 − w)·mean(L), where w is the
observation's reliability x credibility factor, decayed with age. A weak or old observation thus
moves nothing, a strong fresh one moves the picture fully.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from escwatch.assess.evidence import Observation
from escwatch.assess.model import Model

ACH_LEVELS = ((0.7, "CC"), (0.45, "C"), (0.3, "N"), (0.15, "I"), (0.0, "II"))  # likelihood -> Heuer's marks


def effective(model: Model, o: Observation, day: date) -> dict[str, float]:
    w = model.weight(o) * model.decay(o.day, day)
    raw = model.likelihood(o.indicator, o.inside)
    mean = sum(raw.values()) / len(raw)
    return {h: w * p + (1 - w) * mean for h, p in raw.items()}


def posterior(model: Model, obs: Iterable[Observation], day: date) -> dict[str, float]:
    """P(hypothesis | observations seen up to ``day``)."""
    logp = {h: math.log(model.priors[h]) for h in model.hypotheses}
    for o in obs:
        if o.day > day:
            continue
        for h, p in effective(model, o, day).items():
            logp[h] += math.log(max(p, 1e-6))
    top = max(logp.values())
    z = sum(math.exp(v - top) for v in logp.values())
    return {h: math.exp(v - top) / z for h, v in logp.items()}


def mark(p: float) -> str:
    return next(m for lo, m in ACH_LEVELS if p >= lo)


@dataclass(frozen=True)
class Row:
    observation: Observation
    likelihoods: dict[str, float]  # effective, on the day of the matrix
    marks: dict[str, str]  # from the raw likelihoods: CC C N I II
    diagnosticity: float  # max / min effective likelihood (1.0: explains nothing)


def ach(model: Model, obs: Iterable[Observation], day: date) -> tuple[list[Row], dict[str, float]]:
    """Evidence x hypotheses rows, most diagnostic first, and each hypothesis's weighted inconsistency
    (Heuer: the hypothesis with the least inconsistent evidence is the likeliest)."""
    rows = []
    for o in obs:
        if o.day > day:
            continue
        eff = effective(model, o, day)
        raw = model.likelihood(o.indicator, o.inside)
        rows.append(Row(o, eff, {h: mark(p) for h, p in raw.items()}, max(eff.values()) / max(min(eff.values()), 1e-6)))
    rows.sort(key=lambda r: (-r.diagnosticity, r.observation.id))
    inconsistency = {h: 0.0 for h in model.hypotheses}
    for r in rows:
        w = model.weight(r.observation) * model.decay(r.observation.day, day)
        for h, m in r.marks.items():
            inconsistency[h] += w * {"I": 1.0, "II": 2.0}.get(m, 0.0)
    return rows, inconsistency


@dataclass(frozen=True)
class Discriminator:
    indicator: str
    hypothesis: str  # the one that would gain most
    before: float
    after: float
    shift: float  # largest absolute change of any hypothesis's probability


def discriminators(model: Model, obs: list[Observation], day: date, top: int = 3) -> list[Discriminator]:
    """Indicators that would most change the picture if seen next, outside any routine window, from a
    usually reliable source and probably true (B2)."""
    from escwatch.assess.baseline import describe
    from escwatch.assess.evidence import Observation as Obs

    now = posterior(model, obs, day)
    out = []
    for ind in model.likelihoods:
        probe = Obs(f"probe:{ind}", "probe", ind, day, day, day, (), ("probe",), (), "B", 2, "hypothetical", (),
                    describe(day, ind, []))
        after = posterior(model, [*obs, probe], day)
        shifts = {h: after[h] - now[h] for h in model.hypotheses}
        gain = max(shifts, key=lambda h: shifts[h])
        out.append(Discriminator(ind, gain, now[gain], after[gain], max(abs(v) for v in shifts.values())))
    out.sort(key=lambda d: (-d.shift, d.indicator))
    return out[:top]
