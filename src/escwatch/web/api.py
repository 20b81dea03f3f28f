"""The JSON API under /api: the state it serves from (``Web``) and its routes.

``Web`` opens the store and the analysis context on first use and keeps one assessment in memory,
keyed by what changes it (reports, assessing actions, grade overrides, stories); every read that
needs the assessment shares it. Lists are pages: ``{"items", "total", "page", "size"}``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, func, select

from escwatch import __version__
from escwatch.analyse.context import Context, make_context
from escwatch.assess import Assessment, Day, assess
from escwatch.assess.evidence import observation_id
from escwatch.assess.hypotheses import ach, discriminators
from escwatch.assess.model import load_model
from escwatch.assess.persist import flags, overrides, save
from escwatch.config import Settings
from escwatch.errors import AssessError, EscwatchError, NotFoundError
from escwatch.report.assessment import day_json
from escwatch.report.export import record
from escwatch.store import Store, open_store
from escwatch.store.schema import alert_deliveries, alerts, grade_overrides, index_days, observations, reports, stories
from escwatch.stories import graph
from escwatch.web import actions, search
from escwatch.web.cache import REQUEST_VERSION, DataVersion
from escwatch.web.security import ActionsDisabledError, csrf_value, set_csrf_cookie

log = logging.getLogger(__name__)
MAX_SIZE = 100
MAX_PAGE = 100_000
MAX_KEYS = 200_000  # lists up to this long are paged from their ordered keys
ALL = "all"  # the scope of the stored overview index


# -- state ------------------------------------------------------------------------------------------
class Web:
    """What the API serves from: the store, the analysis context and the current assessment."""

    def __init__(self, settings: Settings, token: str | None = None) -> None:
        self.settings = settings
        self.token = token
        self._lock = threading.RLock()
        self._store: Store | None = None
        self._context: Context | None = None
        self._cached: tuple[tuple[Any, ...], Assessment] | None = None
        self._versions: DataVersion | None = None
        self._assessed_at: str | None = None
        self._ids: dict[Any, tuple[str, list[Any]]] = {}
        self.response_cache: Any = None  # the ResponseCache middleware, once the app built it

    @property
    def versions(self) -> DataVersion:
        """The store's data version (opens the store)."""
        if self._versions is None:
            store = self.store
            with self._lock:
                if self._versions is None:
                    self._versions = DataVersion(store)
        return self._versions

    @property
    def ready(self) -> bool:
        """True once the store is open and its data version readable without waiting."""
        return self._versions is not None

    def version(self) -> str | None:
        """The data version: as read when the request began (see ``escwatch.web.cache``), else now."""
        return REQUEST_VERSION.get() or self.versions.current()

    def ordered_ids(self, query: Select[Any], pk: Any) -> list[Any] | None:
        """The primary keys of ``query``'s rows in its order, kept per data version (every page of a list
        is then a slice: no count, no OFFSET scan); None for a list longer than MAX_KEYS."""
        version = self.version()
        compiled = query.compile(self.store.engine)
        key = (str(compiled), tuple(sorted((k, repr(v)) for k, v in compiled.params.items())))
        if version is not None and (hit := self._ids.get(key)) is not None and hit[0] == version:
            return hit[1]
        with self.store.engine.connect() as conn:
            ids = list(conn.execute(query.with_only_columns(pk).limit(MAX_KEYS + 1)).scalars())
        if len(ids) > MAX_KEYS:
            return None
        if version is not None:
            if len(self._ids) > 256:
                self._ids.clear()
            self._ids[key] = (version, ids)
        return ids

    @property
    def store(self) -> Store:
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._store = open_store(self.settings.db_url)
                    self._ensure_stored()
        return self._store

    @property
    def context(self) -> Context:
        if self._context is None:
            with self._lock:
                if self._context is None:
                    self._context = make_context(self.settings.packs)
        return self._context

    def _key(self) -> tuple[Any, ...]:
        with self.store.engine.connect() as conn:
            row = conn.execute(select(
                select(func.count()).select_from(reports).scalar_subquery(), actions.assessing_count(),
                select(func.max(grade_overrides.c.set_at)).scalar_subquery(),
                select(func.max(stories.c.updated_at)).scalar_subquery())).one()
        return tuple(row)

    def assessment(self) -> Assessment:
        """The assessment of everything in the store, without what analysts flagged (cached; its key is
        read again only when the data version moved)."""
        with self._lock:
            version = self.version()
            if self._cached is not None and version is not None and self._assessed_at == version:
                return self._cached[1]
            key = self._key()
            self._assessed_at = version
            if self._cached is None or self._cached[0] != key:
                store, pack = self.store, self.context.pack
                flagged_reports, flagged_observations = flags(store)
                a = assess(store, pack, overrides=overrides(store, self.settings.extra),
                           flagged_reports=flagged_reports, flagged_observations=flagged_observations)
                self._cached = (key, a)
            return self._cached[1]

    def refresh(self) -> Assessment:
        """Reassess now and store it (observations, the overview's index)."""
        with self._lock:
            self._cached = None
            a = self.assessment()
            if a.days:
                save(self.store, a)
            return a

    def _ensure_stored(self) -> None:
        """Assess and store once when the store holds no overview index yet."""
        assert self._store is not None
        with self._store.engine.connect() as conn:
            have = conn.execute(select(func.count()).select_from(index_days).where(index_days.c.scope == ALL)).scalar()
        if not have:
            try:
                self.refresh()
            except EscwatchError as exc:  # the rest of the API still serves; explain etc. will say why
                log.warning("cannot assess the store: %s", exc)

    def close(self) -> None:
        with self._lock:
            if self._versions is not None:
                self._versions.close()
                self._versions = None
            if self._store is not None:
                self._store.close()
                self._store = None


def web(request: Request) -> Web:
    state: Web = request.app.state.web
    return state


WebDep = Annotated[Web, Depends(web)]


# -- models ---------------------------------------------------------------------------------------
class ErrorDetail(BaseModel):
    code: str
    message: str
    hint: str | None


class ErrorBody(BaseModel):
    error: ErrorDetail


class Health(BaseModel):
    status: str
    version: str
    reports: int


class IndexPoint(BaseModel):
    day: str
    value: float
    posteriors: dict[str, float]


class StorySummary(BaseModel):
    id: str
    title: str | None
    size: int
    languages: list[str]
    first_seen: str | None
    last_seen: str | None
    independent_origins: int


class Overview(BaseModel):
    hypotheses: dict[str, str]
    index: list[IndexPoint]
    alerts: list[dict[str, Any]]
    stories: list[StorySummary]


class Page(BaseModel):
    items: list[dict[str, Any]]
    total: int
    page: int
    size: int


class SearchPage(Page):
    facets: dict[str, dict[str, int]]


class Explained(BaseModel):
    day: str
    scope: str
    index: float
    posteriors: dict[str, float]
    leader: str
    contributions: list[dict[str, Any]]
    observations: dict[str, dict[str, Any]]


class MatrixRow(BaseModel):
    observation: str
    indicator: str
    story: str
    grade: str
    inside_routine_window: bool
    likelihoods: dict[str, float]
    marks: dict[str, str]
    diagnosticity: float


class Discriminator(BaseModel):
    indicator: str
    hypothesis: str
    before: float
    after: float
    shift: float


class Hypotheses(BaseModel):
    day: str
    posteriors: dict[str, float]
    labels: dict[str, str]
    inconsistency: dict[str, float]
    matrix: list[MatrixRow]
    discriminators: list[Discriminator]


class Member(BaseModel):
    id: str
    published: str | None
    language: str | None
    outlet: str | None
    title: str | None
    url: str | None


class Edge(BaseModel):
    src: str
    dst: str
    kind: str
    report: str


class Graph(BaseModel):
    nodes: dict[str, dict[str, Any]]
    edges: list[Edge]


class StoryDetail(BaseModel):
    story: dict[str, Any]
    members: list[Member]
    graph: Graph
    observations: list[dict[str, Any]]


class Csrf(BaseModel):
    csrf: str


class ActionDone(BaseModel):
    ok: bool
    action: dict[str, Any]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GradeIn(_In):
    source: str = Field(min_length=1, max_length=200)
    reliability: str = Field(pattern="^[A-Fa-f]$", description="Admiralty reliability A-F")
    note: str | None = Field(default=None, max_length=2000)


class FlagIn(_In):
    target: Literal["report", "observation"]
    id: str = Field(min_length=1, max_length=200)
    note: str | None = Field(default=None, max_length=2000)


class NoteIn(_In):
    target: Literal["report", "observation", "story"]
    id: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=10_000)


ERRORS: dict[int | str, dict[str, Any]] = {422: {"model": ErrorBody, "description": "invalid parameters"}}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody, "description": "not found"}}
REFUSED: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "missing or wrong bearer token"},
    403: {"model": ErrorBody, "description": "actions disabled (no server token) or wrong CSRF token"},
    **NOT_FOUND}

router = APIRouter(prefix="/api", responses=ERRORS)

PageNo = Annotated[int, Query(ge=1, le=MAX_PAGE, description="page number, from 1")]
Size = Annotated[int, Query(ge=1, le=MAX_SIZE, description="items per page")]
Text = Annotated[str | None, Query(max_length=200)]
From = Annotated[date | None, Query(alias="from", description="first day (YYYY-MM-DD)")]
To = Annotated[date | None, Query(alias="to", description="last day (YYYY-MM-DD)")]


# -- helpers --------------------------------------------------------------------------------------
def plain(value: str | None) -> str | None:
    """A parameter with NUL characters replaced (U+FFFD): PostgreSQL refuses NUL in text, and a value that
    had one still matches nothing."""
    return value.replace("\x00", "\ufffd") if value else value


def iso(value: Any) -> Any:
    """Datetimes as ISO strings in UTC (SQLite hands them back naive); anything else as it is."""
    if not isinstance(value, datetime):
        return value
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def jsonable(row: Any) -> dict[str, Any]:
    """A database row as JSON-ready values."""
    return {k: iso(v) for k, v in dict(row).items()}


def paginate(w: Web, query: Select[Any], pk: Any, page: int, size: int,
             convert: Callable[[Any], dict[str, Any]] = jsonable) -> dict[str, Any]:
    """One page of ``query`` (ordered; ``pk`` its table's primary key) with the total."""
    ids = w.ordered_ids(query, pk)
    with w.store.engine.connect() as conn:
        if ids is None:
            total = conn.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
            rows = list(conn.execute(query.limit(size).offset((page - 1) * size)).mappings().all())
        else:
            total, chunk = len(ids), ids[(page - 1) * size:page * size]
            found = {r[pk.name]: r for r in conn.execute(query.order_by(None).where(pk.in_(chunk))).mappings()}
            rows = [found[i] for i in chunk if i in found]
    return {"items": [convert(r) for r in rows], "total": total, "page": page, "size": size}


def day_of(a: Assessment, day: date | None) -> Day:
    if not a.days:
        raise NotFoundError("nothing is assessed yet", hint="ingest reports with indicators and dates first")
    if day is None:
        return a.days[-1]
    try:
        return a.on(day)
    except AssessError as exc:
        raise NotFoundError(exc.message, hint=exc.hint) from None


def observation_out(row: Any) -> dict[str, Any]:
    """An observation row with the distinct places of its supports ([name, country, lat, lon]) for maps."""
    out = jsonable(row)
    places = {tuple(p): None for s in out["supports"] for p in s.get("places") or ()}
    out["places"] = [list(p) for p in places]
    return out


def story_summary(row: Any) -> dict[str, Any]:
    r = jsonable(row)
    return {k: r[k] for k in ("id", "title", "size", "languages", "first_seen", "last_seen", "independent_origins")}


def alerts_out(store: Store, rows: list[Any]) -> list[dict[str, Any]]:
    ids = [r["id"] for r in rows]
    with store.engine.connect() as conn:
        sent = conn.execute(select(alert_deliveries).where(alert_deliveries.c.alert_id.in_(ids)).order_by(
            alert_deliveries.c.channel)).mappings().all()
    by_alert: dict[str, list[dict[str, Any]]] = {}
    for d in sent:
        by_alert.setdefault(d["alert_id"], []).append(
            {k: v for k, v in jsonable(d).items() if k != "alert_id"})
    return [{**jsonable(r), "deliveries": by_alert.get(r["id"], [])} for r in rows]


ALERTS_NEWEST = select(alerts).order_by(alerts.c.day.desc(), alerts.c.created_at.desc(), alerts.c.id)
STORIES = select(stories).where(stories.c.merged_into.is_(None))


# -- read routes ----------------------------------------------------------------------------------
@router.get("/health", response_model=Health)
def health(w: WebDep) -> dict[str, Any]:
    with w.store.engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(reports)).scalar_one()
    return {"status": "ok", "version": __version__, "reports": n}


@router.get("/csrf", response_model=Csrf)
def csrf(request: Request, response: Response) -> dict[str, str]:
    """The CSRF token for actions; also set as the cookie ``escwatch_csrf`` (double submit)."""
    value = csrf_value(request)
    set_csrf_cookie(response, value)
    return {"csrf": value}


@router.get("/overview", response_model=Overview)
def overview(w: WebDep) -> dict[str, Any]:
    store = w.store
    with store.engine.connect() as conn:
        index = conn.execute(select(index_days.c.day, index_days.c.value, index_days.c.posteriors).where(
            index_days.c.scope == ALL).order_by(index_days.c.day)).mappings().all()
        latest = conn.execute(ALERTS_NEWEST.limit(10)).mappings().all()
        top = conn.execute(STORIES.order_by(stories.c.independent_origins.desc(), stories.c.size.desc(),
                                            stories.c.id).limit(10)).mappings().all()
    return {"hypotheses": load_model(w.context.pack).labels, "index": [dict(r) for r in index],
            "alerts": alerts_out(store, list(latest)), "stories": [story_summary(r) for r in top]}


@router.get("/explain/{day}", response_model=Explained, responses=NOT_FOUND)
def explain(day: date, w: WebDep) -> dict[str, Any]:
    """The index on a day as the sum of its contributions, down to reports and sentences."""
    a = w.assessment()
    return day_json(a, day_of(a, day))


@router.get("/hypotheses", response_model=Hypotheses, responses=NOT_FOUND)
def hypotheses(w: WebDep, day: Annotated[date | None, Query(alias="date")] = None) -> dict[str, Any]:
    """Posteriors, the ACH matrix with diagnosticity and the indicators that would discriminate (last day
    by default)."""
    a = w.assessment()
    d = day_of(a, day)
    obs = [o for o in d.observations if a.scope.covers(o)]
    rows, inconsistency = ach(a.model, obs, d.day)
    return {"day": d.day.isoformat(), "posteriors": d.posteriors, "labels": a.model.labels,
            "inconsistency": inconsistency,
            "matrix": [{"observation": r.observation.id, "indicator": r.observation.indicator,
                        "story": r.observation.story_id, "grade": r.observation.grade,
                        "inside_routine_window": r.observation.inside, "likelihoods": r.likelihoods,
                        "marks": r.marks, "diagnosticity": r.diagnosticity} for r in rows],
            "discriminators": [vars(x) for x in discriminators(a.model, obs, d.day)]}


@router.get("/stories", response_model=Page)
def list_stories(w: WebDep, page: PageNo = 1, size: Size = 20) -> dict[str, Any]:
    """Stories, largest first."""
    query = STORIES.order_by(stories.c.size.desc(), stories.c.first_seen, stories.c.id)
    return paginate(w, query, stories.c.id, page, size)


@router.get("/stories/{story_id}", response_model=StoryDetail, responses=NOT_FOUND)
def story(story_id: str, w: WebDep) -> dict[str, Any]:
    """One story: its row, members in time order, provenance graph and observations."""
    store, story_id = w.store, plain(story_id) or ""
    with store.engine.connect() as conn:
        row = conn.execute(select(stories).where(stories.c.id == story_id)).mappings().first()
        obs = conn.execute(select(observations).where(observations.c.story_id == story_id).order_by(
            observations.c.day, observations.c.id)).mappings().all()
    if row is None:
        raise NotFoundError(f"no story {story_id!r}", hint="list stories with GET /api/stories")
    mem, g = graph(store, w.context.pack, story_id)
    return {"story": jsonable(row),
            "members": [{"id": m.id, "published": m.published.isoformat() if m.published else None,
                         "language": m.language, "outlet": m.outlet, "title": m.title, "url": m.url} for m in mem],
            "graph": {"nodes": g.nodes, "edges": [{"src": s, "dst": d, "kind": k, "report": r}
                                                  for s, d, k, r in g.edges]},
            "observations": [observation_out(o) for o in obs]}


def resolve_report(store: Store, prefix: str) -> str:
    """The full id of the report with this id or unique prefix (hexadecimal only: no LIKE wildcards)."""
    prefix = prefix.lower()
    if not prefix or len(prefix) > 64 or any(c not in "0123456789abcdef" for c in prefix):
        raise NotFoundError(f"no report with id {prefix[:80]!r}", hint="a report id is hexadecimal")
    return store.resolve_id(prefix)


@router.get("/reports/{report_id}", response_model=dict[str, Any], responses=NOT_FOUND)
def report(report_id: str, w: WebDep) -> dict[str, Any]:
    """One report (id or unique prefix) as an export record, with its raw and clean text and the analysts'
    actions on it."""
    store = w.store
    rep = store.get_report(resolve_report(store, report_id))
    return {**record(rep, w.context.pack), "raw_text": rep.raw_text, "text": rep.text,
            "flags": actions.on(store, "report", rep.id)}


@router.get("/observations", response_model=Page)
def list_observations(w: WebDep, indicator: Text = None,
                      story_id: Annotated[str | None, Query(alias="story", max_length=64)] = None,
                      start: From = None, end: To = None, page: PageNo = 1, size: Size = 20) -> dict[str, Any]:
    """Observations of the stored assessment, with their supports and places."""
    query, indicator, story_id = select(observations), plain(indicator), plain(story_id)
    if indicator:
        query = query.where(observations.c.indicator == indicator)
    if story_id:
        query = query.where(observations.c.story_id.startswith(story_id, autoescape=True))
    if start:
        query = query.where(observations.c.day >= start.isoformat())
    if end:
        query = query.where(observations.c.day <= end.isoformat())
    return paginate(w, query.order_by(observations.c.day, observations.c.id), observations.c.id, page, size,
                    observation_out)


@router.get("/search", response_model=SearchPage)
def find(w: WebDep, q: Annotated[str, Query(max_length=500, description="words, all required")] = "",
         language: Text = None, outlet: Text = None, indicator: Text = None, entity: Text = None,
         start: From = None, end: To = None, page: PageNo = 1, size: Size = 20) -> dict[str, Any]:
    """Full-text search with filters; facets count the matching reports per value."""
    f = search.Filters(q, plain(language), plain(outlet), plain(indicator), plain(entity), start, end)
    return search.search(w.store, f, page, size, w.version())


@router.get("/alerts", response_model=Page)
def list_alerts(w: WebDep, page: PageNo = 1, size: Size = 20) -> dict[str, Any]:
    """Stored alerts, newest first, each with its deliveries."""
    store = w.store
    out = paginate(w, ALERTS_NEWEST, alerts.c.id, page, size, dict)
    out["items"] = alerts_out(store, out["items"])
    return out


# -- actions --------------------------------------------------------------------------------------
def actor(request: Request) -> str:
    """Who acts: set by ActionGuardMiddleware once it let the request through."""
    name = getattr(request.state, "actor", None)
    if not isinstance(name, str):
        raise ActionsDisabledError("actions are disabled: start the server with --token")
    return name


def target_id(w: Web, target: str, given: str) -> str:
    """The full id of an existing report / observation / story, or NotFoundError."""
    store = w.store
    if target == "report":
        return resolve_report(store, given)
    if target == "observation":
        known = {observation_id(s.story_id, s.indicator) for s in w.assessment().supports}
        if given not in known:
            raise NotFoundError(f"no observation {given!r}", hint="observation ids are listed by GET /api/observations")
        return given
    given = plain(given) or ""
    with store.engine.connect() as conn:
        if conn.execute(select(stories.c.id).where(stories.c.id == given)).first() is None:
            raise NotFoundError(f"no story {given!r}", hint="list stories with GET /api/stories")
    return given


@router.post("/actions/grade", response_model=ActionDone, responses=REFUSED)
def grade(body: GradeIn, w: WebDep, who: Annotated[str, Depends(actor)]) -> dict[str, Any]:
    """Override a source's reliability (as `escwatch grade`); the assessment is redone."""
    done = actions.grade(w.store, body.source, body.reliability.upper(), body.note, who)
    w.refresh()
    return {"ok": True, "action": done}


@router.post("/actions/flag", response_model=ActionDone, responses=REFUSED)
def flag(body: FlagIn, w: WebDep, who: Annotated[str, Depends(actor)]) -> dict[str, Any]:
    """Flag a report or an observation as wrong: the assessment leaves it out from now on."""
    done = actions.flag(w.store, body.target, target_id(w, body.target, body.id), body.note, who)
    w.refresh()
    return {"ok": True, "action": done}


@router.post("/actions/note", response_model=ActionDone, responses=REFUSED)
def note(body: NoteIn, w: WebDep, who: Annotated[str, Depends(actor)]) -> dict[str, Any]:
    """Attach a note to a report, an observation or a story."""
    return {"ok": True, "action": actions.note(w.store, body.target, target_id(w, body.target, body.id),
                                              body.text, who)}
