"""Indicators stage: the pack's nuclear-signalling indicators, each fired by a rule whose roles
(actor, action, place, ...) all match inside one sentence, with its evidence span and confidence."""

from __future__ import annotations

from dataclasses import replace

from escwatch.analyse.context import Context
from escwatch.analyse.text import by_sentence, sentences
from escwatch.packs import Indicator, Role
from escwatch.records import IndicatorHit, Report


def _fill(role: Role, sent: str, lang: str | None, ids_here: dict[str, str]) -> str | None:
    """The text that fills a role in a sentence: an entity mention of the role's ids, else a pattern match."""
    ent = next((ids_here[i] for i in role.entities if i in ids_here), None)
    if ent:
        return ent
    m = role.search(sent, lang)
    return m.group() if m else None


def _present(ind: Indicator, text: str, lang: str | None, ids: set[str]) -> dict[str, bool]:
    """Which roles occur anywhere in the report: rules needing an absent role are never tried per sentence."""
    return {name: bool(role.entities & ids) or role.search(text, lang) is not None for name, role in ind.roles.items()}


def run(report: Report, ctx: Context) -> Report:
    text, lang = report.text, report.language
    sents = sentences(text)
    mentions = by_sentence(report.mentions, sents)
    all_ids = {m.entity_id for m in report.mentions}
    hits: list[IndicatorHit] = []
    for ind in ctx.pack.indicators.values():
        present = _present(ind, text, lang, all_ids)
        rules = [r for r in ind.rules if all(present[x] for x in r.require)]
        if not rules:
            continue
        for (s, e), here in zip(sents, mentions, strict=True):
            sent = text[s:e]
            ids_here = {m.entity_id: m.text for m in here}
            matched: dict[str, str | None] = {}  # role -> matched text; None: tried, no match
            best = None
            for rule in rules:  # roles are tried lazily: most sentences fail the first one
                ok = True
                for name in rule.require:
                    if name not in matched:
                        matched[name] = _fill(ind.roles[name], sent, lang, ids_here)
                    if matched[name] is None:
                        ok = False
                        break
                if ok and (best is None or rule.confidence > best.confidence):
                    best = rule
            if best:
                for name, role in ind.roles.items():  # record every role present, for the explanation
                    if name not in matched:
                        matched[name] = _fill(role, sent, lang, ids_here)
                hits.append(IndicatorHit(ind.id, best.confidence, sent, s, e,
                                         tuple((k, v) for k, v in matched.items() if v is not None)))
    return replace(report, indicators=tuple(sorted(hits, key=lambda h: (h.start, h.id))))
