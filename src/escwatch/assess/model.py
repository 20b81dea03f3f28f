"""The pack's assessment model: hypotheses with priors, likelihoods per indicator (inside / outside a
routine window), escalation weights, the decay half-life, the baseline discount and grade factors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from escwatch.assess import grading
from escwatch.assess.evidence import Observation
from escwatch.errors import PackSchemaError
from escwatch.packs import Pack


@dataclass(frozen=True)
class Model:
    hypotheses: tuple[str, ...]
    labels: Mapping[str, str]
    priors: Mapping[str, float]
    likelihoods: Mapping[str, Mapping[str, Mapping[str, float]]]  # indicator -> inside/outside -> h -> P
    escalation: Mapping[str, float]
    half_life: float
    baseline_discount: float  # index weight of an observation inside a routine window
    factors: Mapping[str, Mapping[object, float]]

    def decay(self, since: date, day: date) -> float:
        """Weight left to evidence first seen on ``since`` when judged on ``day`` (halves every half-life)."""
        return 0.5 ** (max(0, (day - since).days) / self.half_life)

    def likelihood(self, indicator: str, inside: bool) -> Mapping[str, float]:
        table = self.likelihoods.get(indicator) or {}
        row = table.get("inside" if inside else "outside") or table.get("outside") or {}
        return {h: float(row.get(h, 0.5)) for h in self.hypotheses}

    def weight(self, o: Observation) -> float:
        return o.weight(self.factors)


def load_model(pack: Pack) -> Model:
    conf = pack.hypotheses
    hyps = conf.get("hypotheses") or []
    if not hyps:
        raise PackSchemaError(f"pack {pack.name!r} has no hypotheses", hint="add hypotheses.yaml to the pack")
    ids = tuple(str(h["id"]) for h in hyps)
    total = sum(float(h.get("prior", 1)) for h in hyps)
    return Model(
        hypotheses=ids,
        labels={str(h["id"]): str(h.get("label") or h["id"]) for h in hyps},
        priors={str(h["id"]): float(h.get("prior", 1)) / total for h in hyps},
        likelihoods=conf.get("likelihoods") or {},
        escalation={str(k): float(v) for k, v in (conf.get("escalation_weight") or {}).items()},
        half_life=float(conf.get("decay_half_life_days", 14)),
        baseline_discount=float(conf.get("baseline_discount", 0.35)),
        factors=grading.factors(pack),
    )
