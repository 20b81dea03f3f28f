"""Text hygiene before analysis: invisible and control characters, look-alike letters, size, front matter.

- Zero-width characters, soft hyphens and bidi marks are removed (``Пу\\u200bтин`` reads ``Путин``).
- A word that mixes Latin and Cyrillic letters has its look-alike letters folded into the word's own
  script (``Putіn`` with a Cyrillic ``і`` reads ``Putin``; ``Пyтин`` with a Latin ``y`` reads ``Путин``);
  a word whose letters of both scripts are not look-alikes is left as it is.
- Texts over ``MAX_TEXT_CHARS`` (HTML over ``MAX_HTML_CHARS``) are refused with E108: analysis time
  grows faster than the text, and no news report is that long.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from escwatch.errors import TooLargeError

MAX_TEXT_CHARS = 500_000
MAX_HTML_CHARS = 5_000_000
FRONT_MATTER_CHARS = 20_000
INVISIBLE = "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d" \
            "\u202e\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\u206a\u206b\u206c\u206d\u206e\u206f\ufeff"
CONTROLS = "".join(chr(c) for c in (*range(0, 9), 11, 12, *range(14, 32), 127))
_DROP = str.maketrans({c: None for c in INVISIBLE + CONTROLS.replace("\x0b", "").replace("\x0c", "")}
                      | {"\x0b": "\n", "\x0c": "\n"})
_ANY_DROP = re.compile("[" + re.escape(INVISIBLE + CONTROLS) + "]")
CYR, LAT = "аеорсухіјѕԁһԛԝАВЕКМНОРСТХІЈЅҮԚԜ", "aeopcyxijsdhqwABEKMHOPCTXIJSYQW"
TO_LATIN = str.maketrans(CYR, LAT)
TO_CYRILLIC = str.maketrans("aeopcyxiABEKMHOPCTXI", "аеорсухіАВЕКМНОРСТХІ")
_C, _L = "\u0400-\u052f", "A-Za-z\u00c0-\u024f"
IS_CYR = re.compile(f"[{_C}]")
IS_LAT = re.compile(f"[{_L}]")
MIXED_WORD = re.compile(r"[^\W\d_]+")
# a Cyrillic letter beside a Latin one: two searches, as ``re`` skips to a pattern's first class in C but tries
# every branch of an alternation at every position (a third less time on Cyrillic texts)
SCRIPTS_MEET = (re.compile(f"[{_C}][{_L}]"), re.compile(f"[{_L}][{_C}]"))
FRONT = re.compile(r"\A\ufeff?---[ \t]*\n(?P<yaml>.*?)\n?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
FRONT_KEYS = {"title": "title", "date": "published", "published": "published", "author": "author",
              "url": "url", "outlet": "outlet", "source": "outlet", "lang": "language", "language": "language"}


def _fold(m: re.Match[str]) -> str:
    word = m.group()
    cyr = [c for c in word if IS_CYR.match(c)]
    lat = [c for c in word if IS_LAT.match(c)]
    if not cyr or not lat:
        return word
    lat_anchor = any(c not in "aeopcyxiABEKMHOPCTXI" for c in lat)
    cyr_anchor = any(c not in CYR for c in cyr)
    if lat_anchor and not cyr_anchor:
        return word.translate(TO_LATIN)
    if cyr_anchor and not lat_anchor:
        return word.translate(TO_CYRILLIC)
    return word


def fold_homoglyphs(text: str) -> str:
    """Fold Latin/Cyrillic look-alike letters inside mixed-script words into the word's own script."""
    # no word mixes the scripts: the common case, decided in C (no Cyrillic at all is the quickest test)
    if not IS_CYR.search(text) or not any(rx.search(text) for rx in SCRIPTS_MEET):
        return text
    return MIXED_WORD.sub(_fold, text)


def normalise(text: str) -> str:
    """Drop invisible and control characters (vertical tab and form feed become newlines), fold look-alikes."""
    if _ANY_DROP.search(text):  # str.translate costs ~0.1 ms per 1,000 characters: only when needed
        text = text.translate(_DROP)
    return fold_homoglyphs(text)


def check_size(source: str, text: str, limit: int = MAX_TEXT_CHARS, what: str = "text") -> None:
    if len(text) > limit:
        raise TooLargeError(f"{source}: {len(text):,} characters of {what} is over the limit of {limit:,}",
                            hint="split the document: escwatch analyses reports of up to "
                                 f"{MAX_TEXT_CHARS:,} characters")


def front_matter(text: str) -> tuple[dict[str, str], str]:
    """A Markdown file's YAML front matter as report metadata, and the text after it.

    Front matter that is not a YAML mapping is dropped from the text and gives no metadata."""
    m = FRONT.match(text[:FRONT_MATTER_CHARS].replace("\r\n", "\n"))
    if not m:
        return {}, text
    import yaml

    body = text.replace("\r\n", "\n")[m.end():]
    try:
        data = yaml.safe_load(m.group("yaml"))
    except yaml.YAMLError:
        return {}, body
    meta: dict[str, str] = {}
    if isinstance(data, dict):
        for key, field in FRONT_KEYS.items():
            value: Any = data.get(key)
            if isinstance(value, date):
                value = value.isoformat()
            if isinstance(value, str) and value.strip() and field not in meta:
                meta[field] = value.strip()
    return meta, body
