"""Security review of the web app, one test per property: the token, CSRF, escaping in the real
dashboard (Debian's Chromium via Playwright), headers on every kind of response, path traversal,
SQL injection through every parameter, oversized input, Host header and methods.

A real uvicorn server on 127.0.0.1 serves a store holding reports we wrote with hostile titles, texts
and outlets; raw requests go over a plain socket so that no client normalises the path first.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from conftest import Stores, store_at
from escwatch.analyse.context import Context
from escwatch.config import Settings
from escwatch.engine import ingest_docs
from escwatch.records import RawDoc
from escwatch.store.schema import analyst_actions, reports
from escwatch.stories import update_stories
from escwatch.web.app import create_app
from escwatch.web.security import CSP

uvicorn = pytest.importorskip("uvicorn")

TOKEN = "bob:another-s3cret-for-security-tests"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
PAYLOADS = ('<script>window.__xss=1;alert(1)</script>', '<img src=x onerror="window.__xss=2;alert(2)">',
            '"><svg onload="window.__xss=3;alert(3)">')
BODY = ("Secprobe: the defence ministry said on Tuesday that nuclear forces held a drill at Plesetsk. {p} "
        "Officials said they had seen no change. The exercise was announced in advance.")
SQLI = ("' OR 1=1 --", '"; DROP TABLE reports; --', "NEAR(", "*", '"', "x' UNION SELECT sql FROM sqlite_master --",
        "%", "_", "\\", "1; DELETE FROM reports", "NEAR(a b", "a OR b", "reports_fts:*")


def hostile_docs() -> list[RawDoc]:
    return [RawDoc(f"sec-{i}.txt", "txt", BODY.format(p=p),
                   {"title": f"Secprobe {i} {p}", "outlet": f"Gazette {p}", "language": "en",
                    "published": f"2022-10-1{i}T09:00:00+00:00"}) for i, p in enumerate(PAYLOADS)]


@pytest.fixture(scope="module")
def sec_db(ctx: Context, stores: Stores) -> str:
    db = stores.new("sec")
    store = store_at(db)
    result = ingest_docs(hostile_docs(), store, ctx)
    assert result.new == len(PAYLOADS), result.as_dict()
    update_stories(store, ctx.pack)
    store.close()
    return db


@pytest.fixture(scope="module")
def server(sec_db: str) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    srv = uvicorn.Server(uvicorn.Config(create_app(Settings(db=sec_db), token=TOKEN, allowed_hosts=None),
                                        host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < deadline
        time.sleep(0.05)
    yield f"127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=15)


@pytest.fixture()
def client(sec_db: str) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db=sec_db), token=TOKEN)) as c:
        yield c


def raw(server: str, target: bytes, method: bytes = b"GET",
        host: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    """One request exactly as given (no client normalises the path); status, headers, body."""
    host_, port = server.rsplit(":", 1)
    with socket.create_connection((host_, int(port)), timeout=10) as s:
        s.sendall(method + b" " + target + b" HTTP/1.1\r\nHost: " + (host or server.encode()) +
                  b"\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    return int(lines[0].split()[1]), fields, body


def is_error(r: Any, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"} and body["error"]["code"] == code


def n_actions(db: str) -> int:
    store = store_at(db)
    with store.engine.connect() as conn:
        n = int(conn.execute(select(func.count()).select_from(analyst_actions)).scalar_one())
    store.close()
    return n


def some_report(client: TestClient) -> str:
    return str(client.get("/api/search", params={"q": "Secprobe"}).json()["items"][0]["id"])


# -- the token -------------------------------------------------------------------------------------
def test_actions_refused_without_or_with_a_wrong_token(client: TestClient, sec_db: str) -> None:
    csrf = client.get("/api/csrf").json()["csrf"]
    body = {"target": "report", "id": some_report(client), "text": "x"}
    for auth in (None, "Bearer", "Bearer ", "Bearer wrong", f"Bearer {TOKEN[:-1]}", f"Bearer {TOKEN}x",
                 f"Basic {TOKEN}", f"Bearer {TOKEN.upper()}", "Bearer \xe9".encode("latin-1")):
        headers: dict[str, Any] = {"X-CSRF-Token": csrf} | ({"Authorization": auth} if auth is not None else {})
        r = client.post("/api/actions/note", json=body, headers=headers)
        is_error(r, 401, "E701")
        assert r.headers["www-authenticate"] == "Bearer"
    assert n_actions(sec_db) == 0
    ok = client.post("/api/actions/note", json=body, headers={**BEARER, "X-CSRF-Token": csrf})
    assert ok.status_code == 200 and ok.json()["action"]["actor"] == "bob"


def test_token_comparison_is_constant_time() -> None:
    from escwatch.web import security

    source = Path(security.__file__).read_text()
    same = source[source.index("def same("):source.index("def check_action(")]
    assert "hmac.compare_digest(" in same and "==" not in same
    check = source[source.index("def check_action("):source.index("class ActionGuardMiddleware")]
    assert check.count("same(") == 2 and "==" not in check  # token and CSRF both via same()
    assert security.same(TOKEN, TOKEN) and not security.same(TOKEN, TOKEN[:-1]) and not security.same("", "")
    assert not security.same("é", "e")  # non-ASCII compares (as bytes) instead of raising


# -- CSRF --------------------------------------------------------------------------------------------
def test_csrf_double_submit(client: TestClient, sec_db: str) -> None:
    rid = some_report(client)
    body = {"target": "report", "id": rid, "note": "csrf probe"}
    before = n_actions(sec_db)
    is_error(client.post("/api/actions/flag", json=body, headers=BEARER), 403, "E702")  # no cookie, no header
    csrf = client.get("/api/csrf").json()["csrf"]
    is_error(client.post("/api/actions/flag", json=body, headers=BEARER), 403, "E702")  # cookie, no header
    wrong = csrf[:-1] + ("B" if csrf.endswith("A") else "A")  # never the token (1 in 16 ends in "A")
    is_error(client.post("/api/actions/flag", json=body, headers={**BEARER, "X-CSRF-Token": wrong}),
             403, "E702")  # mismatched
    client.cookies.clear()
    is_error(client.post("/api/actions/flag", json=body, headers={**BEARER, "X-CSRF-Token": csrf}),
             403, "E702")  # header without its cookie
    assert n_actions(sec_db) == before


def test_get_never_changes_state(client: TestClient, sec_db: str) -> None:
    rid = some_report(client)
    store = store_at(sec_db)
    with store.engine.connect() as conn:
        grades = conn.execute(text("SELECT count(*) FROM grade_overrides")).scalar_one()
    store.close()
    before = n_actions(sec_db)
    for path in ("/api/actions/grade?source=x&reliability=E", f"/api/actions/flag?target=report&id={rid}",
                 f"/api/actions/note?target=report&id={rid}&text=x"):
        for method in ("GET", "HEAD"):
            r = client.request(method, path, headers={**BEARER, "X-CSRF-Token": "x" * 43},
                               cookies={"escwatch_csrf": "x" * 43})
            assert r.status_code == 405, (method, path, r.status_code)
    assert n_actions(sec_db) == before
    store = store_at(sec_db)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM grade_overrides")).scalar_one() == grades
    store.close()


# -- escaping ----------------------------------------------------------------------------------------
def test_api_answers_are_json_never_html(client: TestClient) -> None:
    rid = some_report(client)
    for path in ("/api/search?q=Secprobe", f"/api/reports/{rid}", "/api/stories", "/api/nothing",
                 "/api/search?q=" + "x" * 600, "/api/reports/%3Cscript%3E"):
        r = client.get(path)
        assert r.headers["content-type"].startswith("application/json"), path
        assert r.headers["x-content-type-options"] == "nosniff"
    body = client.get(f"/api/reports/{rid}").json()
    assert any(p in body["title"] for p in PAYLOADS)  # stored and served as data, unchanged


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is not installed at /usr/bin/chromium")
def test_hostile_reports_render_inert(server: str, client: TestClient) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    hits = client.get("/api/search", params={"q": "Secprobe", "size": 10}).json()["items"]
    assert len(hits) == len(PAYLOADS)
    stories = client.get("/api/stories", params={"size": 50}).json()["items"]
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        dialogs: list[str] = []
        errors: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        paths = ["/search?q=Secprobe", *(f"/reports/{h['id']}" for h in hits),
                 *(f"/stories/{s['id']}" for s in stories), "/stories"]
        for path in paths:
            page.goto(f"http://{server}{path}")
            page.wait_for_selector("body[data-ready]", timeout=20_000)
            assert page.get_attribute("body", "data-ready") == "true", path
            assert page.evaluate("() => typeof window.__xss") == "undefined", path
            assert page.locator("main script, main img, main svg[onload], main [onerror], main [onload]").count() == 0
            shown = page.inner_text("main")
            if path.startswith(("/search", "/reports/")):
                assert any(p in shown for p in PAYLOADS), path  # the payload appears as text
            if path.startswith("/reports/"):
                assert page.locator("button.toggle").count() == 1
                page.click("button.toggle")  # the raw text too
                assert page.evaluate("() => typeof window.__xss") == "undefined"
        browser.close()
    assert not dialogs and not errors, (dialogs, errors)


# -- headers -----------------------------------------------------------------------------------------
def test_security_headers_on_every_kind_of_response(server: str) -> None:
    targets = [b"/", b"/map", b"/search", b"/stories/x", b"/reports/ab", b"/api/health", b"/api/overview",
               b"/api/stories?size=0", b"/api/nothing", b"/nothing", b"/static/app.js", b"/static/app.css",
               b"/static/favicon.svg", b"/static/missing.js", b"/static/../../etc/passwd", b"/api/csrf",
               b"/api/reports/zz", b"/api/explain/not-a-day"]
    for target in targets:
        for method in (b"GET", b"HEAD", b"DELETE", b"POST"):
            status, headers, _ = raw(server, target, method)
            assert headers.get("content-security-policy") == CSP, (method, target, status)
            assert "unsafe-inline" not in CSP and "unsafe-eval" not in CSP and "frame-ancestors 'none'" in CSP
            assert headers.get("x-content-type-options") == "nosniff", (method, target)
            assert headers.get("x-frame-options") == "DENY", (method, target)
            assert headers.get("referrer-policy") == "no-referrer", (method, target)
    status, headers, _ = raw(server, b"/api/health", b"GET")
    etag = headers["etag"].encode()
    host_, port = server.rsplit(":", 1)
    with socket.create_connection((host_, int(port)), timeout=10) as s:  # a 304 carries them too
        s.sendall(b"GET /api/health HTTP/1.1\r\nHost: " + server.encode() + b"\r\nIf-None-Match: " + etag +
                  b"\r\nConnection: close\r\n\r\n")
        answer = s.recv(65536).decode("latin-1")
    assert answer.startswith("HTTP/1.1 304") and "x-frame-options: deny" in answer.lower()


# -- path traversal ------------------------------------------------------------------------------------
TRAVERSALS = [b"/static/../../etc/passwd", b"/static/../../../../../../etc/passwd", b"/static/..%2f..%2fetc%2fpasswd",
              b"/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd", b"/static/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
              b"/static/%252e%252e%252fetc%252fpasswd", b"/static//etc/passwd", b"/static/%2fetc%2fpasswd",
              b"/static/....//....//etc/passwd", b"/static/..\\..\\etc\\passwd", b"/static/app.js%00.png",
              b"/static/%00", b"/static/..%00/etc/passwd", b"//etc/passwd", b"/static/%c0%ae%c0%ae/etc/passwd",
              b"/static/../../src/escwatch/web/security.py", b"/static/../security.py", b"/static/../api.py",
              b"/static/%2e%2e/api.py", b"/static/%2e%2e%2fapi.py", b"/static/file:///etc/passwd",
              b"/stories/..%2f..%2f..%2fetc%2fpasswd", b"/reports/../../etc/passwd"]


@pytest.mark.parametrize("target", TRAVERSALS, ids=[t.decode() for t in TRAVERSALS])
def test_no_path_traversal(server: str, target: bytes) -> None:
    status, headers, body = raw(server, target)
    assert b"root:" not in body and b"import " not in body and b"def " not in body, body[:200]
    if target.startswith((b"/stories/", b"/reports/")):
        assert status in (200, 404)  # a page shell (the id is read by the script) or not found
        assert b"<script src=\"/static/app.js\"" in body or status == 404
    else:
        assert status == 404, (target, status, body[:200])
    assert headers.get("x-content-type-options") == "nosniff"


# -- SQL injection -------------------------------------------------------------------------------------
def store_fingerprint(db: str) -> tuple[Any, ...]:
    store = store_at(db)
    with store.engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(reports)).scalar_one()
        tables = sorted(conn.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'table'" if store.engine.dialect.name == "sqlite" else
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars())
        sqlite = store.engine.dialect.name == "sqlite"
        ok = conn.execute(text("PRAGMA integrity_check")).scalar_one() if sqlite else "ok"
    store.close()
    return n, tuple(tables), ok


def test_sql_injection_through_every_parameter(client: TestClient, sec_db: str) -> None:
    assert client.get("/api/search", params={"q": "Secprobe"}).json()["total"] == len(PAYLOADS)  # index made
    before = store_fingerprint(sec_db)
    assert before[0] == len(PAYLOADS) and before[2] == "ok"
    lists = {"/api/search": ("q", "language", "outlet", "indicator", "entity", "from", "to", "page", "size"),
             "/api/observations": ("indicator", "story", "from", "to", "page", "size"),
             "/api/stories": ("page", "size"), "/api/alerts": ("page", "size"), "/api/hypotheses": ("date",)}
    for path, params in lists.items():
        for name in params:
            for payload in SQLI:
                r = client.get(path, params={name: payload})
                assert r.status_code in (200, 404, 422), (path, name, payload, r.text)
                assert r.headers["content-type"].startswith("application/json")
                body = r.json()
                if r.status_code == 200:
                    if path == "/api/search" and name != "q":
                        assert body["total"] == 0, (name, payload)  # a filter value that matches nothing
                    if path == "/api/search" and name == "q":
                        assert body["total"] < len(PAYLOADS), payload  # never "everything"
                else:
                    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "hint"}
                    assert "Traceback" not in r.text and "sqlite" not in r.text.lower()
    for payload in SQLI:
        quoted = payload.replace("%", "%25").replace("/", "%2F").replace("\\", "%5C").replace('"', "%22")
        for path in (f"/api/stories/{quoted}", f"/api/reports/{quoted}", f"/api/explain/{quoted}"):
            r = client.get(path)
            assert r.status_code in (404, 422), (path, r.text)
            assert set(r.json()) == {"error"}
    assert store_fingerprint(sec_db) == before


SQL_CALL = re.compile(r"(?:text|exec_driver_sql|execute|executescript)\(\s*"
                      r"(f[\"']|[\"'][^\"']*[\"']\s*(?:%|\+|\.format))")


def test_every_sql_statement_is_parameterised() -> None:
    """No SQL built from values: no f-string, %-formatting, + or .format in the first argument of text(),
    execute() or exec_driver_sql() anywhere in the package."""
    assert SQL_CALL.search('conn.execute(f"DROP TABLE {t}")') and SQL_CALL.search('text("SELECT " + x)')
    assert SQL_CALL.search('c.exec_driver_sql("SELECT %s" % x)') and not SQL_CALL.search('text("SELECT :x")')
    root = Path(__file__).resolve().parents[1] / "src" / "escwatch"
    found = [f"{p.relative_to(root)}:{i}: {line.strip()}" for p in root.rglob("*.py")
             for i, line in enumerate(p.read_text().splitlines(), 1) if SQL_CALL.search(line)]
    assert not found, found
    web = "\n".join(p.read_text() for p in (root / "web").glob("*.py"))
    assert "bindparams(" in web and "fts5_query(" in web  # the FTS5 query is bound, its terms quoted


# -- oversized input, Host, methods ----------------------------------------------------------------------
def test_oversized_parameters_are_refused(client: TestClient, server: str) -> None:
    for params in ({"q": "x" * 501}, {"language": "x" * 201}, {"outlet": "x" * 10_000}, {"page": "9" * 50},
                   {"size": "1000"}):
        r = client.get("/api/search", params=params)
        is_error(r, 422, "E422")
        assert "x" * 50 not in r.text  # the input is not echoed back
    for n in (8_000, 60_000, 200_000):  # refused by the app (422) or by the HTTP parser (4xx or a closed connection)
        try:
            status = raw(server, b"/api/search?q=" + b"a" * n)[0]
        except ConnectionError:
            status = 0
        assert status in (0, 400, 413, 414, 422, 431), (n, status)
    assert raw(server, b"/api/health")[0] == 200  # and the server still serves


def test_host_header_is_checked(sec_db: str) -> None:
    app = create_app(Settings(db=sec_db), allowed_hosts=["127.0.0.1", "localhost", "[::1]"])
    with TestClient(app, base_url="http://127.0.0.1") as c:
        assert c.get("/api/health").status_code == 200
        assert c.get("/api/health", headers={"Host": "localhost:8000"}).status_code == 200
        for host in ("evil.example", "127.0.0.1.evil.example", "localhost.evil.example:80"):
            r = c.get("/api/health", headers={"Host": host})  # DNS rebinding: a page of evil.example
            is_error(r, 400, "E400")
            assert r.headers["x-frame-options"] == "DENY"


def test_serve_binds_loopback_and_warns_otherwise(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from escwatch.cli import app
    from escwatch.cli_web import allowed_hosts

    ran: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda application, **kw: ran.append({"app": application, **kw}))
    monkeypatch.delenv("ESCWATCH_TOKEN", raising=False)
    db = str(tmp_path / "serve.db")
    res = CliRunner().invoke(app, ["--db", db, "serve", "--port", "8124"])
    assert res.exit_code == 0 and ran[-1]["host"] == "127.0.0.1" and "warning" not in res.output
    res = CliRunner().invoke(app, ["--db", db, "serve", "--host", "0.0.0.0", "--token", "t"])
    assert res.exit_code == 0 and "in clear" in res.output
    assert set(allowed_hosts("127.0.0.1")) >= {"127.0.0.1", "localhost"} and allowed_hosts("0.0.0.0") is None


def test_wrong_methods_are_refused(client: TestClient) -> None:
    for method, path in (("DELETE", "/api/health"), ("PUT", "/api/stories"), ("POST", "/api/search"),
                         ("PATCH", "/api/overview"), ("POST", "/"), ("DELETE", "/static/app.js")):
        r = client.request(method, path)
        assert r.status_code == 405, (method, path, r.status_code)
        if path.startswith("/api/"):
            is_error(r, 405, "E405")


def test_several_workers_share_the_port_and_refuse_a_taken_one(tmp_path: Path, sec_db: str) -> None:
    """``serve --workers 2``: both processes answer on one port (SO_REUSEPORT); a second server is refused
    the same port instead of silently sharing it."""
    import http.client
    import subprocess
    import sys
    import urllib.request

    import psutil

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    cmd = [sys.executable, "-m", "escwatch", "--db", sec_db, "serve", "--port", str(port), "--workers", "2"]
    env = {k: v for k, v in os.environ.items() if k != "ESCWATCH_TOKEN"}
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=5) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.3)
        def listening() -> set[int]:
            return {c.pid for c in psutil.Process(server.pid).children()
                    for conn in c.net_connections("tcp") if conn.status == "LISTEN" and conn.laddr.port == port}

        while len(listening()) < 2 and time.monotonic() < deadline:  # the second may start later
            time.sleep(0.3)
        assert len(listening()) == 2
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)  # one keep-alive connection
        times = []
        for _ in range(21):
            t0 = time.perf_counter()
            conn.request("GET", "/api/health")
            assert conn.getresponse().read()
            times.append(time.perf_counter() - t0)
        conn.close()
        assert min(times) < 0.03, times  # never the ~40 ms delayed-ACK floor (TCP_NODELAY on the workers' sockets)
        second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        assert second.returncode == 1 and "cannot listen" in second.stdout + second.stderr
        status, headers, _ = raw(f"127.0.0.1:{port}", b"/api/health", host=b"evil.example")
        assert status == 400 and headers["x-frame-options"] == "DENY"  # the loopback default: own names only
    finally:
        server.terminate()
        server.wait(30)
