"""Alert delivery against real servers on loopback: HTTP (http.server), SMTP (aiosmtpd), files, stdout."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from escwatch.assess.deliver import Alert, Delivered, deliver
from escwatch.errors import ConfigError, DeliveryError

ALERT = Alert(
    id="9f2c4e1ab37d5086",
    rule="index-high",
    kind="index_above",
    day="2022-10-05",
    title="Index above 60 — Zapad region",
    body="The escalation index rose to 64.\nDriven by: dispersal of launchers.\nCheck the sources before acting.",
    payload={"index": 64.2, "threshold": 60, "indicators": ["launcher_dispersal"], "note": "Grüße"},
)


# -- loopback HTTP server --------------------------------------------------------------------


@dataclass
class Step:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering


@dataclass
class Seen:
    status: int
    key: str | None
    headers: dict[str, str]
    body: bytes


@dataclass
class HTTPRecorder:
    url: str
    seen: list[Seen]


def _handler(plan: list[Step], seen: list[Seen]) -> type[BaseHTTPRequestHandler]:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                step = plan[min(len(seen), len(plan) - 1)]  # the last step repeats
                seen.append(Seen(step.status, self.headers.get("Idempotency-Key"), dict(self.headers), body))
            time.sleep(step.delay)
            self.send_response(step.status)
            for name, value in step.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


StartHTTP = Callable[..., HTTPRecorder]


@pytest.fixture()
def http_server() -> Iterator[StartHTTP]:
    """http_server(Step(500), Step(200)) -> a running server answering with those steps in turn."""
    servers: list[tuple[ThreadingHTTPServer, threading.Thread]] = []

    def start(*plan: Step) -> HTTPRecorder:
        seen: list[Seen] = []
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(list(plan), seen))
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        servers.append((server, thread))
        return HTTPRecorder(f"http://127.0.0.1:{server.server_address[1]}/hook", seen)

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(timeout=2)


@pytest.fixture()
def dead_port() -> Iterator[int]:
    """A loopback port that is bound but not listening: connections to it are refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    yield sock.getsockname()[1]
    sock.close()


def webhook(url: str, **extra: Any) -> dict[str, Any]:
    return {"kind": "webhook", "url": url, **extra}


# -- webhook ---------------------------------------------------------------------------------


def test_webhook_retries_5xx_then_delivers_once_with_one_idempotency_key(http_server: StartHTTP) -> None:
    server = http_server(Step(500), Step(500), Step(200))
    sleeps: list[float] = []
    result = deliver(ALERT, webhook(server.url, headers={"X-Token": "s3cret"}), sleep=sleeps.append)

    assert result == Delivered("webhook", 3, f"POST {server.url} -> HTTP 200")
    assert [s.status for s in server.seen] == [500, 500, 200]
    assert {s.key for s in server.seen} == {ALERT.id}
    assert sleeps == [0.5, 1.0]  # exponential backoff
    delivered = [s for s in server.seen if s.status == 200]
    assert len(delivered) == 1
    assert json.loads(delivered[0].body.decode("utf-8")) == ALERT.as_dict()
    headers = delivered[0].headers
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"].startswith("escwatch/")
    assert headers["X-Token"] == "s3cret"


def test_webhook_gives_up_after_retries_plus_one_attempts(http_server: StartHTTP) -> None:
    server = http_server(Step(500))
    sleeps: list[float] = []
    with pytest.raises(DeliveryError) as caught:
        deliver(ALERT, webhook(server.url, retries=2, backoff=0.1), sleep=sleeps.append)

    assert len(server.seen) == 3
    assert sleeps == [0.1, 0.2]
    message = str(caught.value)
    assert server.url in message and "3 attempt" in message and "HTTP 500" in message
    assert caught.value.code == "E601"


def test_webhook_honours_retry_after_on_429(http_server: StartHTTP) -> None:
    server = http_server(Step(429, {"Retry-After": "2"}), Step(200))
    sleeps: list[float] = []
    result = deliver(ALERT, webhook(server.url), sleep=sleeps.append)

    assert result.attempts == 2
    assert sleeps == [2.0]
    assert [s.status for s in server.seen] == [429, 200]


def test_webhook_caps_retry_after(http_server: StartHTTP) -> None:
    server = http_server(Step(503, {"Retry-After": "3600"}), Step(204))
    sleeps: list[float] = []
    assert deliver(ALERT, webhook(server.url), sleep=sleeps.append).attempts == 2
    assert sleeps == [60.0]


def test_webhook_does_not_retry_400(http_server: StartHTTP) -> None:
    server = http_server(Step(400), Step(200))
    sleeps: list[float] = []
    with pytest.raises(DeliveryError, match="HTTP 400"):
        deliver(ALERT, webhook(server.url), sleep=sleeps.append)

    assert len(server.seen) == 1
    assert sleeps == []


def test_webhook_retries_refused_connections_with_capped_backoff(dead_port: int) -> None:
    sleeps: list[float] = []
    url = f"http://127.0.0.1:{dead_port}/hook"
    with pytest.raises(DeliveryError, match="ConnectError") as caught:
        deliver(ALERT, webhook(url, retries=3, backoff=20), sleep=sleeps.append)

    assert sleeps == [20.0, 30.0, 30.0]
    assert "4 attempt" in str(caught.value)


def test_webhook_retries_a_timeout(http_server: StartHTTP) -> None:
    server = http_server(Step(200, delay=0.5), Step(200))
    sleeps: list[float] = []
    result = deliver(ALERT, webhook(server.url, timeout=0.1), sleep=sleeps.append)

    assert result.attempts == 2
    assert sleeps == [0.5]
    assert len(server.seen) == 2


def test_webhook_hides_credentials_in_errors(http_server: StartHTTP) -> None:
    server = http_server(Step(404))
    url = server.url.replace("http://", "http://user:pw@") + "?token=abc"
    with pytest.raises(DeliveryError) as caught:
        deliver(ALERT, webhook(url), sleep=lambda s: None)

    assert server.url in str(caught.value)
    assert "pw" not in str(caught.value) and "abc" not in str(caught.value)


# -- e-mail ----------------------------------------------------------------------------------


class Inbox:
    """An aiosmtpd handler that keeps what it receives and refuses recipients at @refused.example."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        if address.endswith("@refused.example"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture()
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    for _ in range(5):  # aiosmtpd needs a concrete port; retry if another process takes it first
        port = _free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port, ready_timeout=2.0)
        try:
            controller.start()
        except Exception:
            continue
        break
    else:
        pytest.fail("could not start the SMTP server")
    yield inbox, port
    controller.stop()


def mail(port: int, **extra: Any) -> dict[str, Any]:
    return {"kind": "email", "host": "127.0.0.1", "port": port, "from": "escwatch@example.org", "timeout": 2, **extra}


def test_email_is_received_with_subject_message_id_and_body(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    result = deliver(ALERT, mail(port, to="analyst@example.org, desk@example.org"))

    assert result.channel == "email" and result.attempts == 1
    assert len(inbox.messages) == 1
    recipients, msg = inbox.messages[0]
    assert recipients == ["analyst@example.org", "desk@example.org"]
    assert msg["Subject"] == f"[escwatch] {ALERT.title}"
    assert ALERT.id in msg["Message-ID"]
    assert msg["X-Escwatch-Alert-Id"] == ALERT.id
    body = msg.get_body(("plain",))
    assert body is not None and body.get_content().replace("\r\n", "\n").strip() == ALERT.body  # CRLF on the wire
    attached = [part for part in msg.iter_attachments() if part.get_content_type() == "application/json"]
    assert len(attached) == 1 and json.loads(attached[0].get_content()) == ALERT.as_dict()


def test_email_refused_by_server_raises(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    with pytest.raises(DeliveryError, match="SMTPRecipientsRefused"):
        deliver(ALERT, mail(port, to=["nobody@refused.example"]))
    assert inbox.messages == []


def test_email_to_a_port_with_no_server_raises(dead_port: int) -> None:
    with pytest.raises(DeliveryError, match=f"127.0.0.1:{dead_port}"):
        deliver(ALERT, mail(dead_port, to=["analyst@example.org"]))


# -- file, stdout, configuration -------------------------------------------------------------


def test_file_channel_appends_one_json_line_per_alert(tmp_path: Path) -> None:
    path = tmp_path / "out" / "alerts.jsonl"
    second = Alert("0a1b", "origin", "new_origin", "2022-10-06", "New origin", "line one\nline two", {"origin": "RU"})
    deliver(ALERT, {"kind": "file", "path": str(path)})
    result = deliver(second, {"kind": "file", "path": str(path)})

    assert result == Delivered("file", 1, f"appended to {path}")
    text = path.read_text(encoding="utf-8")
    assert "Grüße" in text  # written as UTF-8, not \\u-escaped
    assert [json.loads(line) for line in text.splitlines()] == [ALERT.as_dict(), second.as_dict()]


def test_stdout_channel_prints_header_then_body(capsys: pytest.CaptureFixture[str]) -> None:
    deliver(ALERT, {"kind": "stdout"})
    out = capsys.readouterr().out
    assert out == f"ALERT {ALERT.day} {ALERT.title}\n{ALERT.body}\n"


def test_unknown_kind_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        deliver(ALERT, {"kind": "pager"})
    assert "pager" in caught.value.message
    assert all(kind in caught.value.hint for kind in ("stdout", "file", "webhook", "email"))


def test_alert_as_dict_is_json_serialisable() -> None:
    assert json.loads(json.dumps(ALERT.as_dict())) == ALERT.as_dict()
    assert set(ALERT.as_dict()) == {"id", "rule", "kind", "day", "title", "body", "payload"}
