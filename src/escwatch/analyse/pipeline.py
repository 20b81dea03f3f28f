"""The per-report pipeline: stages in order, each a pure function (Report, Context) -> Report.

Each stage declares what it needs and what it adds, so the order is checked, not assumed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from escwatch.analyse import claims, dates, entities, indicators, language, places, quotes, sources
from escwatch.analyse.context import Context
from escwatch.records import Report

StageFn = Callable[[Report, Context], Report]


@dataclass(frozen=True)
class Stage:
    name: str
    fn: StageFn
    requires: tuple[str, ...]
    assigns: tuple[str, ...]


STAGES: tuple[Stage, ...] = (
    Stage("language", language.run, ("text",), ("language",)),
    Stage("entities", entities.run, ("text", "language"), ("mentions",)),
    Stage("places", places.run, ("mentions",), ("places",)),
    Stage("dates", dates.run, ("text", "language", "published"), ("dates", "published")),
    Stage("quotes", quotes.run, ("mentions",), ("quotes",)),
    Stage("claims", claims.run, ("quotes",), ("claims",)),
    Stage("sources", sources.run, ("mentions",), ("cited_sources",)),
    Stage("indicators", indicators.run, ("mentions",), ("indicators",)),
)


def check_order(stages: tuple[Stage, ...] = STAGES) -> None:
    """Fail fast when a stage runs before what it needs is assigned."""
    have = {"text", "published", "title", "url", "outlet"}
    for st in stages:
        missing = set(st.requires) - have
        if missing:
            raise ValueError(f"stage {st.name} needs {sorted(missing)} before it runs")
        have |= set(st.assigns)


check_order()


def analyse_report(report: Report, ctx: Context, stages: tuple[Stage, ...] = STAGES) -> Report:
    for st in stages:
        report = st.fn(report, ctx)
    return report


WARM_TEXTS = {  # one short report per language, written by the team
    "nl": "Poetin zei dinsdag in Moskou dat de NAVO volgens The Times een kernproef zou voorbereiden.",
    "en": "Putin said on Tuesday in Moscow that NATO was reportedly preparing a nuclear test, The Times wrote.",
    "de": "Putin sagte am Dienstag in Moskau, die NATO bereite laut The Times angeblich einen Atomtest vor.",
    "fr": "Poutine a déclaré mardi à Moscou que l'OTAN préparerait un essai nucléaire, selon The Times.",
    "pl": "Putin powiedział we wtorek w Moskwie, że NATO podobno przygotowuje próbę jądrową, według The Times.",
    "ru": "Путин заявил во вторник в Москве, что НАТО якобы готовит ядерное испытание, пишет The Times.",
    "uk": "Путін заявив у вівторок у Москві, що НАТО нібито готує ядерне випробування, пише The Times.",
}


def warm(ctx: Context) -> None:
    """Pay every one-time cost now (language models, the gazetteer, each language's patterns and date
    locales), so that no report in a long run or on a fresh worker waits for a load."""
    from escwatch.parse import parse
    from escwatch.records import RawDoc

    language.warm(ctx.pack.languages)
    dates.warm(ctx.pack.languages)
    entities.warm()
    for lang, text in WARM_TEXTS.items():
        if lang in ctx.pack.languages:
            analyse_report(parse(RawDoc(f"warm/{lang}", "txt", text, {"published": "2022-10-04"})), ctx)
