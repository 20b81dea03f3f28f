"""CLI command of the web dashboard: ``escwatch serve``.

Registered on the main app by ``escwatch.cli`` (imported at its end)."""

from __future__ import annotations

import ipaddress
import os
from typing import Annotated, Any

import typer

from escwatch.cli import State, app, console, out

TOKEN_ENV = "ESCWATCH_TOKEN"


def config_token(extra: dict[str, Any]) -> str | None:
    """``web.token`` of the config file: a ``[web]`` table or a dotted key."""
    web = extra.get("web")
    if isinstance(web, dict) and web.get("token"):
        return str(web["token"])
    value = extra.get("web.token")
    return str(value) if value else None


def resolve_token(flag: str | None, extra: dict[str, Any]) -> str | None:
    """The actions token: --token, else $ESCWATCH_TOKEN, else the config's web.token; None = read-only."""
    for value in (flag, os.environ.get(TOKEN_ENV), config_token(extra)):
        if value and value.strip():
            return value.strip()
    return None


def is_loopback(host: str) -> bool:
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to bind (loopback by default)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port", min=0, max=65535)] = 8000,
    token: Annotated[str | None, typer.Option(
        help=f"token that allows analysts' actions (grade, flag, note) [default: ${TOKEN_ENV} or config "
             "web.token; without one the dashboard is read-only]")] = None,
    workers: Annotated[int, typer.Option(help="server processes (one per core serves more clients)", min=1)] = 1,
) -> None:
    """Serve the web dashboard and its JSON API (works offline: every asset ships with escwatch)."""
    import uvicorn

    from escwatch.web.app import create_app

    secret = resolve_token(token, State.settings.extra)
    if not is_loopback(host):
        if secret is None:
            console.print(f"[yellow]warning[/] binding {host} without a token: anyone who can reach this address "
                          "can read the whole store (actions stay disabled). Bind 127.0.0.1 or set a token.")
        else:
            console.print(f"[yellow]warning[/] binding {host}: the token travels in clear over plain HTTP; "
                          "put a TLS proxy in front for use beyond this machine.")
    shown = f"[{host}]" if ":" in host else host
    out.print(f"escwatch dashboard on http://{shown}:{port}/  "
              f"({'actions enabled with the token' if secret else 'read-only: no token'}); Ctrl+C stops it")
    if workers == 1:
        uvicorn.run(create_app(State.settings, token=secret), host=host, port=port, log_level="warning")
        return
    # several processes: each builds the app from the environment (uvicorn imports it by name)
    os.environ.update({"ESCWATCH_DB": State.settings.db, "ESCWATCH_PACKS": os.pathsep.join(State.settings.packs)})
    if secret:
        os.environ[TOKEN_ENV] = secret
    uvicorn.run("escwatch.web.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                log_level="warning")
