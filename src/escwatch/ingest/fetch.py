"""Fetch one URL safely and politely: ``Fetcher(policy).get(url) -> Fetched``.

Safe: only http(s); every host (first URL and each redirect target) is resolved and refused when any of
its addresses is not public, and the request is then sent to that checked address (no DNS rebinding);
redirects are followed by hand; bodies are capped in time and in decoded bytes (gzip/deflate is
inflated here, step by step, so a compression bomb stops at ``max_bytes``). Polite: robots.txt is
honoured, requests to one host are spaced by ``min_interval``, 429/503 wait for Retry-After.
Environment proxies are not used (``trust_env=False``): the fetcher connects to the address it checked.
"""

from __future__ import annotations

import ipaddress
import math
import socket
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from urllib.robotparser import RobotFileParser

import httpx

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

ROBOTS_TOKEN = "escwatch"  # the product token matched against robots.txt User-agent lines
ACCEPT = "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,application/xml;q=0.9,*/*;q=0.8"
REDIRECTS = frozenset({301, 302, 303, 307, 308})
RETRY_STATUSES = frozenset({429, 503})  # other 5xx are not retried here: live.py retries them on the next poll
INFLATE_STEP = 64 * 1024  # at most this many decoded bytes are produced per zlib call
NAT64 = ipaddress.ip_network("64:ff9b::/96")

Sleep = Callable[[float], None]
Clock = Callable[[], float]
Resolve = Callable[[str], list[str]]


def _default_user_agent() -> str:
    from escwatch import __version__

    return f"escwatch/{__version__} (+https://github.com/escwatch/escwatch)"


@dataclass(frozen=True)
class FetchPolicy:
    timeout: float = 20.0  # total seconds per request, including reading the body
    max_bytes: int = 5_000_000  # decoded body bytes
    max_redirects: int = 5
    allow_private: bool = False  # fetch from loopback/private/link-local/reserved addresses on purpose
    respect_robots: bool = True
    min_interval: float = 1.0  # seconds between two requests to the same host
    retries: int = 2  # extra attempts on 429, 503, timeouts and connection errors
    max_retry_after: float = 60.0  # cap on a server's Retry-After and on the backoff
    user_agent: str = field(default_factory=_default_user_agent)

    def __post_init__(self) -> None:
        if not (self.timeout > 0 and self.max_bytes > 0):
            raise ConfigError("fetch timeout and max_bytes must be positive")
        if min(self.max_redirects, self.retries) < 0 or min(self.min_interval, self.max_retry_after) < 0:
            raise ConfigError("fetch max_redirects, retries, min_interval and max_retry_after must not be negative")


@dataclass(frozen=True)
class Fetched:
    url: str  # as requested
    final_url: str  # after redirects
    status: int  # 2xx, or 304 when not modified
    content: bytes  # decoded (gzip/deflate undone); b"" for 304
    content_type: str  # media type without parameters, lower-case ("" if absent)
    encoding: str | None  # charset parameter if any
    etag: str | None
    last_modified: str | None
    not_modified: bool
    redirects: tuple[str, ...]  # every redirect target followed, in order (the last one is final_url)


# -- addresses -------------------------------------------------------------------------------


def _embedded_ipv4(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, Teredo client, NAT64), if any."""
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    if addr.sixtofour is not None:
        return addr.sixtofour
    if addr.teredo is not None:
        return addr.teredo[1]
    if addr in NAT64:
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    return None


def is_public(ip: str) -> bool:
    """True for a globally routable unicast address (also checking an IPv4 address inside IPv6)."""
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return False
    inner = _embedded_ipv4(addr) if isinstance(addr, ipaddress.IPv6Address) else None
    if inner is not None and not is_public(str(inner)):
        return False
    flags = (addr.is_private, addr.is_loopback, addr.is_link_local, addr.is_reserved, addr.is_multicast,
             addr.is_unspecified)
    return addr.is_global and not any(flags)


def _getaddrinfo(host: str) -> list[str]:
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _display(url: httpx.URL) -> str:
    """The URL without credentials, for messages."""
    return str(url.copy_with(username=None, password=None)) if url.userinfo else str(url)


@dataclass(frozen=True)
class _Target:
    url: httpx.URL  # as the user (or the redirect) named it
    address: str  # the checked IP the request is sent to

    @property
    def wire_url(self) -> httpx.URL:
        return self.url.copy_with(host=self.address)


# -- bodies ----------------------------------------------------------------------------------


def _inflate(obj: zlib._Decompress, data: bytes) -> Iterator[bytes]:
    while True:
        out = obj.decompress(data, INFLATE_STEP)
        if out:
            yield out
        data = obj.unconsumed_tail
        if not data and len(out) < INFLATE_STEP:
            return


class _Decoder:
    """Undo one Content-Encoding (identity, gzip or deflate) incrementally, INFLATE_STEP bytes at a time."""

    def __init__(self, header: str) -> None:
        codings = [c.strip().lower() for c in header.split(",") if c.strip().lower() not in ("", "identity")]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise FetchError(f"unsupported Content-Encoding {header!r}", hint="only gzip and deflate are accepted")
        self.coding = codings[0] if codings else "identity"
        self._obj: zlib._Decompress | None = None
        self._head = b""

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self.coding == "identity":
            yield data
            return
        if self._obj is None:
            self._head += data
            if len(self._head) < 2:
                return
            data, self._head = self._head, b""
            self._obj = zlib.decompressobj(self._wbits(data))
        yield from _inflate(self._obj, data)

    def finish(self) -> Iterator[bytes]:
        if self._head:
            self._obj = zlib.decompressobj(self._wbits(self._head))
            yield from _inflate(self._obj, self._head)
        if self._obj is not None:
            yield self._obj.flush()

    def _wbits(self, head: bytes) -> int:
        if self.coding != "deflate":
            return 16 + zlib.MAX_WBITS
        zlib_wrapped = len(head) >= 2 and head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0
        return zlib.MAX_WBITS if zlib_wrapped else -zlib.MAX_WBITS  # some servers send raw deflate


def _media_type(header: str) -> tuple[str, str | None]:
    media, *params = header.split(";")
    charset = None
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip().strip("\"'"):
            charset = value.strip().strip("\"'")
    return media.strip().lower(), charset


# -- retries ---------------------------------------------------------------------------------


class _Retry(Exception):
    """A transient failure: ``error`` is raised when no attempt is left; ``wait`` is the server's Retry-After."""

    def __init__(self, error: FetchError, wait: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.wait = wait


def _retry_after(value: str | None, cap: float) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP-date), capped; None if unusable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(max(seconds, 0.0), cap) if math.isfinite(seconds) else None


def _status_error(url: httpx.URL, response: httpx.Response) -> HTTPStatusError:
    status = response.status_code
    err = HTTPStatusError(f"{_display(url)}: HTTP {status} {response.reason_phrase}".rstrip())
    err.status = status  # read by ingest.live (getattr(exc, "status"))
    return err


@dataclass(frozen=True)
class _Reply:
    status: int
    headers: httpx.Headers
    content: bytes


# -- the fetcher -----------------------------------------------------------------------------


class Fetcher:
    """Fetch URLs under one policy; keeps a connection pool, robots.txt rules and per-host timing."""

    def __init__(
        self,
        policy: FetchPolicy = FetchPolicy(),
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
        resolve: Resolve | None = None,
    ) -> None:
        self.policy = policy
        self._sleep = sleep
        self._clock = clock
        self._resolve = resolve or _getaddrinfo
        self._last: dict[str, float] = {}  # host -> clock() at its last request
        self._robots: dict[str, RobotFileParser | None] = {}  # origin -> rules (None: allow all)
        headers = {"User-Agent": policy.user_agent, "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"}
        self._client = httpx.Client(transport=transport, headers=headers, timeout=policy.timeout,
                                    follow_redirects=False, trust_env=False)

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Fetched:
        """GET a URL (conditionally when etag/last_modified are given); raise a FetchError subclass on failure."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        target, reply, redirects = self._follow(self._parse(url), headers, self.policy.retries,
                                                robots=self.policy.respect_robots)
        media, charset = _media_type(reply.headers.get("content-type", ""))
        not_modified = reply.status == 304
        return Fetched(
            url=url,
            final_url=str(target.url),
            status=reply.status,
            content=reply.content,
            content_type=media,
            encoding=charset,
            etag=reply.headers.get("etag") or (etag if not_modified else None),
            last_modified=reply.headers.get("last-modified") or (last_modified if not_modified else None),
            not_modified=not_modified,
            redirects=tuple(redirects),
        )

    # -- URLs and addresses

    @staticmethod
    def _parse(url: str) -> httpx.URL:
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError) as exc:
            raise FetchError(f"invalid URL {url!r}: {exc}", hint="give a full http:// or https:// URL") from exc
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise FetchError(f"cannot fetch {url!r}: only http and https URLs are fetched",
                             hint="give a full http:// or https:// URL")
        return parsed

    def _target(self, url: httpx.URL) -> _Target:
        """Resolve the URL's host and check every address; the request goes to the first IPv4 (else IPv6) one."""
        host = url.raw_host.decode("ascii")
        try:
            ipaddress.ip_address(host)
            addresses = [host]
        except ValueError:
            try:
                addresses = list(self._resolve(host))
            except (OSError, UnicodeError) as exc:
                raise FetchError(f"cannot resolve {host}: {exc}", hint="check the host name and the network") from exc
        if not addresses:
            raise FetchError(f"cannot resolve {host}: no address", hint="check the host name and the network")
        if not self.policy.allow_private:
            for address in addresses:
                if not is_public(address):
                    raise BlockedAddressError(f"{host} resolves to {address}, which is not a public address")
        return _Target(url, next((a for a in addresses if ":" not in a), addresses[0]))

    # -- redirects and robots

    def _follow(self, url: httpx.URL, headers: dict[str, str], retries: int,
                *, robots: bool) -> tuple[_Target, _Reply, list[str]]:
        """Send the request, following redirects by hand; each hop is checked like the first URL."""
        target = self._target(url)
        redirects: list[str] = []
        seen = {str(url)}
        while True:
            if robots and not self._allowed(target.url):
                raise RobotsDisallowedError(f"robots.txt of {target.url.host} disallows {_display(target.url)}")
            reply = self._exchange(target, headers, retries)
            location = reply.headers.get("location") if reply.status in REDIRECTS else None
            if location is None:
                return target, reply, redirects
            target = self._redirect(target.url, location, seen, redirects)

    def _redirect(self, current: httpx.URL, location: str, seen: set[str], redirects: list[str]) -> _Target:
        try:
            nxt = current.join(location)
        except (httpx.InvalidURL, TypeError) as exc:
            raise RedirectError(f"{_display(current)} redirects to an invalid URL {location!r}") from exc
        where = f"{_display(current)} redirects to {_display(nxt)}"
        if nxt.scheme not in ("http", "https") or not nxt.host:
            raise RedirectError(f"{where}: only http and https are followed")
        if str(nxt) in seen:
            raise RedirectError(f"{where}: a redirect loop")
        if len(redirects) >= self.policy.max_redirects:
            raise RedirectError(f"{where}: more than {self.policy.max_redirects} redirects")
        seen.add(str(nxt))
        redirects.append(str(nxt))
        try:
            return self._target(nxt)
        except BlockedAddressError as exc:
            raise RedirectError(f"{where}: {exc.message}", hint=exc.hint) from exc

    def _allowed(self, url: httpx.URL) -> bool:
        origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
        if origin not in self._robots:
            self._robots[origin] = self._load_robots(httpx.URL(origin + "/robots.txt"))
        rules = self._robots[origin]
        return rules is None or rules.can_fetch(ROBOTS_TOKEN, str(url))

    def _load_robots(self, url: httpx.URL) -> RobotFileParser | None:
        """The rules of robots.txt; None (allow all) when it is missing, refused, broken or unreachable."""
        try:
            _, reply, _ = self._follow(url, {}, 0, robots=False)
        except FetchError:
            return None
        if not 200 <= reply.status < 300:
            return None
        rules = RobotFileParser(str(url))
        rules.parse(reply.content.decode("utf-8", errors="replace").splitlines())
        return rules

    # -- one request

    def _exchange(self, target: _Target, headers: dict[str, str], retries: int) -> _Reply:
        attempt = 0
        while True:
            try:
                return self._attempt(target, headers)
            except _Retry as retry:
                if attempt >= retries:
                    raise retry.error from retry.__cause__
                backoff = min(2.0**attempt, self.policy.max_retry_after)
                self._sleep(retry.wait if retry.wait is not None else backoff)
                attempt += 1

    def _wait_turn(self, host: str) -> None:
        last = self._last.get(host)
        if last is not None:
            wait = last + self.policy.min_interval - self._clock()
            if wait > 0:
                self._sleep(wait)
        self._last[host] = self._clock()

    def _attempt(self, target: _Target, headers: dict[str, str]) -> _Reply:
        url = target.url
        self._wait_turn(url.host)
        deadline = self._clock() + self.policy.timeout
        extensions = {"sni_hostname": url.host} if url.scheme == "https" else None
        request = self._client.build_request("GET", target.wire_url, extensions=extensions,
                                             headers={**headers, "Host": url.netloc.decode("ascii")})
        try:
            response = self._client.send(request, stream=True)
            try:
                return self._reply(target, response, deadline)
            finally:
                response.close()
        except httpx.TimeoutException as exc:
            raise _Retry(FetchTimeoutError(f"{_display(url)}: {type(exc).__name__}")) from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise _Retry(FetchError(f"{_display(url)}: {type(exc).__name__}: {exc}")) from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"{_display(url)}: {type(exc).__name__}: {exc}") from exc

    def _reply(self, target: _Target, response: httpx.Response, deadline: float) -> _Reply:
        status = response.status_code
        if status in RETRY_STATUSES:
            wait = _retry_after(response.headers.get("retry-after"), self.policy.max_retry_after)
            raise _Retry(_status_error(target.url, response), wait)
        if status == 304 or (status in REDIRECTS and "location" in response.headers):
            return _Reply(status, response.headers, b"")
        if not response.is_success:
            raise _status_error(target.url, response)
        return _Reply(status, response.headers, self._read(target.url, response, deadline))

    def _read(self, url: httpx.URL, response: httpx.Response, deadline: float) -> bytes:
        """The decoded body, refused past max_bytes (announced, raw or decoded) or past the deadline."""
        limit = self.policy.max_bytes
        too_large = ResponseTooLargeError(f"{_display(url)}: the body is larger than {limit} bytes")
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            raise too_large
        decoder = _Decoder(response.headers.get("content-encoding", ""))
        body, raw = bytearray(), 0
        try:
            for chunk in response.iter_raw():
                raw += len(chunk)
                for piece in decoder.feed(chunk):
                    body += piece
                    if len(body) > limit:
                        raise too_large
                if raw > limit:
                    raise too_large
                if self._clock() > deadline:
                    raise FetchTimeoutError(f"{_display(url)}: the body took longer than {self.policy.timeout:g} s")
            for piece in decoder.finish():
                body += piece
        except zlib.error as exc:
            raise FetchError(f"{_display(url)}: broken {decoder.coding} body: {exc}") from exc
        if len(body) > limit:
            raise too_large
        return bytes(body)
