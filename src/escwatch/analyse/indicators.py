"""Indicators stage: the pack's nuclear-signalling indicators, each fired by a rule whose roles
(actor, action, place, ...) all match inside one sentence, with its evidence span and confidence.

All role patterns of a language are found in one pass over the text (``scan.Scanner``) and
bucketed by sentence, so the cost grows with the words and matches, not with sentences x roles."""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache
from typing import cast

from escwatch.analyse.context import Context
from escwatch.analyse.scan import Scanner
from escwatch.analyse.text import by_sentence, sentences
from escwatch.lang import load_lang
from escwatch.packs import Pack
from escwatch.records import IndicatorHit, Report, replace

Fills = dict[tuple[str, str], dict[int, str]]  # (indicator, role) -> {sentence index: filling text}
NO_FILLS: dict[int, str] = {}


@lru_cache(maxsize=32)
def scanner(pack: Pack, lang: str | None) -> Scanner:
    """The role patterns of a language, labelled (indicator, role); sharing the language's word table."""
    return Scanner.build((((ind.id, name), p) for ind in pack.indicators.values()
                          for name, role in ind.roles.items() for p in role.patterns_for(lang)),
                         table=load_lang(lang or "en").words)


def _fills(report: Report, pack: Pack, sents: list[tuple[int, int]]) -> Fills:
    """Where each role is filled: the first pattern match in a sentence, overridden by an entity mention."""
    fills: Fills = {}
    starts = [s for s, _ in sents]
    found = cast(list[tuple[tuple[str, str], re.Match[str]]], scanner(pack, report.language).matches(report.text))
    for key, m in found:  # by start
        got = fills.get(key)
        if got is None:
            got = fills[key] = {}
        k = bisect_right(starts, m.start()) - 1
        if k not in got:
            got[k] = m.group()
    roles_of = _entity_roles(pack)
    for i, ms in enumerate(by_sentence(report.mentions, sents)):
        done: set[tuple[str, str]] = set()  # a role takes the first of the sentence's mentions it lists
        for ment in ms:
            for key in roles_of.get(ment.entity_id, ()):
                if key not in done:
                    done.add(key)
                    if ment.text:
                        fills.setdefault(key, {})[i] = ment.text
    return fills


@lru_cache(maxsize=32)
def _entity_roles(pack: Pack) -> dict[str, tuple[tuple[str, str], ...]]:
    """Entity id -> the (indicator, role) pairs whose role lists that entity."""
    out: dict[str, list[tuple[str, str]]] = {}
    for ind in pack.indicators.values():
        for name, role in ind.roles.items():
            for eid in dict.fromkeys(role.entities or ()):
                out.setdefault(eid, []).append((ind.id, name))
    return {k: tuple(v) for k, v in out.items()}


def run(report: Report, ctx: Context) -> Report:
    sents = sentences(report.text)
    if not sents:
        return report
    fills = _fills(report, ctx.pack, sents)
    hits: list[IndicatorHit] = []
    filled_ids = {ind_id for ind_id, _ in fills}
    for ind in ctx.pack.indicators.values():
        if ind.id not in filled_ids:  # no role filled: no rule can fire
            continue
        roles = {name: fills.get((ind.id, name), NO_FILLS) for name in ind.roles}
        best: dict[int, float] = {}
        for rule in ind.rules:
            filled = [roles[r] for r in rule.require]
            if not filled or not all(filled):  # most rules: a role filled in no sentence
                continue
            for i in set(filled[0]).intersection(*filled[1:]):
                best[i] = max(best.get(i, 0.0), rule.confidence)
        for i, conf in best.items():
            s, e = sents[i]
            hits.append(IndicatorHit(ind.id, conf, report.text[s:e], s, e,
                                     tuple((name, f[i]) for name, f in roles.items() if i in f)))
    return replace(report, indicators=tuple(sorted(hits, key=lambda h: (h.start, h.id))))
