"""Files and folders: .txt .md .html .htm .json .jsonl -> RawDoc (or ErrorRecord)."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from escwatch.errors import (
    EmptyInputError,
    EscwatchError,
    InputError,
    MalformedJSONError,
    TooLargeError,
    UnsupportedFormatError,
    WrongTypeError,
)
from escwatch.ingest.decode import decode, scrub
from escwatch.ingest.telegram import is_telegram_export, telegram_docs
from escwatch.records import ErrorRecord, RawDoc

KINDS = {".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html",
         ".json": "json", ".jsonl": "json", ".ndjson": "json"}
META_KEYS = ("title", "url", "outlet", "published", "language", "author")


def _listed(f: Path) -> bool:
    """A file of a known type in a folder; a broken or looping symlink is listed too (it becomes an error)."""
    if f.name.startswith(".") or f.suffix.lower() not in KINDS:
        return False
    return f.is_file() or (f.is_symlink() and not f.exists())


def expand(paths: Iterable[str | Path]) -> list[Path]:
    """Files under the given paths, in a stable order; unknown extensions inside folders are skipped.
    Symlinked folders inside a folder are not followed (no loops)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if _listed(f)))
        else:
            out.append(p)
    return out


def _json_item(obj: Any, source: str) -> RawDoc:
    if not isinstance(obj, dict):
        raise WrongTypeError(f"{source}: a report must be a JSON object, got {type(obj).__name__}")
    text = obj.get("text")
    if text is None:
        raise WrongTypeError(f"{source}: the report has no 'text'")
    if not isinstance(text, str):
        raise WrongTypeError(f"{source}: 'text' must be a string, got {type(text).__name__}")
    meta = {k: obj[k] for k in META_KEYS if obj.get(k) is not None}
    for k in ("title", "url", "outlet", "language", "author"):
        if k in meta and not isinstance(meta[k], str):
            raise WrongTypeError(f"{source}: '{k}' must be a string, got {type(meta[k]).__name__}")
        if k in meta:
            meta[k] = scrub(meta[k])
    text = scrub(text)
    kind = "html" if obj.get("format") == "html" or text.lstrip().startswith("<") else "txt"
    name = meta.get("url") or source
    return RawDoc(source=str(name), kind=kind, content=text, meta=meta)


def _too_deep(src: str) -> ErrorRecord:
    err = MalformedJSONError(f"{src}: JSON nested too deeply to read")
    return ErrorRecord(src, "ingest", err.code, str(err))


def _first_line_is_object(text: str) -> bool:
    first = next((line for line in text.splitlines() if line.strip()), "")
    try:
        return isinstance(json.loads(first), dict)
    except (json.JSONDecodeError, RecursionError):
        return False


def _json_docs(text: str, path: Path) -> Iterator[RawDoc | ErrorRecord]:
    stripped = text.lstrip()
    if path.suffix.lower() == ".json" and stripped[:1] in "[{":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            data = None
            if not _first_line_is_object(text):  # one broken JSON document, not JSON lines: one error
                bad = MalformedJSONError(f"{path}: not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})",
                                         hint="a .json file holds one report object, a list of them, or JSON lines")
                yield ErrorRecord(str(path), "ingest", bad.code, str(bad))
                return
        except RecursionError:  # json.loads raises it for arrays/objects nested ~1,000 deep
            yield _too_deep(str(path))
            return
        if data is not None and is_telegram_export(data):  # a Telegram Desktop channel export (result.json)
            yield from telegram_docs(data, str(path))
            return
        if data is not None:
            items = data if isinstance(data, list) else [data]
            if not items:
                empty = EmptyInputError(f"{path}: an empty JSON list, no reports")
                yield ErrorRecord(str(path), "ingest", empty.code, str(empty))
            for n, obj in enumerate(items, 1):
                src = f"{path}#{n}" if len(items) > 1 else str(path)
                try:
                    yield _json_item(obj, src)
                except EscwatchError as exc:
                    yield ErrorRecord(src, "ingest", exc.code, str(exc))
            return
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines:  # only blank lines (decode lets a no-break space through)
        empty = EmptyInputError(f"{path}: no JSON lines, only blank space")
        yield ErrorRecord(str(path), "ingest", empty.code, str(empty))
    for n, line in lines:
        src = f"{path}:{n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            err = MalformedJSONError(f"{src}: not JSON ({exc.msg} at column {exc.colno})")
            yield ErrorRecord(src, "ingest", err.code, str(err))
            continue
        except RecursionError:
            yield _too_deep(src)
            continue
        try:
            yield _json_item(obj, src)
        except EscwatchError as exc:
            yield ErrorRecord(src, "ingest", exc.code, str(exc))


def read_file(path: Path, max_bytes: int = 20_000_000) -> Iterator[RawDoc | ErrorRecord]:
    """Documents in one file; every failure becomes an ErrorRecord and the caller goes on."""
    try:
        kind = KINDS.get(path.suffix.lower())
        if kind is None:
            raise UnsupportedFormatError(f"{path}: unsupported file type {path.suffix or '(none)'}")
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):  # a folder, a named pipe (reading it would block), a device
            raise InputError(f"{path}: not a regular file", hint="give escwatch files or folders of files")
        if st.st_size > max_bytes:
            raise TooLargeError(f"{path}: {st.st_size:,} bytes is over the limit of {max_bytes:,}")
        text = decode(path.read_bytes(), str(path))
    except EscwatchError as exc:
        yield ErrorRecord(str(path), "ingest", exc.code, str(exc))
        return
    except OSError as exc:
        err = InputError(f"{path}: cannot be read: {exc.strerror or exc}",
                         hint="check that the file exists, is not a broken link and that you may read it")
        yield ErrorRecord(str(path), "ingest", err.code, str(err))
        return
    if kind == "json":
        yield from _json_docs(text, path)
    else:
        yield RawDoc(source=str(path), kind=kind, content=text, meta={})
