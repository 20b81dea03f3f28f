"""Web security: headers on every response, the JSON error shape, and the guard of analysts' actions.

Actions (every non-safe request under ``/api/actions/``) are refused with 403 E700 when the server
has no token. With a token they need ``Authorization: Bearer <token>`` (else 401 E701) and the
double-submit CSRF token: ``GET /api/csrf`` sets the cookie ``escwatch_csrf`` and returns its value,
which the page echoes in the ``X-CSRF-Token`` header (else 403 E702). Secrets are compared with
``hmac.compare_digest``. A token ``NAME:SECRET`` records actions as NAME; any other as "analyst".
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from escwatch.errors import EscwatchError

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "X-Frame-Options": "DENY"}
CSRF_COOKIE = "escwatch_csrf"
CSRF_HEADER = "X-CSRF-Token"
ACTIONS_PREFIX = "/api/actions/"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DEFAULT_ACTOR = "analyst"
_CSRF_SHAPE = re.compile(r"[A-Za-z0-9_-]{32,128}")


class WebError(EscwatchError):
    """An error of the web layer, answered with ``status``."""

    code = "E700"
    status = 403


class ActionsDisabledError(WebError):
    code = "E700"
    status = 403
    hint = "actions need a token: `escwatch serve --token SECRET` (the dashboard is read-only without one)"


class UnauthorizedError(WebError):
    code = "E701"
    status = 401
    hint = "send the server's token as `Authorization: Bearer <token>`"


class CSRFError(WebError):
    code = "E702"
    status = 403
    hint = "GET /api/csrf first and send its value in the X-CSRF-Token header"


def error_body(code: str, message: str, hint: str | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "hint": hint or None}}


def error_response(status: int, code: str, message: str, hint: str | None = None,
                   headers: Mapping[str, str] | None = None) -> JSONResponse:
    """The one error shape, with the security headers (also for responses made outside the middleware)."""
    return JSONResponse(error_body(code, message, hint), status_code=status, headers={**HEADERS, **(headers or {})})


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP response (a handler's own values win)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k.lower().encode(), v.encode()) for k, v in HEADERS.items() if k.lower().encode() not in have]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)


def host_name(value: str) -> str:
    """The name of a Host header value, without its port, lower case ("[::1]" stays bracketed)."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[:value.find("]") + 1] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class HostGuardMiddleware:
    """Answers 400 E400 to a request whose Host is not one of ``allowed`` (on a loopback server: its own
    names), so that a web page whose domain is made to resolve to 127.0.0.1 (DNS rebinding) cannot read
    the store through the visitor's browser. A request without Host (HTTP/1.0 tools) passes."""

    def __init__(self, app: ASGIApp, allowed: frozenset[str]) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"host"), None)
            if host is not None and host_name(host) not in self.allowed:
                hint = "open the dashboard by the address the server was started on"
                await error_response(400, "E400", "invalid Host header", hint)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def actor_of(token: str) -> str:
    """Who acts with this token: NAME of ``NAME:SECRET``, else "analyst"."""
    name, sep, _ = token.partition(":")
    name = name.strip()
    return name[:80] if sep and name else DEFAULT_ACTOR


def same(a: str | None, b: str | None) -> bool:
    """Constant-time equality of two secrets (False when either is missing)."""
    if not a or not b:
        return False
    return hmac.compare_digest(a.encode(), b.encode())


def check_action(request: Request, token: str | None) -> str:
    """The actor of an action request, or the WebError that refuses it."""
    if token is None:
        raise ActionsDisabledError("actions are disabled: start the server with --token")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not same(given.strip(), token):
        raise UnauthorizedError("a valid bearer token is required for actions")
    if not same(request.headers.get(CSRF_HEADER), request.cookies.get(CSRF_COOKIE)):
        raise CSRFError("missing or wrong CSRF token")
    return actor_of(token)


class ActionGuardMiddleware:
    """Refuses non-safe requests under /api/actions/ that ``check_action`` does not allow; puts the actor
    in ``request.state.actor`` for the others. Runs before the body is read or validated."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS or not scope["path"].startswith(ACTIONS_PREFIX):
            await self.app(scope, receive, send)
            return
        try:
            actor = check_action(Request(scope), self.token)
        except WebError as exc:
            extra = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
            await error_response(exc.status, exc.code, exc.message, exc.hint, extra)(scope, receive, send)
            return
        scope.setdefault("state", {})["actor"] = actor
        await self.app(scope, receive, send)


def csrf_value(request: Request) -> str:
    """The CSRF secret of this browser: its cookie when it has a well-formed one, else a new one."""
    have = request.cookies.get(CSRF_COOKIE)
    return have if have and _CSRF_SHAPE.fullmatch(have) else secrets.token_urlsafe(32)


def set_csrf_cookie(response: Response, value: str) -> None:
    # readable by the page's script (double submit); Strict keeps other sites from sending it at all
    response.set_cookie(CSRF_COOKIE, value, httponly=False, samesite="strict", path="/")
