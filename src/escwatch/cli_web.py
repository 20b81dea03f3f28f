"""CLI command of the web dashboard: ``escwatch serve``.

Registered on the main app by ``escwatch.cli`` (imported at its end)."""

from __future__ import annotations

import ipaddress
import os
import socket
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


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def allowed_hosts(host: str, extra: list[str] | None = None) -> list[str] | None:
    """The Host names a server bound to ``host`` answers: on loopback its own names (and ``extra``), so a
    page of another site resolving to 127.0.0.1 cannot read the store; elsewhere ``extra`` or any."""
    if is_loopback(host):
        own = f"[{host.strip('[]')}]" if ":" in host else host
        return [*LOOPBACK_NAMES, own, *(extra or [])]
    return list(extra) if extra else None


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to bind (loopback by default)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port", min=0, max=65535)] = 8000,
    token: Annotated[str | None, typer.Option(
        help=f"token that allows analysts' actions (grade, flag, note) [default: ${TOKEN_ENV} or config "
             "web.token; without one the dashboard is read-only]")] = None,
    workers: Annotated[int, typer.Option(help="server processes (one per core serves more clients)", min=1)] = 1,
    allow_host: Annotated[list[str] | None, typer.Option(
        help="a Host name the server answers besides its own (repeatable; a loopback server answers only "
             "127.0.0.1, localhost and [::1] by default)")] = None,
) -> None:
    """Serve the web dashboard and its JSON API (works offline: every asset ships with escwatch)."""
    import uvicorn

    from escwatch.web.app import create_app

    secret = resolve_token(token, State.settings.extra)
    if not is_loopback(host):
        if secret is None:
            console.print(f"[yellow]warning[/] binding {host} without a token: anyone who can reach this address "
                          "can read the whole store (actions stay disabled). Bind 127.0.0.1 or set a token; "
                          "--allow-host NAME limits the Host names it answers.")
        else:
            console.print(f"[yellow]warning[/] binding {host}: the token travels in clear over plain HTTP; "
                          "put a TLS proxy in front for use beyond this machine.")
    shown = f"[{host}]" if ":" in host else host
    out.print(f"escwatch dashboard on http://{shown}:{port}/  "
              f"({'actions enabled with the token' if secret else 'read-only: no token'}); Ctrl+C stops it")
    hosts = allowed_hosts(host, allow_host)
    if workers == 1:
        uvicorn.run(create_app(State.settings, token=secret, allowed_hosts=hosts), host=host, port=port,
                    log_level="warning")
        return
    # several processes: each builds the app from the environment
    os.environ.update({"ESCWATCH_DB": State.settings.db, "ESCWATCH_PACKS": os.pathsep.join(State.settings.packs)})
    if secret:
        os.environ[TOKEN_ENV] = secret
    if hosts:
        os.environ["ESCWATCH_ALLOWED_HOSTS"] = ",".join(hosts)
    if hasattr(socket, "SO_REUSEPORT"):
        supervise(host, port, workers)
        return
    uvicorn.run("escwatch.web.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                log_level="warning")


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A listening socket with SO_REUSEPORT: the kernel spreads new connections over every process that
    listens on the port (one shared socket lets whichever process wakes first accept them all)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted sockets only then (without it every
    # answer waited ~40 ms for the client's delayed ACK)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host.strip("[]"), port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def worker_main(host: str, port: int) -> None:
    """One server process of ``serve --workers N`` (app from the environment, port shared)."""
    import uvicorn

    from escwatch.web.app import app_from_env

    sock = reuse_port_socket(host, port)
    uvicorn.Server(uvicorn.Config(app_from_env(), log_level="warning")).run(sockets=[sock])


def supervise(host: str, port: int, workers: int) -> None:
    """Run ``workers`` server processes on one port; restart one that dies; stop them all on a signal."""
    import signal
    import subprocess
    import sys
    import time

    # the port must be free (SO_REUSEPORT would otherwise share it with another server of this user);
    # port 0: every process must listen on the same port, so pick one now
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as exc:
            console.print(f"[red]error[/] cannot listen on {host}:{port}: {exc.strerror}")
            raise typer.Exit(1) from None
        port = int(probe.getsockname()[1])
    code = f"from escwatch.cli_web import worker_main; worker_main({host!r}, {port})"
    procs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(workers)]
    started = [time.monotonic()] * workers
    stopping = False

    def stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while not stopping:
            for i, p in enumerate(procs):
                if p.poll() is not None:
                    if time.monotonic() - started[i] < 10:  # it cannot start (port taken, bad store): give up
                        console.print(f"[red]error[/] server process {p.pid} exited ({p.returncode}) on start")
                        raise typer.Exit(1)
                    console.print(f"[yellow]warning[/] server process {p.pid} exited ({p.returncode}): restarting")
                    procs[i], started[i] = subprocess.Popen([sys.executable, "-c", code]), time.monotonic()
            time.sleep(0.5)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
