"""The web application: ``create_app(settings, token)`` wires the API, the error shape and the security.

Every error answers ``{"error": {"code", "message", "hint"}}``: escwatch errors with their own code
(not found 404, bad input or config 400, the web layer's own status, else 500), invalid parameters
422 "E422", HTTP errors (unknown route, wrong method) "E<status>", anything unexpected 500 "E500"
without details. Without a token the app is read-only (see ``escwatch.web.security``). Read answers
are cached per data version of the store (``escwatch.web.cache``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from escwatch import __version__
from escwatch.config import Settings
from escwatch.errors import ConfigError, EscwatchError, InputError, NotFoundError
from escwatch.web import api
from escwatch.web.cache import ResponseCache
from escwatch.web.security import (
    ActionGuardMiddleware,
    HostGuardMiddleware,
    SecurityHeadersMiddleware,
    WebError,
    error_response,
    host_name,
)

log = logging.getLogger(__name__)
THREADS = 8
_CREDENTIALS = re.compile(r"://[^/@\s]+@")


def status_of(exc: EscwatchError) -> int:
    if isinstance(exc, WebError):
        return exc.status
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, ConfigError | InputError):
        return 400
    return 500


async def on_escwatch_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, EscwatchError)
    status = status_of(exc)
    message = exc.message
    if status >= 500:
        log.error("%s %s: %s", request.method, request.url.path, exc)
        message = _CREDENTIALS.sub("://***@", message)  # a store URL may carry a password
    return error_response(status, exc.code, message, exc.hint)


async def on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}"
                         for e in exc.errors())  # never the input itself
    return error_response(422, "E422", problems or "invalid request", "see /openapi.json for the parameters")


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    return error_response(exc.status_code, f"E{exc.status_code}", str(exc.detail), None, exc.headers)


async def on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(500, "E500", "internal server error", "the server log has the details")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(EscwatchError, on_escwatch_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected)


def create_app(settings: Settings, token: str | None = None, allowed_hosts: Sequence[str] | None = None) -> FastAPI:
    """The dashboard's app over the store of ``settings``; analysts' actions only with a ``token``; with
    ``allowed_hosts``, requests for any other Host are refused (see ``HostGuardMiddleware``)."""
    web = api.Web(settings, token or None)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # few threads: handlers are mostly Python (one GIL), and 40 threads only queue for it longer
        anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
        yield
        web.close()

    app = FastAPI(title="escwatch", version=__version__, docs_url=None, redoc_url=None, lifespan=lifespan,
                  description="Escalation Watch: the assessment, stories, reports and search as JSON.")
    app.state.web = web
    app.include_router(api.router)
    install_error_handlers(app)
    app.add_middleware(ResponseCache, web=web)  # innermost of ours: answers only what the guard lets through
    app.add_middleware(ActionGuardMiddleware, token=web.token)
    if allowed_hosts is not None:
        app.add_middleware(HostGuardMiddleware, allowed=frozenset(host_name(h) for h in allowed_hosts))
    app.add_middleware(SecurityHeadersMiddleware)  # added last: outermost, so every response gets the headers
    try:
        from escwatch.web.pages import mount_pages
    except ImportError:  # the pages are optional
        pass
    else:
        mount_pages(app)
    return app


def app_from_env() -> FastAPI:
    """The app for a server process started by name (``escwatch serve --workers N``): settings from the
    ESCWATCH_* environment, the token from ESCWATCH_TOKEN, allowed Host names from ESCWATCH_ALLOWED_HOSTS
    (comma-separated; unset: any)."""
    import os

    from escwatch.config import load_settings

    hosts = os.environ.get("ESCWATCH_ALLOWED_HOSTS")
    return create_app(load_settings(), token=os.environ.get("ESCWATCH_TOKEN") or None,
                      allowed_hosts=hosts.split(",") if hosts else None)
