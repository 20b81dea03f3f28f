"""Source grading on the Admiralty scale: reliability A–F per source, credibility 1–6 per observation.

Reliability comes from the pack's outlet grades (``reliability`` in outlets.yaml), overridden by the
user (``[assess.grades]`` in escwatch.toml, or analyst actions). Credibility comes from how many
*independent* origins affirm the observation and how they say it: an asserted fact from three
independent origins is "1 — confirmed", one hedged report is "4 — doubtful", a denial counts against.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from escwatch.packs import Pack

RELIABILITY = {"A": "completely reliable", "B": "usually reliable", "C": "fairly reliable",
               "D": "not usually reliable", "E": "unreliable", "F": "reliability cannot be judged"}
CREDIBILITY = {1: "confirmed by other sources", 2: "probably true", 3: "possibly true", 4: "doubtful",
               5: "improbable", 6: "truth cannot be judged"}
DEFAULT_FACTORS: dict[str, Any] = {
    "reliability": {"A": 1.0, "B": 0.85, "C": 0.7, "D": 0.5, "E": 0.3, "F": 0.45},
    "credibility": {1: 1.0, 2: 0.85, 3: 0.65, 4: 0.45, 5: 0.25, 6: 0.45},
}
# best credibility by the strongest affirming modality and the number of independent origins (1, 2, 3+)
BY_MODALITY = {"asserted": (3, 2, 1), "reported": (4, 3, 2), "hedged": (4, 4, 3), "speculative": (5, 5, 4)}
STRENGTH = ("asserted", "reported", "hedged", "speculative")
DENIAL_PENALTY = 2


def factors(pack: Pack) -> dict[str, dict[Any, float]]:
    """Weight of each grade in the index and the hypotheses (pack ``grading:`` overrides the defaults)."""
    conf = (pack.hypotheses.get("grading") or {}) if isinstance(pack.hypotheses, Mapping) else {}
    rel = {**DEFAULT_FACTORS["reliability"], **{str(k): float(v) for k, v in (conf.get("reliability") or {}).items()}}
    cred = {**DEFAULT_FACTORS["credibility"], **{int(k): float(v) for k, v in (conf.get("credibility") or {}).items()}}
    return {"reliability": rel, "credibility": cred}


def source_grade(outlet_id: str | None, name: str | None, pack: Pack, overrides: Mapping[str, str]) -> str:
    """A source's reliability letter: the user's override (by pack id or name), else the pack's, else F."""
    for key in (outlet_id, name, name.casefold() if name else None):
        if key and key in overrides:
            return overrides[key].upper()
    ent = pack.entities.get(outlet_id) if outlet_id else None
    grade = str(ent.extra.get("reliability", "F")).upper() if ent else "F"
    return grade if grade in RELIABILITY else "F"


def best(grades: Iterable[str]) -> str:
    """The most reliable grade among several (A best; F, "cannot be judged", only when nothing else)."""
    known = sorted(g for g in grades if g in RELIABILITY and g != "F")
    return known[0] if known else "F"


def credibility(affirming: Mapping[str, str], denying: Iterable[str]) -> tuple[int, str]:
    """Credibility 1–6 and its reason.

    ``affirming`` maps each independent origin (owner) that states the observation to its strongest
    modality; ``denying`` names the origins that deny it. An origin that both states and denies counts
    as a denial (it took the statement back)."""
    denied = set(denying)
    stated = {o: m for o, m in affirming.items() if o not in denied and m in BY_MODALITY}
    if not stated:
        return (5, f"denied by {len(denied)} origin(s), affirmed by none") if denied else (6, "no usable statement")
    grade, reason = 6, ""
    for rank, mod in enumerate(STRENGTH):
        n = sum(1 for m in stated.values() if STRENGTH.index(m) <= rank)  # origins saying it this way or stronger
        if n and BY_MODALITY[mod][min(n, 3) - 1] < grade:
            grade = BY_MODALITY[mod][min(n, 3) - 1]
            reason = f"{mod if rank == 0 else mod + ' or stronger'} by {n} independent origin{'s' if n != 1 else ''}"
    if denied:
        grade = min(5, grade + DENIAL_PENALTY)
        reason += f", denied by {len(denied)} origin{'s' if len(denied) != 1 else ''}"
    return grade, reason
