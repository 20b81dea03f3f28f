"""The fetcher against a real HTTP server on loopback (http.server in a thread; no HTTP mocks).

Loopback is not a public address, so most tests pass ``allow_private=True`` on purpose. Tests about the
address check use fake host names with an injected resolver, and reach the loopback server through it
acting as a forward proxy (``httpx.HTTPTransport(proxy=...)``), so the request target it sees is the
address the fetcher checked.
"""

from __future__ import annotations

import gzip
import socket
import sys
import threading
import time
import tracemalloc
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from escwatch.errors import (
    BlockedAddressError,
    ConfigError,
    FetchError,
    FetchTimeoutError,
    HTTPStatusError,
    RedirectError,
    ResponseTooLargeError,
    RobotsDisallowedError,
)
from escwatch.ingest.fetch import Fetched, Fetcher, FetchPolicy, is_public

PAGE = b"<html><body><p>Hello from the test server.</p></body></html>"
LONG = b"<html><body>" + b"<p>Compressed, decoded by escwatch.</p>" * 2000 + b"</body></html>"
ROBOTS = b"User-agent: *\nDisallow: /private/\n"
LAST_MODIFIED = "Wed, 05 Oct 2022 10:00:00 GMT"
PUBLIC_IP = "93.184.216.34"


@dataclass
class State:
    hits: Counter[str] = field(default_factory=Counter)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)  # path -> last request's headers (lower-case)
    targets: list[str] = field(default_factory=list)  # request targets as received (absolute when proxied)
    robots_status: int = 200


class Server(ThreadingHTTPServer):
    daemon_threads = True
    bomb: bytes
    state: State

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # the fetcher hanging up is expected
            super().handle_error(request, client_address)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        state = self.server.state
        path = urlsplit(self.path).path
        state.targets.append(self.path)
        state.hits[path] += 1
        state.headers[path] = {k.lower(): v for k, v in self.headers.items()}
        route = "/chain/" if path.startswith("/chain/") else path
        try:
            ROUTES.get(route, Handler.not_found)(self, path)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def send(self, status: int, body: bytes = b"", **headers: str) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key.replace("_", "-"), value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location: str) -> None:
        self.send(302, Location=location)

    def robots(self, path: str) -> None:
        status = self.server.state.robots_status
        self.send(status, ROBOTS if status == 200 else b"gone", Content_Type="text/plain")

    def page(self, path: str) -> None:
        if self.headers.get("If-None-Match") == '"v1"':
            self.send(304, ETag='"v1"')
        else:
            self.send(200, PAGE, Content_Type="text/HTML; charset=utf-8", ETag='"v1"', Last_Modified=LAST_MODIFIED)

    def plain(self, path: str) -> None:
        self.send(200, PAGE, Content_Type="text/html")

    def chain(self, path: str) -> None:
        n = int(path.rsplit("/", 1)[1])
        self.redirect(f"/chain/{n - 1}") if n > 0 else self.plain(path)

    def once(self, path: str, status: int, retry_after: str) -> None:
        if self.server.state.hits[path] == 1:
            self.send(status, b"busy", Retry_After=retry_after)
        else:
            self.plain(path)

    def big(self, path: str) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "10000000")
        self.end_headers()
        self.close_connection = True

    def big_chunked(self, path: str) -> None:
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for _ in range(32):
            self.wfile.write(b"10000\r\n" + b"x" * 0x10000 + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")

    def encoded(self, body: bytes, coding: str) -> None:
        self.send(200, body, Content_Type="text/html", Content_Encoding=coding)

    def slow(self, path: str) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        for _ in range(1000):
            self.wfile.write(b".")
            time.sleep(0.2)

    def not_found(self, path: str) -> None:
        self.send(404, b"not found")


def _raw_deflate(data: bytes) -> bytes:
    obj = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return obj.compress(data) + obj.flush()


Route = Callable[[Handler, str], None]
ROUTES: dict[str, Route] = {
    "/robots.txt": Handler.robots,
    "/page.html": Handler.page,
    "/private/secret.html": Handler.plain,
    "/chain/": Handler.chain,  # /chain/N: N redirects, then a page
    "/redirect": lambda h, _: h.redirect("/page.html"),
    "/to-private": lambda h, _: h.redirect("/private/secret.html"),
    "/to-ftp": lambda h, _: h.redirect("ftp://example.org/file.txt"),
    "/to-internal": lambda h, _: h.redirect("http://internal.test/admin"),
    "/loop-a": lambda h, _: h.redirect("/loop-b"),
    "/loop-b": lambda h, _: h.redirect("/loop-a"),
    "/too-many-429": lambda h, _: h.send(429, b"slow down", Retry_After="1"),
    "/429-once": lambda h, p: h.once(p, 429, "2"),
    "/503-date-once": lambda h, p: h.once(p, 503, formatdate(time.time() + 3, usegmt=True)),
    "/big": Handler.big,
    "/big-chunked": Handler.big_chunked,
    "/gzip-bomb": lambda h, _: h.encoded(h.server.bomb, "gzip"),
    "/gzip-page": lambda h, _: h.encoded(gzip.compress(LONG), "gzip"),
    "/deflate-page": lambda h, _: h.encoded(zlib.compress(LONG), "deflate"),
    "/raw-deflate-page": lambda h, _: h.encoded(_raw_deflate(LONG), "deflate"),
    "/slow": Handler.slow,
    "/500": lambda h, _: h.send(500, b"oops"),
    "/404": lambda h, _: h.send(404, b"nothing here"),
}


@pytest.fixture(scope="session")
def http_server() -> Iterator[Server]:
    server = Server(("127.0.0.1", 0), Handler)
    server.bomb = gzip.compress(b"\0" * 50_000_000)  # ~49 KB on the wire, 50 MB inflated
    server.state = State()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture()
def server(http_server: Server) -> Server:
    http_server.state = State()  # per-test state: hits, headers, the "once" routes
    return http_server


@dataclass
class Made:
    fetcher: Fetcher
    sleeps: list[float]

    def get(self, url: str, **kw: str) -> Fetched:
        return self.fetcher.get(url, **kw)


@pytest.fixture()
def make() -> Iterator[Callable[..., Made]]:
    """make(**policy, resolve=..., transport=...) -> a Fetcher that records its sleeps (and never sleeps)."""
    made: list[Fetcher] = []

    def build(*, resolve: Any = None, transport: httpx.BaseTransport | None = None, **policy: Any) -> Made:
        sleeps: list[float] = []
        policy = {"allow_private": True, "min_interval": 0.0, **policy}
        fetcher = Fetcher(FetchPolicy(**policy), sleep=sleeps.append, resolve=resolve, transport=transport)
        made.append(fetcher)
        return Made(fetcher, sleeps)

    yield build
    for fetcher in made:
        fetcher.close()


def _resolver(table: dict[str, list[str]]) -> Callable[[str], list[str]]:
    return lambda host: table[host]


# -- a page, robots.txt, conditional GET -------------------------------------------------------


def test_page_is_fetched_with_its_metadata(server: Server, make: Callable[..., Made]) -> None:
    got = make().get(f"{server.base}/page.html")
    assert (got.status, got.content, got.not_modified, got.redirects) == (200, PAGE, False, ())
    assert (got.content_type, got.encoding) == ("text/html", "utf-8")
    assert (got.etag, got.last_modified) == ('"v1"', LAST_MODIFIED)
    assert got.url == got.final_url == f"{server.base}/page.html"


def test_robots_disallow_refuses_and_robots_is_read_once(server: Server, make: Callable[..., Made]) -> None:
    m = make()
    with pytest.raises(RobotsDisallowedError, match=r"private/secret\.html"):
        m.get(f"{server.base}/private/secret.html")
    assert m.get(f"{server.base}/page.html").content == PAGE
    assert server.state.hits["/private/secret.html"] == 0
    assert server.state.hits["/robots.txt"] == 1


def test_ignore_robots_fetches_a_disallowed_page(server: Server, make: Callable[..., Made]) -> None:
    assert make(respect_robots=False).get(f"{server.base}/private/secret.html").content == PAGE
    assert server.state.hits["/robots.txt"] == 0


@pytest.mark.parametrize("status", [404, 410, 403, 500, 503])
def test_robots_errors_allow_all(server: Server, make: Callable[..., Made], status: int) -> None:
    server.state.robots_status = status
    m = make()
    assert m.get(f"{server.base}/private/secret.html").status == 200
    assert server.state.hits["/robots.txt"] == 1 and m.sleeps == []  # robots.txt is not retried


def test_redirect_into_a_disallowed_path_is_refused(server: Server, make: Callable[..., Made]) -> None:
    with pytest.raises(RobotsDisallowedError):
        make().get(f"{server.base}/to-private")
    assert server.state.hits["/private/secret.html"] == 0


def test_conditional_get_round_trip(server: Server, make: Callable[..., Made]) -> None:
    m = make()
    first = m.get(f"{server.base}/page.html")
    again = m.get(f"{server.base}/page.html", etag=first.etag or "", last_modified=first.last_modified or "")
    assert (again.status, again.not_modified, again.content) == (304, True, b"")
    assert (again.etag, again.last_modified) == ('"v1"', LAST_MODIFIED)  # kept for the next poll
    seen = server.state.headers["/page.html"]
    assert (seen["if-none-match"], seen["if-modified-since"]) == ('"v1"', LAST_MODIFIED)


# -- redirects -------------------------------------------------------------------------------


def test_redirect_is_followed_and_recorded(server: Server, make: Callable[..., Made]) -> None:
    got = make().get(f"{server.base}/redirect")
    assert got.content == PAGE and got.url == f"{server.base}/redirect"
    assert got.final_url == f"{server.base}/page.html"
    assert got.redirects == (f"{server.base}/page.html",)


def test_redirect_loop_is_refused(server: Server, make: Callable[..., Made]) -> None:
    with pytest.raises(RedirectError, match="loop"):
        make().get(f"{server.base}/loop-a")
    assert server.state.hits["/loop-a"] == 1 and server.state.hits["/loop-b"] == 1


def test_redirect_chain_is_limited(server: Server, make: Callable[..., Made]) -> None:
    m = make(max_redirects=5)
    assert len(m.get(f"{server.base}/chain/5").redirects) == 5
    with pytest.raises(RedirectError, match="more than 5"):
        m.get(f"{server.base}/chain/6")
    assert server.state.hits["/chain/0"] == 1  # only the first chain reached its end


def test_redirect_to_another_scheme_is_refused(server: Server, make: Callable[..., Made]) -> None:
    with pytest.raises(RedirectError, match=r"ftp://example\.org"):
        make().get(f"{server.base}/to-ftp")


# -- retries ---------------------------------------------------------------------------------


def test_retry_after_is_honoured_then_success(server: Server, make: Callable[..., Made]) -> None:
    m = make()
    assert m.get(f"{server.base}/429-once").status == 200
    assert m.sleeps == [2.0] and server.state.hits["/429-once"] == 2


def test_retry_after_is_capped(server: Server, make: Callable[..., Made]) -> None:
    m = make(max_retry_after=0.5)
    m.get(f"{server.base}/429-once")
    assert m.sleeps == [0.5]


def test_retry_after_as_http_date(server: Server, make: Callable[..., Made]) -> None:
    m = make()
    assert m.get(f"{server.base}/503-date-once").status == 200
    assert len(m.sleeps) == 1 and 1.0 < m.sleeps[0] <= 3.0


def test_always_429_gives_up_after_all_attempts(server: Server, make: Callable[..., Made]) -> None:
    m = make(retries=2)
    with pytest.raises(HTTPStatusError, match="429") as info:
        m.get(f"{server.base}/too-many-429")
    assert getattr(info.value, "status", None) == 429
    assert server.state.hits["/too-many-429"] == 3 and m.sleeps == [1.0, 1.0]


@pytest.mark.parametrize("path", ["/404", "/500"])
def test_other_error_statuses_are_not_retried(server: Server, make: Callable[..., Made], path: str) -> None:
    m = make()
    with pytest.raises(HTTPStatusError, match=path[1:]):
        m.get(f"{server.base}{path}")
    assert server.state.hits[path] == 1 and m.sleeps == []


def test_connection_errors_are_retried_with_backoff(make: Callable[..., Made]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    m = make(retries=2)
    with pytest.raises(FetchError) as info:
        m.get(f"http://127.0.0.1:{port}/page.html")  # robots.txt unreachable too: allow all, no crash
    assert type(info.value) is FetchError
    assert m.sleeps == [1.0, 2.0]


# -- size and time ---------------------------------------------------------------------------


def test_too_large_by_content_length(server: Server, make: Callable[..., Made]) -> None:
    with pytest.raises(ResponseTooLargeError):
        make(max_bytes=1000).get(f"{server.base}/big")


def test_too_large_chunked(server: Server, make: Callable[..., Made]) -> None:
    with pytest.raises(ResponseTooLargeError, match="100000 bytes"):
        make(max_bytes=100_000).get(f"{server.base}/big-chunked")


def test_gzip_bomb_stops_quickly_in_bounded_memory(server: Server, make: Callable[..., Made]) -> None:
    m = make(max_bytes=5_000_000)
    tracemalloc.start()
    start = time.monotonic()
    try:
        with pytest.raises(ResponseTooLargeError):
            m.get(f"{server.base}/gzip-bomb")
        elapsed = time.monotonic() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < 2.0
    assert peak < 20_000_000  # 50 MB inflated would show here


@pytest.mark.parametrize("path", ["/gzip-page", "/deflate-page", "/raw-deflate-page"])
def test_compressed_bodies_are_decoded(server: Server, make: Callable[..., Made], path: str) -> None:
    assert make().get(f"{server.base}{path}").content == LONG


def test_slow_drip_fails_at_the_deadline(server: Server, make: Callable[..., Made]) -> None:
    m = make(timeout=1.0)  # default retries: the total deadline is not retried
    start = time.monotonic()
    with pytest.raises(FetchTimeoutError):
        m.get(f"{server.base}/slow")
    assert time.monotonic() - start < 3.0
    assert server.state.hits["/slow"] == 1


# -- politeness and headers ------------------------------------------------------------------


def test_requests_to_one_host_are_spaced(server: Server, make: Callable[..., Made]) -> None:
    m = make(min_interval=0.5, respect_robots=False)  # recorded sleeps, real clock
    m.get(f"{server.base}/page.html")
    assert m.sleeps == []
    m.get(f"{server.base}/page.html")
    assert len(m.sleeps) == 1 and 0.3 < m.sleeps[0] <= 0.5
    m.get(f"http://localhost:{server.server_address[1]}/page.html")  # another host name: no wait
    assert len(m.sleeps) == 1


def test_robots_then_page_counts_as_two_requests(server: Server, make: Callable[..., Made]) -> None:
    m = make(min_interval=0.5)
    m.get(f"{server.base}/page.html")
    m.get(f"{server.base}/redirect")
    assert len(m.sleeps) == 3  # robots.txt, page.html | redirect | page.html; robots.txt read once
    assert server.state.hits["/robots.txt"] == 1


def test_headers_sent(server: Server, make: Callable[..., Made]) -> None:
    make().get(f"{server.base}/page.html")
    for path in ("/robots.txt", "/page.html"):
        seen = server.state.headers[path]
        assert seen["user-agent"].startswith("escwatch/")
        assert seen["user-agent"].endswith("(+https://github.com/escwatch/escwatch)")
        assert "gzip" in seen["accept-encoding"] and "deflate" in seen["accept-encoding"]
        assert "text/html" in seen["accept"]


# -- addresses and URLs ----------------------------------------------------------------------


def test_default_policy_blocks_loopback(server: Server) -> None:
    with Fetcher() as fetcher, pytest.raises(BlockedAddressError, match=r"127\.0\.0\.1"):
        fetcher.get(f"{server.base}/page.html")
    assert not server.state.hits  # refused before robots.txt or the page were asked for


@pytest.mark.parametrize(
    "addresses",
    [["10.0.0.1"], ["169.254.169.254"], ["::1"], ["::ffff:127.0.0.1"], ["192.168.1.10"], ["100.64.0.1"],
     ["0.0.0.0"], ["2002:7f00:1::"], ["fe80::1%eth0"], [PUBLIC_IP, "10.0.0.1"]],
)
def test_non_public_addresses_are_blocked(server: Server, make: Callable[..., Made], addresses: list[str]) -> None:
    m = make(allow_private=False, resolve=_resolver({"fake.test": addresses}),
             transport=httpx.HTTPTransport(proxy=server.base))
    with pytest.raises(BlockedAddressError, match=f"fake.test resolves to {addresses[-1]}"):
        m.get("http://fake.test/page.html")
    assert not server.state.hits


def test_public_address_passes_and_is_the_one_connected_to(server: Server, make: Callable[..., Made]) -> None:
    m = make(allow_private=False, resolve=_resolver({"fake.test": [PUBLIC_IP]}),
             transport=httpx.HTTPTransport(proxy=server.base))
    got = m.get("http://fake.test/page.html")
    assert got.content == PAGE and got.final_url == "http://fake.test/page.html"
    assert server.state.targets == [f"http://{PUBLIC_IP}/robots.txt", f"http://{PUBLIC_IP}/page.html"]
    assert server.state.headers["/page.html"]["host"] == "fake.test"


def test_redirect_to_a_private_address_is_refused(server: Server, make: Callable[..., Made]) -> None:
    m = make(allow_private=False, respect_robots=False, transport=httpx.HTTPTransport(proxy=server.base),
             resolve=_resolver({"fake.test": [PUBLIC_IP], "internal.test": ["10.0.0.1"]}))
    with pytest.raises(RedirectError, match=r"internal\.test resolves to 10\.0\.0\.1"):
        m.get("http://fake.test/to-internal")
    assert server.state.targets == [f"http://{PUBLIC_IP}/to-internal"]


@pytest.mark.parametrize("url", ["ftp://example.org/x", "file:///etc/passwd", "javascript:alert(1)", "http://", "x"])
def test_only_http_urls_are_fetched(make: Callable[..., Made], url: str) -> None:
    with pytest.raises(FetchError) as info:
        make().get(url)
    assert type(info.value) is FetchError and info.value.hint


@pytest.mark.parametrize(
    ("ip", "public"),
    [(PUBLIC_IP, True), ("2606:4700:4700::1111", True), ("127.0.0.1", False), ("10.1.2.3", False),
     ("172.16.0.1", False), ("169.254.169.254", False), ("224.0.0.1", False), ("::", False),
     ("::ffff:10.0.0.1", False), ("64:ff9b::7f00:1", False), ("fd00::1", False), ("not an ip", False)],
)
def test_is_public(ip: str, public: bool) -> None:
    assert is_public(ip) is public


def test_policy_is_validated() -> None:
    with pytest.raises(ConfigError):
        FetchPolicy(timeout=0)
    with pytest.raises(ConfigError):
        FetchPolicy(retries=-1)
