"""Immutable records: the only vocabulary the stages share.

Every span a stage extracts keeps ``start``/``end`` character offsets into ``Report.text``
(the analysed text), so any number escwatch shows can be traced back to words.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any, Literal, TypeVar

Modality = Literal["asserted", "reported", "hedged", "speculative", "denied"]
MODALITIES: tuple[str, ...] = ("asserted", "reported", "hedged", "speculative", "denied")
Precision = Literal["site", "city", "admin1", "region", "country"]


def utc(dt: datetime | None) -> datetime | None:
    """Timezone-aware UTC (SQLite hands back naive datetimes)."""
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


def content_hash(text: str) -> str:
    """Stable key of a report: sha256 of its whitespace-normalised text."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class RawDoc:
    """One document as a source delivered it, before any meaning is read from it."""

    source: str  # file path, URL or "telegram:channel/123"
    kind: str  # txt | md | html | json | feed | telegram | gdelt
    content: str  # decoded text (HTML stays HTML)
    meta: Mapping[str, Any] = field(default_factory=dict)  # title, url, outlet, published, language, author


@dataclass(frozen=True, slots=True)
class Span:
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Mention:
    """A linked (or newly found) entity mention."""

    text: str
    start: int
    end: int
    entity_id: str  # pack id, or "new:<Name>" for entities found outside the pack
    name: str  # canonical English name
    type: str
    wikidata: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class PlaceRef:
    text: str
    start: int
    end: int
    place_id: str
    name: str
    lat: float | None
    lon: float | None
    country: str | None
    code: str | None
    precision: str


@dataclass(frozen=True, slots=True)
class DateRef:
    text: str
    start: int
    end: int
    kind: Literal["point", "range", "recurring"]
    value: str | None  # ISO date (start of a range)
    until: str | None = None  # ISO date, end of a range
    recurrence: str | None = None  # e.g. "yearly:10" for "every October"


@dataclass(frozen=True, slots=True)
class Quote:
    text: str
    start: int
    end: int
    speaker: str | None  # canonical name
    speaker_id: str | None
    kind: Literal["direct", "indirect"] = "direct"


@dataclass(frozen=True, slots=True)
class Claim:
    text: str
    start: int
    end: int
    modality: str
    attributed_to: str | None = None
    cue: str | None = None  # the words that set the modality


@dataclass(frozen=True, slots=True)
class CitedSource:
    name: str  # canonical outlet/person name
    text: str
    start: int
    end: int
    outlet_id: str | None = None
    via: str = "according_to"  # line ("Bron:") | according_to | dateline | named (an outlet named) | said (X said)


@dataclass(frozen=True, slots=True)
class IndicatorHit:
    id: str
    confidence: float
    evidence: str
    start: int
    end: int
    roles: tuple[tuple[str, str], ...] = ()  # (role, matched text)


@dataclass(frozen=True, slots=True)
class Report:
    """A parsed report and everything the analysis stages added to it."""

    id: str  # content hash
    source: str
    raw_text: str  # as delivered (teasers, bylines kept)
    text: str  # what is analysed; spans point here
    title: str | None = None
    url: str | None = None
    outlet: str | None = None
    byline: str | None = None
    published: datetime | None = None
    published_source: str | None = None  # meta | month | url | text: where the publication date came from
    language: str | None = None
    declared_language: str | None = None
    forwarded_from: str | None = None  # a channel post forwarded from another channel (Telegram)
    links: tuple[str, ...] = ()  # URLs the item links to (feeds, Telegram)
    cited_sources: tuple[CitedSource, ...] = ()
    mentions: tuple[Mention, ...] = ()
    places: tuple[PlaceRef, ...] = ()
    dates: tuple[DateRef, ...] = ()
    quotes: tuple[Quote, ...] = ()
    claims: tuple[Claim, ...] = ()
    indicators: tuple[IndicatorHit, ...] = ()
    story: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["published"] = self.published.isoformat() if self.published else None
        return data


@dataclass(frozen=True, slots=True)
class ErrorRecord:
    """A document or step that failed; stored in the error table, never silently dropped."""

    source: str
    stage: str
    code: str
    message: str


def _quick_pickling(cls: type) -> None:
    """Pickle a frozen, slotted record as a tuple of its values: read at once (``_FIELDS``), set back through
    the quick ``__init__``. The dataclass default looks its fields up for every object, which made
    unpickling analysed reports from Ray workers cost ~1 ms each."""
    read = _FIELDS[cls][0]
    init = cls.__dict__["__init__"]  # the quick one

    def getstate(self: Any) -> tuple[Any, ...]:
        return read(self)

    def setstate(self: Any, state: tuple[Any, ...]) -> None:
        init(self, *state)

    setattr(cls, "__getstate__", getstate)  # noqa: B010 (mypy refuses a method assignment)
    setattr(cls, "__setstate__", setstate)  # noqa: B010


def _quick_init(cls: type) -> None:
    """Give a frozen, slotted record an ``__init__`` that fills its slots through their descriptors. The
    dataclass one calls ``object.__setattr__`` per field (to get past the frozen ``__setattr__``), which made
    building a record ~1 µs, and the analysis builds hundreds per report. Same signature, same defaults."""
    params, body = [], []
    env: dict[str, Any] = {"_NO_VALUE": _NO_VALUE}
    for i, f in enumerate(fields(cls)):
        env[f"_set{i}"] = cls.__dict__[f.name].__set__  # the slot's member descriptor
        if f.default is not MISSING:
            env[f"_default{i}"] = f.default
            params.append(f"{f.name}=_default{i}")
            body.append(f"_set{i}(self, {f.name})")
        elif f.default_factory is not MISSING:
            env[f"_factory{i}"] = f.default_factory
            params.append(f"{f.name}=_NO_VALUE")
            body.append(f"_set{i}(self, _factory{i}() if {f.name} is _NO_VALUE else {f.name})")
        else:
            params.append(f.name)
            body.append(f"_set{i}(self, {f.name})")
    source = f"def __init__(self, {', '.join(params)}):\n    " + "\n    ".join(body)
    exec(source, env)  # as dataclasses itself builds __init__
    init = env["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    setattr(cls, "__init__", init)  # noqa: B010 (mypy refuses a method assignment)


_NO_VALUE = object()  # a default_factory field left out
_FIELDS: dict[type, tuple[Callable[[Any], tuple[Any, ...]], dict[str, int]]] = {}  # (read all values, index)
R = TypeVar("R")


def replace(record: R, /, **changes: Any) -> R:
    """``dataclasses.replace`` for a record, ~3x faster: its values read at once (one ``attrgetter``), then
    the quick ``__init__``. Every stage replaces the report once."""
    read, index = _FIELDS[type(record)]
    values = list(read(record))
    for name, value in changes.items():
        k = index.get(name)
        if k is None:
            raise TypeError(f"{type(record).__name__}.__init__() got an unexpected keyword argument {name!r}")
        values[k] = value
    return type(record)(*values)


for _cls in (RawDoc, Span, Mention, PlaceRef, DateRef, Quote, Claim, CitedSource, IndicatorHit, Report, ErrorRecord):
    _names = [f.name for f in fields(_cls)]  # three or more: attrgetter gives a tuple
    _FIELDS[_cls] = (attrgetter(*_names), {n: k for k, n in enumerate(_names)})
    _quick_init(_cls)
    _quick_pickling(_cls)
