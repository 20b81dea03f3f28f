"""RawDoc -> Report: bylines and source lines, teaser and paywall lines, HTML extraction, dates."""

from __future__ import annotations

import re
import sys
from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from re import _constants as sre_c  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

from escwatch.analyse.text import finditer_at
from escwatch.errors import EmptyInputError, WrongTypeError
from escwatch.ingest.decode import scrub
from escwatch.lang import all_langs
from escwatch.parse.clean import MAX_HTML_CHARS, check_size, front_matter, normalise
from escwatch.parse.html import extract_html
from escwatch.records import RawDoc, Report, content_hash

BYLINE = re.compile(r"^\s*(?P<by>(?:By\s+)?[\w.\- ]{1,40}?)\s*(?:\||—|-)?\s*(?=(?:Bron|Source|Quelle|Źródło|"
                    r"Источник|Джерело)\s*:)", re.IGNORECASE)
BY_LINE = re.compile(r"^\s*(?:By|Door|Von|Par|Autor|Автор)\s+(?P<by>[^\n|]{2,60})", re.IGNORECASE)
URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](0?[1-9]|1[0-2])(?:[/-](0?[1-9]|[12]\d|3[01]))?(?=[/-]|$)")
MD_MARKUP = re.compile(r"^\s{0,3}#{1,6}\s+|^\s*[*-]\s+|\*\*|__", re.MULTILINE)
LINE_FLAGS = re.IGNORECASE | re.MULTILINE  # teaser and paywall patterns
_ZERO_WIDTH = (sre_c.AT, sre_c.ASSERT, sre_c.ASSERT_NOT)
_NEWLINE = re.compile("\n")


def _line_start(pattern: str) -> bool:
    """The pattern begins with a top-level ``^`` (no top-level alternation), so ``^`` can be factored out."""
    try:
        items = list(sre_parse.parse(pattern, LINE_FLAGS))
    except re.error:
        return False
    return pattern.startswith("^") and bool(items) and items[0] == (sre_c.AT, sre_c.AT_BEGINNING)


def _alternation(patterns: list[str]) -> str:
    """``(?:p1)|(?:p2)|...`` with runs of line-anchored patterns written ``^(?:(?:p1)|(?:p2))``: the same
    matches in the same order, but the engine tests ``^`` once per position instead of once per pattern."""
    runs: list[tuple[bool, list[str]]] = []
    for p in patterns:
        anchored = _line_start(p)
        if anchored and runs and runs[-1][0]:
            runs[-1][1].append(p[1:])
        else:
            runs.append((anchored, [p[1:] if anchored else p]))
    return "|".join("^(?:" + "|".join(f"(?:{q})" for q in qs) + ")" if anchored else f"(?:{qs[0]})"
                    for anchored, qs in runs)


def _literal_prefix(pattern: str) -> str | None:
    """The literal text every match of a pattern begins with (after its zero-width assertions), or None."""
    try:
        items = list(sre_parse.parse(pattern, LINE_FLAGS))
    except re.error:
        return None
    i = 0
    while i < len(items) and items[i][0] in _ZERO_WIDTH:
        i += 1
    prefix = ""
    while i < len(items) and items[i][0] is sre_c.LITERAL:
        prefix += chr(items[i][1])
        i += 1
    return prefix or None


@lru_cache(maxsize=8)
def _case_class(chars: str) -> str:
    """A character class of every code point that one of ``chars`` matches under ``LINE_FLAGS`` (so 'ſ' with
    's', 'K' (Kelvin) with 'k'), found by trying each against all of Unicode."""
    every = "".join(map(chr, range(sys.maxunicode + 1)))
    found = {c for char in set(chars) for c in re.findall(re.escape(char), every, LINE_FLAGS)}
    return "(?-i:[" + "".join(re.escape(c) for c in sorted(found)) + "])"


@dataclass(frozen=True)
class LineRx:
    """Line patterns as one regex, tried only where a match can begin: at line starts (the ``^`` patterns)
    and where ``others`` finds the literal start of another pattern. Python's ``re`` would otherwise
    try every branch at every position of the text."""

    rx: re.Pattern[str]
    others: re.Pattern[str] | None  # None: there are no other patterns
    exact: bool  # False: a pattern has no literal start, or the regex can match empty: scan every position

    @classmethod
    def build(cls, patterns: list[str]) -> LineRx:
        rx = re.compile(_alternation(patterns), LINE_FLAGS)
        prefixes = [_literal_prefix(p) for p in patterns if not _line_start(p)]
        exact = None not in prefixes and sre_parse.parse(rx.pattern, LINE_FLAGS).getwidth()[0] > 0
        others = "|".join(re.escape(p) for p in prefixes if p)
        if not (others and exact):
            return cls(rx, None, exact)
        # consume one character that can start a prefix (the engine skips to it), then check the prefixes there
        firsts = _case_class("".join(sorted({p[0] for p in prefixes if p})))
        return cls(rx, re.compile(firsts + rf"(?<=(?={others})[\s\S])", LINE_FLAGS), exact)

    def finditer(self, text: str) -> list[re.Match[str]]:
        """``list(rx.finditer(text))``."""
        if not self.exact:
            return list(self.rx.finditer(text))
        at = {0, *(m.end() for m in _NEWLINE.finditer(text))}
        if self.others is not None:
            at.update(m.start() for m in self.others.finditer(text))
        return list(finditer_at(self.rx, text, sorted(at)))


@lru_cache(maxsize=1)
def _line_rxs() -> tuple[LineRx, LineRx]:
    """Teaser and paywall patterns of every supported language, each as one multi-line regex."""
    def alt(key: str) -> LineRx:
        return LineRx.build([p for r in all_langs() for p in r.patterns.get(key, ())] or ["(?!)"])
    return alt("teasers"), alt("paywall")


def _drop_lines(text: str) -> str:
    """Remove teaser ("LEES OOK", "Read more") and paywall lines in any supported language."""
    teasers, paywall = _line_rxs()
    teaser_hits, paywall_hits = teasers.finditer(text), paywall.finditer(text)
    if not teaser_hits and not paywall_hits:  # the common case: no line to look at
        return _squeeze_blank_lines(text).strip()
    lines = text.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)

    def touched(hits: list[re.Match[str]]) -> set[int]:  # lines a match starts or ends on
        ends = [(m.start(), max(m.start(), m.end() - 1)) for m in hits]
        return {bisect_right(starts, p) - 1 for pair in ends for p in pair}

    drop = {i for i in touched(teaser_hits) if lines[i].strip() and teasers.rx.search(lines[i])}
    for i in touched(paywall_hits) - drop:
        lines[i] = paywall.rx.sub("", lines[i]).rstrip()
    kept = [line for i, line in enumerate(lines) if i not in drop]
    return _squeeze_blank_lines("\n".join(kept)).strip()


def _squeeze_blank_lines(text: str) -> str:
    """Runs of three or more line breaks as two."""
    return re.sub(r"\n{3,}", "\n\n", text) if "\n\n\n" in text else text


def parse_date(value: Any) -> datetime | None:
    """An ISO date or datetime (a bare date means midnight UTC)."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str):
        raise WrongTypeError(f"'published' must be an ISO date string, got {type(value).__name__}")
    value = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}", value):  # a month: its first day
        value += "-01"
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        import dateparser

        got = dateparser.parse(value)
        if got is None:
            raise WrongTypeError(f"'published' is not a date: {value!r:.60}") from None
        dt = got
    if not 1900 <= dt.year <= 2200:
        raise WrongTypeError(f"'published' is out of range (years 1900 to 2200): {value!r:.60}")
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def parse(doc: RawDoc) -> Report:
    meta: dict[str, Any] = dict(doc.meta)
    raw = doc.content
    if doc.kind == "html":
        check_size(doc.source, raw, MAX_HTML_CHARS, "HTML")
        got = extract_html(raw, meta.get("url"))
        for k, v in got.items():
            if k != "text" and v and not meta.get(k):
                meta[k] = v
        raw = got["text"]
        check_size(doc.source, raw)
    elif doc.kind == "md":
        front, raw = front_matter(raw)
        meta.update({k: v for k, v in front.items() if not meta.get(k)})
        check_size(doc.source, raw)
        raw = MD_MARKUP.sub("", raw)
    else:
        check_size(doc.source, raw)
    raw = normalise(raw.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " "))
    if not raw.strip():
        raise EmptyInputError(f"{doc.source}: no text")
    text = _drop_lines(raw)
    if not text:
        raise EmptyInputError(f"{doc.source}: only teaser or paywall lines")
    first = text.split("\n", 1)[0]
    byline = None
    if m := BYLINE.match(first):
        byline = m.group("by").strip() or None
    elif m := BY_LINE.match(first):
        byline = m.group("by").strip()
    if byline and byline.lower().startswith("by "):
        byline = byline[3:].strip()
    title = meta.get("title")
    if title is not None and not isinstance(title, str):
        raise WrongTypeError("'title' must be a string")
    title = normalise(title).strip() or None if title else None
    published, published_source = parse_date(meta.get("published")), "meta"
    if isinstance(meta.get("published"), str) and re.fullmatch(r"\s*\d{4}-\d{2}\s*", meta["published"]):
        published_source = "month"  # only the month is known
    if published is None and (m := URL_DATE.search(str(meta.get("url") or ""))):
        published = datetime(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1), 12, tzinfo=UTC)
        published_source = "url"
    return Report(
        id=content_hash(text), source=scrub(doc.source), raw_text=scrub(doc.content), text=text, title=title,
        url=_clean(meta.get("url")), outlet=_clean(meta.get("outlet")), byline=_clean(byline or meta.get("author")),
        published=published, published_source=published_source if published else None,
        declared_language=_clean(meta.get("language")), forwarded_from=_str_or_none(meta.get("forwarded_from")),
        links=tuple(scrub(u) for u in meta.get("links") or () if isinstance(u, str)),
    )


def _str_or_none(value: Any) -> str | None:
    return scrub(value).strip() or None if isinstance(value, str) else None


def _clean(value: Any) -> Any:
    """A metadata string without NUL characters or lone surrogates (any other value as it is)."""
    return scrub(value) if isinstance(value, str) else value
