"""GDELT 2.0 files as a source of article URLs: Events export, Mentions and GKG 2.1.

All three are tab-separated UTF-8 without a header, one record a line, often zipped (``*.CSV.zip``). The columns
used (0-based, per the GDELT Event Codebook 2.0 and GKG Codebook 2.1):

* events (61 columns): 1 SQLDATE (YYYYMMDD), 28 EventRootCode, 30 GoldsteinScale, 37 Actor1Geo_CountryCode,
  45 Actor2Geo_CountryCode, 53 ActionGeo_CountryCode, 59 DATEADDED (YYYYMMDDHHMMSS, UTC), 60 SOURCEURL.
* mentions (16 columns): 2 MentionTimeDate, 4 MentionSourceName, 5 MentionIdentifier (the URL for web mentions).
* gkg (27 columns): 0 GKGRECORDID, 1 V2.1DATE, 3 V2SourceCommonName, 4 V2DocumentIdentifier (URL), 7 V1Themes
  ("A;B;"), 8 V2EnhancedThemes ("A,offset;B,offset"), 9 V1Locations and 10 V2EnhancedLocations (";"-separated
  "type#fullname#countrycode#adm1[#adm2]#lat#lon#featureid[#offset]"; the country code is the third field).

Country codes are FIPS 10-4 as in the files (Russia "RS", Ukraine "UP", Belarus "BO"); the events' CAMEO actor
codes ("RUS") are not used. Filters keep only rows that carry a matching value, so events and mentions rows
(which carry no themes) never pass a theme filter, and mentions rows (no places) never pass a country filter.
A theme filter ``T`` matches a row theme equal to ``T`` or starting with ``T_`` (``WMD`` matches ``WMD`` and
``WMD_FOO``; ``TAX_WEAPONS`` matches ``TAX_WEAPONS_NUCLEAR_WEAPONS``), case-insensitively. Only http(s)
identifiers are URLs (citation-only GKG/mentions rows are skipped silently); a URL is yielded once per file.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from escwatch.errors import EmptyInputError, InputError, TooLargeError, UnsupportedFormatError
from escwatch.records import ErrorRecord

STAGE = "ingest"
COLUMNS = {"events": 61, "mentions": 16, "gkg": 27}
SUFFIXES = (".csv", ".tsv", ".txt", ".zip")
MAX_BAD_LINES = 100  # malformed lines reported one by one; then one summary and the file is left
DETECT_LINES = 100  # non-empty lines tried for the file's kind before it is refused
MAX_LINE_BYTES = 20_000_000  # a longer "line" is a malformed line (a GKG row is ~100 kB at most)
EVENT_GEO_COUNTRY = (37, 45, 53)  # Actor1Geo, Actor2Geo, ActionGeo country codes
_DIGITS14 = re.compile(r"\d{14}")
_DIGITS8 = re.compile(r"\d{8}")


@dataclass(frozen=True)
class GdeltItem:
    url: str
    date: str | None  # ISO
    source_name: str | None
    themes: tuple[str, ...]
    countries: tuple[str, ...]
    kind: str  # events | mentions | gkg


def _split(line: str) -> list[str]:
    return line.rstrip("\r\n").split("\t")


def detect_kind(first_line: str) -> str | None:
    """"events", "mentions" or "gkg" from one line (column count and date columns), else None."""
    f = _split(first_line)
    if len(f) == COLUMNS["events"] and _DIGITS8.fullmatch(f[1]) and _DIGITS14.fullmatch(f[59]):
        return "events"
    if len(f) == COLUMNS["mentions"] and _DIGITS14.fullmatch(f[1]) and _DIGITS14.fullmatch(f[2]):
        return "mentions"
    if len(f) == COLUMNS["gkg"] and _DIGITS14.fullmatch(f[1]) and f[0].strip():
        return "gkg"
    return None


def _iso(stamp: str) -> str | None:
    stamp = stamp.strip()
    try:
        if _DIGITS14.fullmatch(stamp):
            return datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC).isoformat()
        if _DIGITS8.fullmatch(stamp):
            return datetime.strptime(stamp, "%Y%m%d").date().isoformat()
    except ValueError:
        return None
    return None


def _url(value: str) -> str | None:
    value = value.strip()
    return value if value.lower().startswith(("http://", "https://")) and len(value) > 8 else None


def _host(url: str) -> str | None:
    host = urlsplit(url).hostname
    return host.removeprefix("www.") if host else None


def _uniq(values: Iterator[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def _gkg_themes(v1: str, v2: str) -> tuple[str, ...]:
    both = [t.strip() for t in v1.split(";")] + [t.split(",", 1)[0].strip() for t in v2.split(";")]
    return _uniq(iter(both))


def _gkg_countries(v1: str, v2: str) -> tuple[str, ...]:
    codes: list[str] = []
    for block in [*v1.split(";"), *v2.split(";")]:
        parts = block.split("#")
        if len(parts) >= 3:
            codes.append(parts[2].strip().upper())
    return _uniq(iter(codes))


def _item(kind: str, f: list[str]) -> GdeltItem | None:
    if kind == "events":
        url = _url(f[60])
        if url is None:
            return None
        countries = _uniq(f[i].strip().upper() for i in EVENT_GEO_COUNTRY)
        return GdeltItem(url, _iso(f[59]) or _iso(f[1]), _host(url), (), countries, kind)
    if kind == "mentions":
        url = _url(f[5])
        if url is None:
            return None
        return GdeltItem(url, _iso(f[2]), f[4].strip() or _host(url), (), (), kind)
    url = _url(f[4])
    if url is None:
        return None
    return GdeltItem(url, _iso(f[1]), f[3].strip() or _host(url), _gkg_themes(f[7], f[8]),
                     _gkg_countries(f[9], f[10]), kind)


def _theme_match(row: tuple[str, ...], wanted: tuple[str, ...]) -> bool:
    return any(t.upper() == w or t.upper().startswith(w + "_") for t in row for w in wanted)


def _lines(stream: IO[bytes], max_bytes: int, label: str) -> Iterator[tuple[int, str | None]]:
    """(line number, text) of a byte stream; text None for a line over MAX_LINE_BYTES. Raises TooLargeError
    once more than max_bytes were read (a zip member may lie about its size)."""
    total, n = 0, 0
    while True:
        chunk = stream.readline(MAX_LINE_BYTES + 1)
        if not chunk:
            return
        n += 1
        total += len(chunk)
        too_long = len(chunk) > MAX_LINE_BYTES and not chunk.endswith(b"\n")
        while too_long and chunk and not chunk.endswith(b"\n"):  # skip the rest of an overlong line
            chunk = stream.readline(MAX_LINE_BYTES)
            total += len(chunk)
            if total > max_bytes:
                break
        if total > max_bytes:
            raise TooLargeError(f"{label}: more than {max_bytes:,} bytes (uncompressed)")
        yield n, None if too_long else chunk.decode("utf-8", errors="replace")


def _bad(label: str, n: int, message: str) -> ErrorRecord:
    err = InputError(f"{label}:{n}: {message}", hint="a GDELT 2.0 line has 61 (events), 16 (mentions) or"
                     " 27 (GKG 2.1) tab-separated columns")
    return ErrorRecord(f"{label}:{n}", STAGE, err.code, str(err))


def _read_stream(stream: IO[bytes], label: str, max_bytes: int, themes: tuple[str, ...],
                 countries: frozenset[str], seen: set[str]) -> Iterator[GdeltItem | ErrorRecord]:
    kind: str | None = None
    pending: list[tuple[int, int | None]] = []  # (line number, column count) of lines before the kind is known
    bad = 0
    try:
        for n, line in _lines(stream, max_bytes, label):
            if line is not None and not line.strip():
                continue
            if kind is None:
                kind = detect_kind(line) if line is not None else None
                if kind is None:
                    pending.append((n, None if line is None else len(_split(line))))
                    if len(pending) >= DETECT_LINES:
                        break
                    continue
                for pn, ncols in pending:  # lines before the first good one are malformed lines of this kind
                    bad += 1
                    yield _bad(label, pn, "over the line length limit" if ncols is None else
                               f"expected {COLUMNS[kind]} columns for a GDELT {kind} file, got {ncols}")
                pending = []
            fields = _split(line) if line is not None else []
            if len(fields) != COLUMNS[kind]:
                bad += 1
                yield _bad(label, n, "over the line length limit" if line is None else
                           f"expected {COLUMNS[kind]} columns for a GDELT {kind} file, got {len(fields)}")
            else:
                item = _item(kind, fields)
                if (item is not None and item.url not in seen
                        and (not themes or _theme_match(item.themes, themes))
                        and (not countries or countries.intersection(item.countries))):
                    seen.add(item.url)
                    yield item
            if bad >= MAX_BAD_LINES:
                err = InputError(f"{label}: {bad} malformed lines; stopped reading at line {n}",
                                 hint="is this a GDELT 2.0 events, mentions or GKG 2.1 file?")
                yield ErrorRecord(label, STAGE, err.code, str(err))
                return
    except TooLargeError as exc:
        yield ErrorRecord(label, STAGE, exc.code, str(exc))
        return
    if kind is None:
        err = (UnsupportedFormatError(f"{label}: not a GDELT 2.0 events, mentions or GKG 2.1 file",
                                      hint="give a GDELT 2.0 *.export.CSV, *.mentions.CSV or *.gkg.csv file"
                                      " (or its .zip)")
               if pending else EmptyInputError(f"{label}: empty file"))
        yield ErrorRecord(label, STAGE, err.code, str(err))


def read_gdelt(path: Path, themes: Collection[str] = (), countries: Collection[str] = (),
               max_bytes: int = 500_000_000) -> Iterator[GdeltItem | ErrorRecord]:
    """The article URLs of one GDELT 2.0 file (.csv/.tsv/.txt, or a .zip of such files), filtered.

    ``themes``: keep GKG rows with any of these theme codes (or a sub-theme ``CODE_...``); ``countries``: keep
    rows with any of these FIPS 10-4 country codes. Without filters every row with an http(s) URL passes.
    Failures (unreadable file, bad zip, a member over ``max_bytes``, malformed lines) become ErrorRecords.
    """
    want_themes = tuple(dict.fromkeys(t.strip().upper() for t in themes if t.strip()))
    want_countries = frozenset(c.strip().upper() for c in countries if c.strip())
    seen: set[str] = set()
    label = str(path)
    suffix = path.suffix.lower()
    try:
        if suffix not in SUFFIXES:
            raise UnsupportedFormatError(f"{path}: unsupported file type {path.suffix or '(none)'}",
                                         hint="GDELT files are .CSV, .csv, .tsv, .txt or .zip")
        if suffix != ".zip":
            size = path.stat().st_size
            if size > max_bytes:
                raise TooLargeError(f"{path}: {size:,} bytes is over the limit of {max_bytes:,}")
            with path.open("rb") as fh:
                yield from _read_stream(fh, label, max_bytes, want_themes, want_countries, seen)
            return
        try:
            zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
            raise InputError(f"{path}: not a readable zip archive ({exc})") from None
        with zf:
            members = [m for m in zf.infolist() if not m.is_dir()]
            if not members:
                raise EmptyInputError(f"{path}: the zip archive holds no files")
            for m in members:
                where = f"{path}!{m.filename}" if len(members) > 1 else label
                if m.file_size > max_bytes:
                    err: InputError = TooLargeError(f"{where}: {m.file_size:,} bytes uncompressed is over the limit of"
                                        f" {max_bytes:,}")
                    yield ErrorRecord(where, STAGE, err.code, str(err))
                    continue
                try:
                    with zf.open(m) as member:
                        yield from _read_stream(member, where, max_bytes, want_themes, want_countries, seen)
                except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError) as exc:
                    err = InputError(f"{where}: cannot read the zip member ({exc})")
                    yield ErrorRecord(where, STAGE, err.code, str(err))
    except InputError as exc:
        yield ErrorRecord(label, STAGE, exc.code, str(exc))
    except OSError as exc:
        yield ErrorRecord(label, STAGE, "E100", f"[E100] {path}: {exc.strerror or exc}")
