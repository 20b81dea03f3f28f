"""Places stage: place and site mentions become geocoded places; vague region phrases
("centraal Rusland", "the Far North") get region precision, never a random city."""

from __future__ import annotations

from escwatch.analyse.context import Context
from escwatch.records import PlaceRef, Report, replace

PLACE_TYPES = {"place", "site"}


def run(report: Report, ctx: Context) -> Report:
    ents = ctx.pack.entities
    places: list[PlaceRef] = []
    covered: set[int] = set()  # the positions inside region phrases: a mention starting there is part of one
    res = ctx.lang(report.language)
    for rm, region_id in res.find_regions(report.text):  # "het Westen" is a region, "naar het westen" is not
        ent = ents.get(region_id)
        if ent:
            places.append(PlaceRef(rm.group(), rm.start(), rm.end(), ent.id, ent.name, ent.lat, ent.lon, ent.country,
                                   ent.code, "region"))
            covered.update(range(rm.start(), rm.end()))
    for m in report.mentions:
        if m.type not in PLACE_TYPES or m.start in covered:
            continue
        ent = ents.get(m.entity_id) or ctx.gazetteer.by_id.get(m.entity_id)
        if ent is None:
            continue
        precision = ent.precision or ("site" if ent.type == "site" else "city")
        places.append(PlaceRef(m.text, m.start, m.end, ent.id, ent.name, ent.lat, ent.lon, ent.country, ent.code,
                               precision))
    return replace(report, places=tuple(sorted(places, key=lambda p: p.start)))

