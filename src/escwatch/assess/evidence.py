"""Evidence: indicator hits as supports, merged per story and indicator into observations.

A support is one report's sentence that fires an indicator, with the claim's modality, the report's
independent origins (from the story's provenance graph) and its places. An observation is every
support of one indicator in one story: twenty copies of one video are one observation with one
origin. ``observations(supports, upto=day)`` rebuilds them from what was known on a day (backtests).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from escwatch.assess import baseline, grading
from escwatch.packs import Pack
from escwatch.records import Report
from escwatch.store import Store
from escwatch.store.schema import indicator_hits, reports
from escwatch.stories import copies, members, provenance

EVENT_LOOKBACK = timedelta(days=14)  # a date in the evidence sentence this far before publication is the event's


@dataclass(frozen=True)
class Support:
    story_id: str
    indicator: str
    report_id: str
    published: datetime | None
    outlet: str | None
    language: str | None
    sentence: str
    start: int
    end: int
    confidence: float
    modality: str
    origins: tuple[str, ...]  # owners of the independent origins this report rests on
    origin_labels: tuple[str, ...]
    reliability: str  # grade of the best origin (or of the reporting outlet)
    event_day: date | None  # a date named in the sentence, else the publication day
    places: tuple[tuple[str, str | None, float | None, float | None], ...]  # name, country, lat, lon
    actors: tuple[str, ...]

    @property
    def denied(self) -> bool:
        return self.modality == "denied"


@dataclass(frozen=True)
class Observation:
    id: str
    story_id: str
    indicator: str
    day: date  # first day a report of it was published
    event_day: date  # when it happened, as far as the reports say
    last_day: date
    supports: tuple[Support, ...]
    origins: tuple[str, ...]  # independent origins affirming it
    denials: tuple[str, ...]  # independent origins denying it
    reliability: str
    credibility: int
    credibility_reason: str
    baseline: tuple[baseline.BaselineMatch, ...]
    baseline_text: str

    @property
    def inside(self) -> bool:
        return bool(self.baseline)

    @property
    def grade(self) -> str:
        return f"{self.reliability}{self.credibility}"

    def weight(self, factors: Mapping[str, Mapping[object, float]]) -> float:
        """How much the observation counts: reliability factor x credibility factor (0..1)."""
        return factors["reliability"][self.reliability] * factors["credibility"][self.credibility]

    @property
    def countries(self) -> set[str]:
        return {c for s in self.supports for _, c, _, _ in s.places if c}


def _event_day(rep: Report, start: int, end: int) -> date | None:
    pub = rep.published.date() if rep.published else None
    for d in rep.dates:
        if d.kind == "point" and d.value and start <= d.start < end:
            day = date.fromisoformat(d.value[:10])
            if pub is None or pub - EVENT_LOOKBACK <= day <= pub:
                return day
    return pub


def _modality(rep: Report, start: int, end: int) -> str:
    """The modality of the claim that overlaps the sentence most (asserted when no claim covers it)."""
    best, overlap = "asserted", 0
    for c in rep.claims:
        ov = min(end, c.end) - max(start, c.start)
        if ov > overlap:
            best, overlap = c.modality, ov
    return best


def _origins(g: provenance.Graph, rep: Report, start: int, end: int, pack: Pack,
             overrides: Mapping[str, str]) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """(origin owners, labels, reliability) behind one sentence of a report.

    The sentence's own attribution comes first: the sources it cites ("according to The Times"), then
    the speakers it quotes ("Putin warned that ..."); a sentence with neither rests on what the whole
    report rests on. Reliability is that of the best origin outlet, else of the outlet that relays it."""
    own = grading.source_grade(provenance.outlet_id(rep.outlet, pack), rep.outlet, pack, overrides)
    cited = [provenance.source_node(c.name, c.outlet_id, pack)[0] for c in rep.cited_sources
             if start <= c.start < end and (c.via != "said" or c.outlet_id)]
    cited = [n for n in cited if n in g.nodes]
    said = [provenance.source_node(q.speaker, q.speaker_id, pack) for q in rep.quotes
            if q.speaker and q.start < end and q.end > start]  # an outlet as speaker keeps its owner and grade
    if cited:
        found = provenance.origins_from(g, cited)
    elif said:
        found = [{"node": nid, **attrs} for nid, attrs in said]
    else:
        found = provenance.origins(g, [rep])
    owners = tuple(dict.fromkeys(str(o["owner"]) for o in found))
    labels = tuple(dict.fromkeys(str(o["label"]) for o in found))
    grades = [grading.source_grade(o["node"].split(":", 1)[1], str(o["label"]), pack, overrides)
              for o in found if str(o["node"]).startswith("outlet:")]
    return owners, labels, grading.best(grades) if grades else own


def supports_of(members: list[Report], story_id: str, g: provenance.Graph, pack: Pack,
                overrides: Mapping[str, str]) -> list[Support]:
    out = []
    for rep in members:
        for h in rep.indicators:
            owners, labels, rel = _origins(g, rep, h.start, h.end, pack, overrides)
            places = tuple((p.name, p.country, p.lat, p.lon) for p in rep.places if h.start <= p.start < h.end) or \
                tuple((p.name, p.country, p.lat, p.lon) for p in rep.places[:3])
            actors = tuple(dict.fromkeys(m.name for m in rep.mentions if h.start <= m.start < h.end
                                         and m.type in ("person", "org", "unit")))
            out.append(Support(story_id, h.id, rep.id, rep.published, rep.outlet, rep.language, h.evidence,
                               h.start, h.end, h.confidence, _modality(rep, h.start, h.end), owners, labels, rel,
                               _event_day(rep, h.start, h.end), places, actors))
    return out


def collect(store: Store, pack: Pack, overrides: Mapping[str, str] | None = None,
            flagged_reports: AbstractSet[str] = frozenset()) -> list[Support]:
    """Every support in the store: per story, its members' indicator hits with their origins. Reports an
    analyst flagged wrong (``flagged_reports``, full ids) support nothing; they stay in the provenance graph."""
    overrides = overrides or {}
    with store.engine.connect() as conn:
        rows = conn.execute(select(reports.c.id, reports.c.story).where(reports.c.id.in_(
            select(indicator_hits.c.report_id)))).all()
    by_story: dict[str, list[str]] = defaultdict(list)
    for rid, story in rows:
        if rid in flagged_reports:
            continue
        by_story[story or f"r-{rid[:12]}"].append(rid)
    out: list[Support] = []
    for story_id, ids in sorted(by_story.items()):
        mem = [store.get_report(i) for i in ids]
        mem.sort(key=lambda r: (r.published is None, r.published or datetime.min, r.id))
        if story_id.startswith("r-"):
            g = provenance.build(mem, {}, pack)
        else:  # the whole story's graph: a member's sources may lead through members without hits
            everyone = members(store, story_id)
            g = provenance.build(everyone, copies(store, [m.id for m in everyone]), pack)
        out.extend(supports_of(mem, story_id, g, pack, overrides))
    return out


def observation_id(story: str, indicator: str) -> str:
    return "o-" + hashlib.sha1(f"{story}|{indicator}".encode()).hexdigest()[:12]


def observations(supports: Iterable[Support], pack: Pack, upto: date | None = None,
                 flagged_observations: AbstractSet[str] = frozenset()) -> list[Observation]:
    """Supports grouped per (story, indicator), graded and held against the calendar; only supports
    published on or before ``upto`` count when it is given; observations an analyst flagged wrong
    (``flagged_observations``, ids) are left out."""
    groups: dict[tuple[str, str], list[Support]] = defaultdict(list)
    for s in supports:
        if s.published is None or (upto is not None and s.published.date() > upto):
            continue
        groups[(s.story_id, s.indicator)].append(s)
    out = []
    for (story, ind), sup in sorted(groups.items()):
        oid = observation_id(story, ind)
        if oid in flagged_observations:
            continue
        sup.sort(key=lambda s: (s.published, s.report_id, s.start))
        affirm: dict[str, str] = {}
        denying: set[str] = set()
        for s in sup:
            for owner in s.origins:
                if s.denied:
                    denying.add(owner)
                elif owner not in affirm or grading.STRENGTH.index(s.modality) < grading.STRENGTH.index(affirm[owner]):
                    affirm[owner] = s.modality
        cred, why = grading.credibility(affirm, denying)
        day = min(s.published.date() for s in sup if s.published)
        event = min((s.event_day for s in sup if s.event_day), default=day)
        found = baseline.matches(event, ind, pack.calendar)
        out.append(Observation(
            oid, story, ind, day, event, max(s.published.date() for s in sup if s.published), tuple(sup),
            tuple(o for o in affirm if o not in denying), tuple(sorted(denying)),
            grading.best(s.reliability for s in sup if not s.denied) if any(not s.denied for s in sup) else
            grading.best(s.reliability for s in sup),
            cred, why, tuple(found), baseline.describe(event, ind, found)))
    return out
