"""Deliver alerts to channels: stdout, a JSON-lines file, a webhook (with retries) or e-mail.

``deliver(alert, channel)`` dispatches on ``channel["kind"]``; each channel is one
``[[alerts.channels]]`` table from the settings. Failures raise ``DeliveryError``.
"""

from __future__ import annotations

import json
import math
import os
import smtplib
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from escwatch.errors import ConfigError, DeliveryError

KINDS = ("stdout", "file", "webhook", "email")
MAX_BACKOFF = 30.0  # seconds between webhook attempts, at most
MAX_RETRY_AFTER = 60.0  # a server's Retry-After is honoured up to this many seconds

Sleep = Callable[[float], None]


@dataclass(frozen=True)
class Alert:
    id: str  # stable idempotency key (hex)
    rule: str
    kind: str  # "index_above", "new_indicator", "new_origin", "hypothesis_overtakes", ...
    day: str  # ISO date
    title: str
    body: str  # plain text, several lines
    payload: Mapping[str, Any] = field(hash=False)  # JSON-serialisable details

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rule": self.rule,
            "kind": self.kind,
            "day": self.day,
            "title": self.title,
            "body": self.body,
            "payload": dict(self.payload),
        }


@dataclass(frozen=True)
class Delivered:
    channel: str
    attempts: int
    detail: str


def deliver(
    alert: Alert,
    channel: Mapping[str, Any],
    *,
    sleep: Sleep = time.sleep,
    transport: httpx.BaseTransport | None = None,
) -> Delivered:
    """Deliver one alert to one channel; raise DeliveryError when it cannot be delivered."""
    kind = channel.get("kind")
    name = str(channel.get("name") or kind)
    if kind == "stdout":
        return Delivered(name, 1, _to_stdout(alert))
    if kind == "file":
        return Delivered(name, 1, _to_file(alert, channel))
    if kind == "webhook":
        attempts, detail = _to_webhook(alert, channel, sleep, transport)
        return Delivered(name, attempts, detail)
    if kind == "email":
        return Delivered(name, 1, _to_email(alert, channel))
    raise ConfigError(f"unknown alert channel kind {kind!r}", hint=f"use one of: {', '.join(KINDS)}")


def _required(channel: Mapping[str, Any], key: str) -> Any:
    value = channel.get(key)
    if value in (None, "", []):
        raise ConfigError(f"{channel.get('kind')} channel needs {key!r}", hint=f"set {key} = ... in the channel table")
    return value


def _json(alert: Alert) -> str:
    return json.dumps(alert.as_dict(), ensure_ascii=False)


# -- stdout and file -------------------------------------------------------------------------


def _to_stdout(alert: Alert) -> str:
    sys.stdout.write(f"ALERT {alert.day} {alert.title}\n{alert.body.rstrip()}\n")
    sys.stdout.flush()
    return "printed to stdout"


def _to_file(alert: Alert, channel: Mapping[str, Any]) -> str:
    path = Path(str(_required(channel, "path"))).expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(_json(alert) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise DeliveryError(f"cannot append alert {alert.id} to {path}: {exc}") from exc
    return f"appended to {path}"


# -- webhook ---------------------------------------------------------------------------------


@cache
def _user_agent() -> str:
    from escwatch import __version__

    return f"escwatch/{__version__}"


def _safe_url(url: str) -> str:
    """The URL without credentials or query string, fit for messages and logs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _retry_after(response: httpx.Response) -> float | None:
    try:
        seconds = float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None  # absent, or an HTTP date: fall back to the backoff
    return min(seconds, MAX_RETRY_AFTER) if math.isfinite(seconds) and seconds >= 0 else None


def _is_retryable(status: int) -> bool:
    return status == 429 or status >= 500


def _to_webhook(
    alert: Alert, channel: Mapping[str, Any], sleep: Sleep, transport: httpx.BaseTransport | None
) -> tuple[int, str]:
    url = str(_required(channel, "url"))
    retries = max(0, int(channel.get("retries", 4)))
    backoff = float(channel.get("backoff", 0.5))
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": alert.id,
        "User-Agent": _user_agent(),
        **{str(k): str(v) for k, v in dict(channel.get("headers", {})).items()},
    }
    body = _json(alert).encode("utf-8")
    last = "no attempt made"
    with httpx.Client(timeout=float(channel.get("timeout", 10)), transport=transport) as client:
        for attempt in range(retries + 1):
            wait: float | None = None
            try:
                response = client.post(url, content=body, headers=headers)
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                last = f"{type(exc).__name__}: {exc}"
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                raise DeliveryError(f"webhook {_safe_url(url)}: {type(exc).__name__}: {exc}") from exc
            else:
                if response.is_success:
                    return attempt + 1, f"POST {_safe_url(url)} -> HTTP {response.status_code}"
                last = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
                if not _is_retryable(response.status_code):
                    raise DeliveryError(
                        f"webhook {_safe_url(url)} refused alert {alert.id} after {attempt + 1} attempt(s): {last}"
                    )
                wait = _retry_after(response)
            if attempt < retries:
                sleep(wait if wait is not None else min(backoff * 2**attempt, MAX_BACKOFF))
    raise DeliveryError(f"webhook {_safe_url(url)}: gave up on alert {alert.id} after {retries + 1} attempt(s): {last}")


# -- e-mail ----------------------------------------------------------------------------------


def _recipients(value: Any) -> list[str]:
    items = value.split(",") if isinstance(value, str) else list(value)
    return [str(item).strip() for item in items if str(item).strip()]


def _email_message(alert: Alert, sender: str, recipients: list[str]) -> EmailMessage:
    """The e-mail for one alert: the body as text, the alert as a JSON attachment."""
    msg = EmailMessage()
    msg["Subject"] = f"[escwatch] {alert.title}"
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = f"<{alert.id}@escwatch>"
    msg["X-Escwatch-Alert-Id"] = alert.id
    msg.set_content(alert.body)
    msg.add_attachment(
        _json(alert).encode("utf-8"), maintype="application", subtype="json", filename=f"escwatch-alert-{alert.id}.json"
    )
    return msg


def _to_email(alert: Alert, channel: Mapping[str, Any]) -> str:
    sender = str(_required(channel, "from"))
    recipients = _recipients(_required(channel, "to"))
    if not recipients:
        raise ConfigError("email channel has no recipients", hint="set to = ['someone@example.org']")
    host, port = str(channel.get("host", "localhost")), int(channel.get("port", 25))
    msg = _email_message(alert, sender, recipients)
    try:
        with smtplib.SMTP(host, port, timeout=float(channel.get("timeout", 10))) as smtp:
            if channel.get("starttls"):
                smtp.starttls()
            if channel.get("username"):
                smtp.login(str(channel["username"]), str(channel.get("password", "")))
            refused = smtp.send_message(msg, from_addr=sender, to_addrs=recipients)
    except (smtplib.SMTPException, OSError) as exc:
        error = f"{type(exc).__name__}: {exc}"
        raise DeliveryError(f"email via {host}:{port} failed for alert {alert.id}: {error}") from exc
    accepted = ", ".join(r for r in recipients if r not in refused)
    return f"mailed via {host}:{port} to {accepted}" + (f"; refused: {', '.join(refused)}" if refused else "")
