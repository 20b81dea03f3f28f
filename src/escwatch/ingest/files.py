"""Files and folders: .txt .md .html .htm .json .jsonl -> RawDoc (or ErrorRecord)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from escwatch.errors import (
    EscwatchError,
    MalformedJSONError,
    TooLargeError,
    UnsupportedFormatError,
    WrongTypeError,
)
from escwatch.ingest.decode import decode
from escwatch.ingest.telegram import is_telegram_export, telegram_docs
from escwatch.records import ErrorRecord, RawDoc

KINDS = {".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html",
         ".json": "json", ".jsonl": "json", ".ndjson": "json"}
META_KEYS = ("title", "url", "outlet", "published", "language", "author")


def expand(paths: Iterable[str | Path]) -> list[Path]:
    """Files under the given paths, in a stable order; unknown extensions inside folders are skipped."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in KINDS
                              and not f.name.startswith(".")))
        else:
            out.append(p)
    return out


def _json_item(obj: Any, source: str) -> RawDoc:
    if not isinstance(obj, dict):
        raise WrongTypeError(f"{source}: a report must be a JSON object, got {type(obj).__name__}")
    text = obj.get("text")
    if not isinstance(text, str):
        raise WrongTypeError(f"{source}: 'text' must be a string, got {type(text).__name__}")
    meta = {k: obj[k] for k in META_KEYS if obj.get(k) is not None}
    for k in ("title", "url", "outlet", "language", "author"):
        if k in meta and not isinstance(meta[k], str):
            raise WrongTypeError(f"{source}: '{k}' must be a string, got {type(meta[k]).__name__}")
    kind = "html" if obj.get("format") == "html" or text.lstrip().startswith("<") else "txt"
    name = meta.get("url") or source
    return RawDoc(source=str(name), kind=kind, content=text, meta=meta)


def _json_docs(text: str, path: Path) -> Iterator[RawDoc | ErrorRecord]:
    stripped = text.lstrip()
    if path.suffix.lower() == ".json" and stripped[:1] in "[{":
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            data = None
        if data is not None and is_telegram_export(data):  # a Telegram Desktop channel export (result.json)
            yield from telegram_docs(data, str(path))
            return
        if data is not None:
            items = data if isinstance(data, list) else [data]
            for n, obj in enumerate(items, 1):
                src = f"{path}#{n}" if len(items) > 1 else str(path)
                try:
                    yield _json_item(obj, src)
                except EscwatchError as exc:
                    yield ErrorRecord(src, "ingest", exc.code, str(exc))
            return
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        src = f"{path}:{n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            err = MalformedJSONError(f"{src}: not JSON ({exc.msg} at column {exc.colno})")
            yield ErrorRecord(src, "ingest", err.code, str(err))
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
        size = path.stat().st_size
        if size > max_bytes:
            raise TooLargeError(f"{path}: {size:,} bytes is over the limit of {max_bytes:,}")
        text = decode(path.read_bytes(), str(path))
    except EscwatchError as exc:
        yield ErrorRecord(str(path), "ingest", exc.code, str(exc))
        return
    except OSError as exc:
        yield ErrorRecord(str(path), "ingest", "E100", f"[E100] {path}: {exc.strerror or exc}")
        return
    if kind == "json":
        yield from _json_docs(text, path)
    else:
        yield RawDoc(source=str(path), kind=kind, content=text, meta={})
