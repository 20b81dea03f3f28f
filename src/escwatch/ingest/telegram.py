"""Telegram Desktop channel exports (``result.json``, "Export chat history" -> JSON) -> RawDoc per post.

The export is one JSON object::

    {"name": "Channel", "type": "public_channel", "id": 123, "messages": [
        {"id": 42, "type": "message", "date": "2022-10-02T16:05:11", "date_unixtime": "1664719511",
         "from": "Channel", "from_id": "channel123", "forwarded_from": "Other",
         "text": "plain" | ["mixed ", {"type": "text_link", "text": "here", "href": "https://..."}],
         "text_entities": [{"type": "plain", "text": "mixed "}, ...]}, ...]}

``date`` is the exporting computer's local time without a zone, so ``date_unixtime`` (UTC seconds) wins when
present; a bare ``date`` is read as UTC. Service messages and posts without text (a photo alone) are skipped
silently; a message that is not an object, has no integer ``id`` or has a ``date`` that is not a date becomes an
ErrorRecord and the rest are read. Exports rarely carry the channel's username; when a ``username`` (or a
``https://t.me/<name>`` ``link``) is present it names the channel in ``source`` and gives each post its ``url``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from escwatch.errors import EscwatchError, MalformedJSONError, TooLargeError, WrongTypeError
from escwatch.ingest.decode import decode
from escwatch.records import ErrorRecord, RawDoc

STAGE = "ingest"
TITLE_CHARS = 120
LINK_TYPES = ("link", "text_link")
EXPORT_HINT = "export the channel in Telegram Desktop: ⋮ → Export chat history → Format: JSON"
_USERNAME = re.compile(r"@?([A-Za-z][A-Za-z0-9_]{3,31})")
_TME = re.compile(r"(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me)/(?:s/)?([A-Za-z][A-Za-z0-9_]{3,31})/?")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def is_telegram_export(data: Any) -> bool:
    """A single-chat Telegram Desktop export: an object with a "messages" list and a "name" or "type"."""
    return isinstance(data, dict) and isinstance(data.get("messages"), list) and ("name" in data or "type" in data)


def _username(data: dict[str, Any]) -> str | None:
    """The channel's public username, when the export says it (a "username" field or a t.me link)."""
    name = data.get("username")
    if isinstance(name, str) and (m := _USERNAME.fullmatch(name.strip())):
        return m.group(1)
    for key in ("link", "url", "invite_link"):
        value = data.get(key)
        if isinstance(value, str) and (m := _TME.fullmatch(value.strip())):
            return m.group(1)
    return None


def _slug(data: dict[str, Any], username: str | None) -> str:
    if username:
        return username
    name = data.get("name")
    if isinstance(name, str) and name.strip():
        return re.sub(r"[\s/]+", "-", re.sub(r"[\x00-\x1f\x7f]", "", name).strip().lower())
    chat_id = data.get("id")
    return f"chat{chat_id}" if isinstance(chat_id, int) and not isinstance(chat_id, bool) else "unnamed"


def _flatten(text: Any) -> str:
    """The plain text of a message's "text" (a string, or a list of strings and {"type", "text"} parts)."""
    if isinstance(text, str):
        return text
    if isinstance(text, list):
        out: list[str] = []
        for part in text:
            if isinstance(part, str):
                out.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                out.append(part["text"])
        return "".join(out)
    return ""


def _as_url(value: str) -> str:
    value = value.strip()
    return value if _SCHEME.match(value) else f"https://{value}"


def _links(msg: dict[str, Any]) -> list[str]:
    """URLs of link/text_link parts of "text" and "text_entities", in order, without repeats."""
    parts: list[Any] = []
    for key in ("text", "text_entities"):
        if isinstance(msg.get(key), list):
            parts.extend(msg[key])
    seen: list[str] = []
    for part in parts:
        if not isinstance(part, dict) or part.get("type") not in LINK_TYPES:
            continue
        raw = part.get("href") if part.get("type") == "text_link" else part.get("text")
        if not isinstance(raw, str) or not raw.strip():
            continue
        url = _as_url(raw)
        if url not in seen:
            seen.append(url)
    return seen


def _published(msg: dict[str, Any], where: str) -> str | None:
    """ISO datetime in UTC: date_unixtime when it is a number, else "date" read as UTC."""
    date = msg.get("date")
    parsed: datetime | None = None
    if date is not None:
        if not isinstance(date, str):
            raise WrongTypeError(f"{where}: 'date' must be an ISO date string, got {type(date).__name__}",
                                 hint=EXPORT_HINT)
        try:
            parsed = datetime.fromisoformat(date.strip())
        except ValueError:
            raise WrongTypeError(f"{where}: 'date' is not a date: {date!r:.60}", hint=EXPORT_HINT) from None
    unix = msg.get("date_unixtime")
    if isinstance(unix, str | int) and not isinstance(unix, bool) and str(unix).strip().isdigit():
        try:
            return datetime.fromtimestamp(int(str(unix).strip()), UTC).isoformat()
        except (OverflowError, OSError, ValueError):
            pass
    if parsed is None:
        return None
    parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return parsed.isoformat()


def _title(text: str) -> str | None:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:TITLE_CHARS].rstrip()
    return None


def _message(msg: Any, n: int, source: str, channel: str | None, slug: str,
             username: str | None) -> RawDoc | None:
    where = f"{source}#{n}"
    if not isinstance(msg, dict):
        raise WrongTypeError(f"{where}: a message must be a JSON object, got {type(msg).__name__}", hint=EXPORT_HINT)
    if msg.get("type", "message") == "service":
        return None
    mid = msg.get("id")
    if isinstance(mid, str) and mid.strip().isdigit():
        mid = int(mid)
    if not isinstance(mid, int) or isinstance(mid, bool):
        raise WrongTypeError(f"{where}: a message needs an integer 'id', got {mid!r:.40}", hint=EXPORT_HINT)
    where = f"{source}#{n} (message {mid})"
    published = _published(msg, where)
    if msg.get("text") is not None and not isinstance(msg["text"], str | list):
        raise WrongTypeError(f"{where}: 'text' must be a string or a list of parts, got {type(msg['text']).__name__}",
                             hint=EXPORT_HINT)
    text = _flatten(msg.get("text"))
    if not text.strip() and isinstance(msg.get("text_entities"), list):
        text = _flatten(msg["text_entities"])
    if not text.strip():
        return None
    meta: dict[str, Any] = {"kind_detail": "telegram", "message_id": mid, "links": _links(msg)}
    if channel:
        meta["outlet"] = channel
        meta["channel"] = channel
    if published:
        meta["published"] = published
    if username:
        meta["url"] = f"https://t.me/{username}/{mid}"
    if title := _title(text):
        meta["title"] = title
    fwd = msg.get("forwarded_from")
    if isinstance(fwd, str) and fwd.strip():
        meta["forwarded_from"] = fwd.strip()
    return RawDoc(source=f"telegram:{slug}/{mid}", kind="txt", content=text, meta=meta)


def telegram_docs(data: Any, source: str) -> Iterator[RawDoc | ErrorRecord]:
    """One RawDoc per channel post with text; an ErrorRecord per broken message (or one if ``data`` is no export).

    ``source`` names the export (its path) in error records.
    """
    if not is_telegram_export(data):
        what = "a full-account export (export the one channel instead)" if (
            isinstance(data, dict) and isinstance(data.get("chats"), dict)) else type(data).__name__
        err = WrongTypeError(f"{source}: not a Telegram chat export (an object with 'name' and a 'messages' list);"
                             f" got {what}", hint=EXPORT_HINT)
        yield ErrorRecord(source, STAGE, err.code, str(err))
        return
    name = data.get("name")
    channel = name.strip() if isinstance(name, str) and name.strip() else None
    username = _username(data)
    slug = _slug(data, username)
    for n, msg in enumerate(data["messages"], 1):
        try:
            doc = _message(msg, n, source, channel, slug, username)
        except EscwatchError as exc:
            yield ErrorRecord(f"{source}#{n}", STAGE, exc.code, str(exc))
            continue
        if doc is not None:
            yield doc


def read_telegram_export(path: Path, max_bytes: int = 200_000_000) -> Iterator[RawDoc | ErrorRecord]:
    """The posts of a Telegram Desktop export file; a file that cannot be read is one ErrorRecord."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise TooLargeError(f"{path}: {size:,} bytes is over the limit of {max_bytes:,}")
        text = decode(path.read_bytes(), str(path))
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise MalformedJSONError(f"{path}: not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})",
                                     hint=EXPORT_HINT) from None
        except RecursionError:
            raise MalformedJSONError(f"{path}: JSON nested too deeply to read", hint=EXPORT_HINT) from None
    except EscwatchError as exc:
        yield ErrorRecord(str(path), STAGE, exc.code, str(exc))
        return
    except OSError as exc:
        yield ErrorRecord(str(path), STAGE, "E100", f"[E100] {path}: {exc.strerror or exc}")
        return
    yield from telegram_docs(data, str(path))
