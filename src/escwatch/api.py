"""The Python API for notebooks: a store as records and pandas DataFrames, one text analysed.

    import escwatch
    wb = escwatch.open("demo.db")
    wb.reports_df().groupby("language").size()
    wb.assessment().on(date(2022, 10, 3)).index
    escwatch.analyse("Poetin zou ... hebben", published="2022-10-03")
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from escwatch.analyse.context import Context, make_context
from escwatch.assess import Assessment, Observation, Scope, assess
from escwatch.assess.alerts import stored
from escwatch.assess.deliver import Alert
from escwatch.config import load_settings
from escwatch.records import RawDoc, Report

if TYPE_CHECKING:
    import pandas as pd


def _df(rows: list[dict[str, Any]]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(rows)


class Workbench:
    """A store opened for reading (and for assessments): records and DataFrames."""

    def __init__(self, db: str = "escwatch.db", packs: tuple[str, ...] = ()) -> None:
        from escwatch.store import open_store

        self.settings = load_settings(db=db, packs=packs)
        self.store = open_store(self.settings.db_url)
        self._packs = packs

    @cached_property
    def context(self) -> Context:
        return make_context(self._packs)

    # -- records --------------------------------------------------------------------------
    def reports(self) -> Iterator[Report]:
        return self.store.iter_reports()

    def report(self, report_id: str) -> Report:
        return self.store.get_report(report_id)

    def stories(self, limit: int = 10_000) -> list[dict[str, Any]]:
        from escwatch.stories import list_stories

        return list_stories(self.store, limit)

    def assessment(self, start: date | None = None, end: date | None = None, region: str | None = None,
                   indicators: frozenset[str] | None = None, story: str | None = None) -> Assessment:
        from escwatch.assess.persist import overrides

        return assess(self.store, self.context.pack, start, end, Scope(region, indicators, story),
                      overrides(self.store, self.settings.extra))

    def observations(self, day: date | None = None) -> list[Observation]:
        a = self.assessment()
        if not a.days:
            return []
        return (a.on(day) if day else a.days[-1]).observations

    def alerts(self) -> list[Alert]:
        return stored(self.store)

    # -- DataFrames -----------------------------------------------------------------------
    def reports_df(self) -> pd.DataFrame:
        return _df([{"id": r.id, "published": r.published, "language": r.language, "outlet": r.outlet,
                     "title": r.title, "url": r.url, "story": r.story, "words": len(r.text.split()),
                     "indicators": sorted({h.id for h in r.indicators}),
                     "entities": sorted({m.name for m in r.mentions})} for r in self.reports()])

    def stories_df(self) -> pd.DataFrame:
        return _df(self.stories())

    def observations_df(self, day: date | None = None) -> pd.DataFrame:
        from escwatch.assess.persist import observation_row

        return _df([observation_row(o) for o in self.observations(day)])

    def index_df(self, **scope: Any) -> pd.DataFrame:
        """One row per day: the escalation index and each hypothesis's probability."""
        a = self.assessment(**scope)
        return _df([{"day": d.day, "index": d.index, **{f"p_{h}": p for h, p in d.posteriors.items()},
                     "leader": d.leader} for d in a.days])

    def plot(self, what: str, path: str | Path | None = None, **scope: Any) -> Any:
        """A matplotlib Figure of the index, hypotheses, timeline or map; saved when ``path`` is given."""
        from escwatch.report import plots

        fig = plots.FIGURES[what](self.assessment(**scope))
        return plots.save(fig, Path(path)) if path else fig

    def alerts_df(self) -> pd.DataFrame:
        return _df([al.as_dict() for al in self.alerts()])

    # -- lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Workbench:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()


def open(db: str = "escwatch.db", packs: tuple[str, ...] = ()) -> Workbench:
    """Open a store (a SQLite path or a database URL)."""
    return Workbench(db, packs)


_CONTEXTS: dict[tuple[str, ...], Context] = {}


def analyse(text: str, *, published: str | None = None, language: str | None = None, title: str | None = None,
            url: str | None = None, outlet: str | None = None, packs: tuple[str, ...] = ()) -> Report:
    """Analyse one text without a store: the Report with entities, places, dates, quotes, claims,
    cited sources and indicators, every span an offset into ``report.text``."""
    from escwatch.analyse.pipeline import analyse_report
    from escwatch.parse import parse

    ctx = _CONTEXTS.get(packs) or _CONTEXTS.setdefault(packs, make_context(packs))
    meta = {k: v for k, v in {"published": published, "language": language, "title": title, "url": url,
                              "outlet": outlet}.items() if v}
    return analyse_report(parse(RawDoc("api", "txt", text, meta)), ctx)
