"""Dates stage: candidate phrases found by a cheap per-language pre-filter, resolved by dateparser
against the publication date; relative ranges kept as ranges; recurring expressions marked."""

from __future__ import annotations

import re
import warnings
from bisect import bisect_right
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from escwatch.analyse.context import Context
from escwatch.analyse.text import sentences
from escwatch.records import DateRef, Report, replace

MAX_PARSES = 40
MONTHS_EN = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
             "november", "december"]


def _parse(phrase: str, lang: str | None, base: datetime) -> date | None:
    return _parse_cached(phrase.lower(), lang, base.date())


DAY_MONTH = re.compile(r"^(\d{1,2})\.?\s+([^\W\d_]+)\.?(?:\s+(\d{4}))?$")
MONTH_DAY = re.compile(r"^([^\W\d_]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?(?:\s+(\d{4}))?$")
ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def _locale(lang: str) -> Any:
    """babel's locale of a language (None when babel does not know it)."""
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(lang)
    except (UnknownLocaleError, ValueError):
        return None


@lru_cache(maxsize=16)
def _month_names(lang: str) -> dict[str, int]:
    """Month names of a language in every form babel knows (wide, abbreviated; format and stand-alone,
    so genitives like "октября", "października" too), lower-cased."""
    loc = _locale(lang)
    if loc is None:
        return {}
    out: dict[str, int] = {}
    for context in ("format", "stand-alone"):
        for width in ("wide", "abbreviated"):
            for num, name in loc.months[context][width].items():
                out.setdefault(str(name).lower().rstrip("."), int(num))
    return out


@lru_cache(maxsize=16)
def _weekday_names(lang: str) -> dict[str, int]:
    """Weekday names (0 = Monday) in babel's forms, and their first four letters for inflected forms
    ("пятницу", "środę")."""
    loc = _locale(lang)
    if loc is None:
        return {}
    out: dict[str, int] = {}
    for context in ("format", "stand-alone"):
        for num, name in loc.days[context]["wide"].items():
            low = str(name).lower()
            out.setdefault(low, int(num))
            if lang in SLAVIC_LANGS:  # "~пятн" -> Friday, for forms at most 2 letters longer than the name
                out.setdefault("~" + low[:4], int(num))
                out[f"~{low[:4]}#len"] = max(out.get(f"~{low[:4]}#len", 0), len(low) + 2)
    return out


SLAVIC_LANGS = {"pl", "ru", "uk"}  # weekday names inflect: "пятницу", "środę", "niedzieli"


PREPOSITIONS = {"on", "op", "am", "le", "в", "во", "у", "w", "we"}


def _weekday(phrase: str, lang: str, day: date) -> date | None:
    """ "on Friday", "в пятницу": the last such weekday strictly before ``day`` (as dateparser does)."""
    words = phrase.split()
    if not words or len(words) > 2 or (len(words) == 2 and words[0] not in PREPOSITIONS):
        return None
    names = _weekday_names(lang)
    word = words[-1]
    num = names.get(word)
    if num is None and len(word) >= 5 and len(word) <= names.get(f"~{word[:4]}#len", 0):
        num = names.get("~" + word[:4])  # an inflected form, not a longer word ("środowisko")
    if num is None:
        return None
    back = (day.weekday() - num) % 7 or 7
    return day - timedelta(days=back)


def _month_only(phrase: str, lang: str, day: date) -> date | None:
    """ "October", "dezember": that month's day of ``day`` in the most recent year not after it."""
    month = _month_names(lang).get(phrase)
    if month is None or day.day > 28:
        return None
    got = date(day.year, month, day.day)
    return got if got <= day else date(day.year - 1, month, day.day)


def _quick(phrase: str, lang: str | None, day: date) -> date | None:
    """The common forms ("3 October 2022", "October 3", "3 октября", ISO) without dateparser: a year left
    out is the most recent one that does not put the date after ``day`` (as PREFER_DATES_FROM=past)."""
    if m := ISO_DAY.match(phrase):
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    if lang is None:
        return None
    m = DAY_MONTH.match(phrase) or MONTH_DAY.match(phrase)
    if not m:
        return _weekday(phrase, lang, day) or _month_only(phrase, lang, day)
    d, name = (m.group(1), m.group(2)) if m.re is DAY_MONTH else (m.group(2), m.group(1))
    month = _month_names(lang).get(name) or _month_names("en").get(name)
    if month is None:
        return None
    try:
        if m.group(3):
            return date(int(m.group(3)), month, int(d))
        got = date(day.year, month, int(d))
        return got if got <= day else date(day.year - 1, month, int(d))
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def _parse_cached(phrase: str, lang: str | None, day: date) -> date | None:
    import dateparser

    quick = _quick(phrase, lang, day)
    if quick is not None:
        return quick if 1900 <= quick.year <= 2200 else None

    base = datetime(day.year, day.month, day.day, 12)
    settings = {"RELATIVE_BASE": base, "PREFER_DATES_FROM": "past",
                "REQUIRE_PARTS": [], "RETURN_AS_TIMEZONE_AWARE": False}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            got = dateparser.parse(phrase, languages=[lang] if lang else None, settings=settings)
        except (ValueError, OverflowError, TypeError):
            return None
    if got is None or not (1900 <= got.year <= 2200):
        return None
    return got.date()


WARM_PHRASES = ("3 days ago", "last week", "5 march")  # relative and absolute: each of dateparser's paths


def warm(languages: tuple[str, ...]) -> None:
    """Load dateparser's data of each language now (its locales and their patterns, ~30 ms each), rather
    than on the first phrase only dateparser can read."""
    import dateparser

    base = datetime(2022, 1, 1, 12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for lang in languages:
            for phrase in WARM_PHRASES:
                try:
                    dateparser.parse(phrase, languages=[lang], settings={"RELATIVE_BASE": base})
                except (ValueError, OverflowError, TypeError):  # a language dateparser does not know
                    break


def _shift(base: date, spec: dict[str, int]) -> tuple[date, date]:
    if "days" in spec:
        d = base + timedelta(days=spec["days"])
        return (min(d, base), max(d, base))
    if "week" in spec:
        monday = base - timedelta(days=base.weekday()) + timedelta(weeks=spec["week"])
        return monday, monday + timedelta(days=6)
    if "month" in spec:
        y, m = base.year, base.month + spec["month"]
        y, m = y + (m - 1) // 12, (m - 1) % 12 + 1
        start = date(y, m, 1)
        nxt = date(y + (m == 12), m % 12 + 1, 1)
        return start, nxt - timedelta(days=1)
    return base, base


def _month_in(text: str, lang: str | None, base: datetime) -> int | None:
    got = _parse(text, lang, base)
    return got.month if got else None


YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
TODAY_SLACK = timedelta(days=2)


def infer_published(text: str, phrases: list[re.Match[str]], lang: str | None) -> datetime | None:
    """No publication date: the latest full date (with its year) the text mentions, if not in the future."""
    latest = None
    limit = (datetime.now(UTC) + TODAY_SLACK).date()
    for m in phrases:
        if not YEAR.search(m.group()) or m.group().strip().isdigit():
            continue
        got = _parse(m.group(), lang, datetime(2100, 1, 1))
        if got and got <= limit and (latest is None or got > latest):
            latest = got
    return datetime(latest.year, latest.month, latest.day, 12, tzinfo=UTC) if latest else None


RECURRING = ("recurring",)
OTHER_BASE = datetime(2001, 7, 4, tzinfo=UTC)  # a second anchor: a date that moves with it is relative


def run(report: Report, ctx: Context) -> Report:
    res = ctx.lang(report.language)
    text = report.text
    phrases = res.finditer("date_words", text)
    if report.published is None and (found := infer_published(text, phrases, report.language)):
        report = replace(report, published=found, published_source="text")
    base = report.published or datetime(2000, 1, 1, tzinfo=UTC)
    out: list[DateRef] = []
    taken: list[tuple[int, int]] = []
    for m, spec in res.find_ranges(text):
        if report.published:
            a, b = _shift(base.date(), spec)
            out.append(DateRef(m.group(), m.start(), m.end(), "range", a.isoformat(), b.isoformat()))
        else:
            out.append(DateRef(m.group(), m.start(), m.end(), "range", None))
        taken.append((m.start(), m.end()))
    sents = sentences(text)
    starts = [s for s, _ in sents]
    parses = 0
    recurring: dict[int, bool] = {}  # per sentence index: it has a "recurring" marker (several phrases ask)
    for m in phrases:
        if any(s <= m.start() < e for s, e in taken):
            continue
        k = bisect_right(starts, m.start()) - 1
        if k not in recurring:
            sent = sents[k] if k >= 0 else (0, len(text))
            recurring[k] = bool(res.scan(RECURRING, text, sent[0], sent[1]))  # candidates found once per text
        if recurring[k]:
            month = _month_in(m.group(), report.language, base)
            out.append(DateRef(m.group(), m.start(), m.end(), "recurring", None,
                               recurrence=f"yearly:{month}" if month else "recurring"))
            continue
        if m.group().strip().isdigit():  # a bare year is the whole year
            y = m.group().strip()
            out.append(DateRef(m.group(), m.start(), m.end(), "range", f"{y}-01-01", f"{y}-12-31"))
            continue
        if parses >= MAX_PARSES:
            break
        parses += 1
        got = _parse(m.group(), report.language, base)
        if got and report.published is None and got != _parse(m.group(), report.language, OTHER_BASE):
            out.append(DateRef(m.group(), m.start(), m.end(), "point", None))  # relative, and nothing to anchor it
        elif got:
            out.append(DateRef(m.group(), m.start(), m.end(), "point", got.isoformat()))
    return replace(report, dates=tuple(sorted(out, key=lambda d: d.start)))
