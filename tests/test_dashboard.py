"""End-to-end tests of the web dashboard in Debian's Chromium, driven by Playwright.

A real uvicorn server runs on 127.0.0.1 over a store built from the bundled demo corpus (plus one
hostile report), with an actions token. Every page is opened in the browser; any request that is not
for the local server is blocked and recorded, and console errors (CSP violations included) fail the
test. Screenshots go to test-artifacts/screenshots/<page>.png.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("Debian's Chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the test extra's playwright is not installed")
uvicorn = pytest.importorskip("uvicorn")

from escwatch.analyse.context import Context  # noqa: E402
from escwatch.assess import alerts, assess  # noqa: E402
from escwatch.config import load_settings  # noqa: E402
from escwatch.demo import corpus_files, run_demo  # noqa: E402
from escwatch.engine import ingest_docs  # noqa: E402
from escwatch.ingest.files import read_file  # noqa: E402
from escwatch.records import RawDoc  # noqa: E402
from escwatch.store import open_store  # noqa: E402

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TOKEN = "dashboard-test-token"
SHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
TIMEOUT = 20_000

SCRIPT = '<script>window.__xss=1</script>'
IMG = '<img src=x onerror="window.__xss=2">'
XSS_TEXT = (f"Xsscanary: the Russian defence ministry said on Wednesday that strategic nuclear forces held a drill "
            f"near Plesetsk. {SCRIPT} Officials in Washington said they had seen no change. {IMG} "
            "The exercise was announced in advance, the ministry said.")
XSS_TITLE = f'Xsscanary drill {IMG}'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, ctx: Context, stores: Any) -> Iterator[str]:
    from escwatch.web.app import create_app

    tmp = tmp_path_factory.mktemp("dashboard")
    settings = load_settings(db=stores.new("dashboard"))
    store = open_store(settings.db_url)
    hostile = RawDoc("xss-test.txt", "txt", XSS_TEXT, {"title": XSS_TITLE, "outlet": "XSS Gazette", "language": "en",
                                                       "published": "2022-10-12T09:00:00+00:00"})
    docs = chain.from_iterable(read_file(p) for p in corpus_files())
    result = ingest_docs(chain(docs, [hostile]), store, ctx)
    assert result.new > 10 and not result.failed, result.as_dict()
    run_demo(store, ctx, tmp / "brief.md")
    # raise the default alerts as `escwatch alerts` does
    raised = alerts.record(store, alerts.evaluate(assess(store, ctx.pack), alerts.rules_from({})))
    assert raised
    store.close()

    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(settings, token=TOKEN), host="127.0.0.1", port=port,
                                        log_level="warning"))
    thread = threading.Thread(target=srv.run, name="dashboard-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the dashboard server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=15)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


@dataclass
class Tab:
    page: Any
    base: str
    external: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def open(self, path: str) -> Any:
        self.page.goto(self.base + path)
        self.page.wait_for_selector("body[data-ready]", timeout=TIMEOUT)
        shown = self.page.inner_text("main")
        assert self.page.get_attribute("body", "data-ready") == "true", shown
        assert not re.search(r"\b(null|undefined|NaN)\b|\[object Object\]", shown), "a missing value was printed"
        return self.page

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

    def count(self, selector: str) -> int:
        return int(self.page.locator(selector).count())

    def assert_clean(self, allowed: str | None = None) -> None:
        assert not self.external, f"requests outside the local server were attempted: {self.external}"
        errors = [e for e in self.errors if not (allowed and re.search(allowed, e))]
        assert not errors, f"console errors: {errors}"


@pytest.fixture()
def tab(browser: Any, server: str) -> Iterator[Tab]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    t = Tab(page, server)

    def route(r: Any) -> None:
        if urlsplit(r.request.url).hostname in LOCAL_HOSTS or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            t.external.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page.on("console", lambda msg: t.errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: t.errors.append(f"uncaught: {exc}"))
    yield t
    context.close()


def _get(url: str) -> tuple[str, dict[str, str]]:
    with urllib.request.urlopen(url, timeout=10) as resp:  # the local test server only
        return resp.read().decode(), dict(resp.headers)


@pytest.mark.parametrize("path", ["/", "/map", "/stories", "/stories/x%3Cscript%3E", "/reports/%22%3E%3Cimg%3E",
                                  "/hypotheses", "/search"])
def test_page_shells_have_no_inline_code(server: str, path: str) -> None:
    html, headers = _get(server + path)
    assert "script-src 'self'" in headers["content-security-policy"]
    assert '<script src="/static/app.js" defer></script>' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline script"
    assert not re.search(r"<style|\sstyle=|\son\w+=", html), "inline style or handler"
    assert "<img" not in html and "x<script" not in html  # nothing from the path is embedded
    assert re.search(r'<link rel="stylesheet" href="/static/app.css">', html)


def test_static_assets_are_packaged(server: str) -> None:
    js, headers = _get(server + "/static/app.js")
    assert "javascript" in headers["content-type"]
    assert not re.search(r"\.(inner|outer)HTML\s*=|\.insertAdjacentHTML\(|\beval\(|new Function\(|document\.write", js)
    world, _ = _get(server + "/static/world-110m.json")
    assert world.count('"Feature"') > 150
    notice, _ = _get(server + "/static/NOTICE.md")
    assert "Natural Earth" in notice and "public domain" in notice


def test_overview(tab: Tab) -> None:
    page = tab.open("/")
    assert tab.count("#index-chart svg circle.pt") > 3
    assert tab.count("#posterior-chart svg path.line") >= 2
    assert tab.count("ul.alerts li.alert") > 0
    assert tab.count("table.stories tbody tr") > 0
    assert tab.count("table.stories a[href^='/stories/']") > 0
    page.wait_for_selector(".explain table tbody tr")  # the peak day is explained on load
    box = page.locator("#index-chart rect.overlay").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] / 2)  # hover a day
    page.wait_for_selector(".tooltip:not([hidden]) ol.toplist li")
    assert "index" in page.inner_text(".tooltip")
    page.mouse.move(0, 0)
    page.wait_for_selector(".tooltip[hidden]", state="attached")
    page.locator("#index-chart svg circle.pt").nth(2).focus()  # the keyboard gets the same tooltip
    page.wait_for_selector(".tooltip:not([hidden]) ol.toplist li")
    page.locator("#index-chart svg circle.pt").nth(2).press("Enter")  # and pins the day's explanation
    day = page.get_attribute("#index-chart svg circle.pt >> nth=2", "data-day")
    page.wait_for_function("d => document.querySelector('.explain h3').textContent.endsWith(d)", arg=day)
    tab.shot("overview")
    tab.assert_clean()


def test_map_draws_countries_and_filters(tab: Tab) -> None:
    page = tab.open("/map")
    assert tab.count("svg.map path.country") > 150
    before = tab.count("svg.map circle.obs")
    assert before > 0
    tab.shot("map")
    options = page.eval_on_selector_all("select[name=indicator] option", "os => os.map(o => o.value)")
    counts = {}
    for value in [v for v in options if v]:
        page.select_option("select[name=indicator]", value)
        page.wait_for_function("v => location.search.includes('indicator=' + v)", arg=value)
        page.wait_for_function("() => !document.querySelector('.summary').textContent.startsWith('Loading')")
        counts[value] = tab.count("svg.map circle.obs")
        assert counts[value] <= before
        if counts[value] != before:
            break
    assert any(n != before for n in counts.values()), f"the indicator filter changed nothing: {counts}"
    page.select_option("select[name=indicator]", "")
    page.wait_for_function(f"() => document.querySelectorAll('svg.map circle.obs').length === {before}")
    page.locator("svg.map circle.obs").first.dispatch_event("click")
    page.wait_for_selector(".detail ul.supports li")
    tab.assert_clean()


def test_stories_story_and_report(tab: Tab) -> None:
    page = tab.open("/stories")
    assert tab.count("#story-list table tbody tr") > 0
    assert "page 1 of" in page.inner_text(".pager")
    tab.shot("stories")
    page.locator("#story-list table tbody tr a").first.click()
    page.wait_for_url(re.compile(r"/stories/[^/]+$"))
    page.wait_for_selector("body[data-ready=true]")
    assert tab.count("table.members tbody tr") > 0
    assert tab.count("svg.graph g.node") > 0
    assert tab.count("svg.graph g.edge") > 0
    assert tab.count("#grade-form select[name=reliability] option") == 6
    tab.shot("story")
    page.locator("table.members tbody tr a[href^='/reports/']").first.click()
    page.wait_for_url(re.compile(r"/reports/[^/]+$"))
    page.wait_for_selector("body[data-ready=true]")
    assert tab.count("#report-text span.hl") > 0
    mods = page.eval_on_selector_all("#report-text span.hl-claim", "ss => ss.map(s => s.className)")
    assert mods and all(re.search(r"\bmod-(asserted|reported|hedged|speculative|denied)\b", c) for c in mods)
    assert tab.count("#report-text span.hl-entity, #report-text span.hl-place") > 0
    page.click("button.toggle")
    assert page.is_visible("#raw-text") and not page.is_visible("#report-text")
    page.click("button.toggle")
    assert page.is_visible("#report-text")
    tab.shot("report")
    tab.assert_clean()


def test_unknown_story_shows_the_api_error(tab: Tab) -> None:
    tab.page.goto(tab.base + "/stories/no-such-story")
    tab.page.wait_for_selector("body[data-ready=error]")
    assert "no story" in tab.page.inner_text("main .error")
    tab.assert_clean(allowed=r"status of 404")


def test_hypotheses(tab: Tab) -> None:
    page = tab.open("/hypotheses")
    assert tab.count("ul.bars li") >= 2
    assert tab.count("table.ach tbody tr") > 1
    assert tab.count("table.ach tr.inconsistency") == 1
    assert re.search(r"\b(CC|C|N|I|II)\b", page.inner_text("table.ach"))
    tab.shot("hypotheses")
    tab.assert_clean()


def test_search_with_language_facet(tab: Tab) -> None:
    page = tab.open("/search")
    page.fill("input[name=q]", "Steadfast")  # the NATO exercise: reported in Dutch, English and Polish
    page.click("#search-form button[type=submit]")
    page.wait_for_function("() => location.search.includes('q=Steadfast')")
    page.wait_for_selector("ol.results li.result")
    total = int(page.inner_text("#results .summary").split()[0])
    langs = page.eval_on_selector_all("select[name=language] option", "os => os.map(o => o.value).filter(Boolean)")
    assert len(langs) >= 2, langs
    lang = langs[-1]
    page.select_option("select[name=language]", lang)
    page.wait_for_function("l => location.search.includes('language=' + l)", arg=lang)
    page.wait_for_selector("ol.results li.result")
    narrowed = int(page.inner_text("#results .summary").split()[0])
    assert 0 < narrowed < total
    shown = page.eval_on_selector_all("ol.results .lang", "ss => ss.map(s => s.textContent)")
    assert shown and set(shown) == {lang}
    after = page.eval_on_selector_all("select[name=language] option", "os => os.map(o => o.value).filter(Boolean)")
    assert set(after) == set(langs)  # the other languages stay offered
    assert page.input_value("input[name=q]") == "Steadfast"
    tab.shot("search")
    tab.assert_clean()


def _report_url(tab: Tab, q: str) -> str:
    page = tab.open(f"/search?q={q}")
    page.wait_for_selector("ol.results li.result a")
    return str(page.get_attribute("ol.results li.result a", "href"))


def test_analyst_flag_needs_the_token(tab: Tab) -> None:
    page = tab.open(_report_url(tab, "Plesetsk"))
    page.evaluate("() => sessionStorage.clear()")
    page.fill("#flag-form textarea[name=note]", "wrong place")
    page.click("#flag-form button[type=submit]")
    page.wait_for_selector("#flag-form .status .error")
    assert "token" in page.inner_text("#flag-form .status .error").lower()
    page.fill("input.token", TOKEN)
    page.click("#flag-form button[type=submit]")
    page.wait_for_selector("#flag-form .status .ok")
    assert page.evaluate("() => sessionStorage.getItem('escwatch.token')") == TOKEN
    page.fill("#note-form textarea[name=text]", "checked against the ministry's site")
    page.click("#note-form button[type=submit]")
    page.wait_for_selector("#note-form .status .ok")
    tab.shot("report-actions")
    tab.assert_clean(allowed=r"status of 401")  # the refused request is logged by the browser


def test_grade_override_on_story_page(tab: Tab) -> None:
    page = tab.open("/stories")
    page.locator("#story-list table tbody tr a").first.click()
    page.wait_for_selector("body[data-ready=true]")
    page.fill("input.token", TOKEN)
    source = page.eval_on_selector_all("#grade-sources option", "os => os.map(o => o.value)")
    assert source
    page.fill("#grade-form input[name=source]", source[0])
    page.select_option("#grade-form select[name=reliability]", "B")
    page.click("#grade-form button[type=submit]")
    page.wait_for_selector("#grade-form .status .ok")
    tab.assert_clean()


def test_hostile_report_is_shown_as_text(tab: Tab) -> None:
    page = tab.open("/search?q=Xsscanary")
    page.wait_for_selector("ol.results li.result")
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    assert IMG in page.inner_text("ol.results")  # the title, as text
    assert tab.count("ol.results img, ol.results script") == 0
    page.locator("ol.results li.result a").first.click()
    page.wait_for_url(re.compile(r"/reports/"))
    page.wait_for_selector("body[data-ready=true]")
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    text = page.inner_text("#report-text")
    assert SCRIPT in text and IMG in text
    assert IMG in page.inner_text("h1")
    assert tab.count("main img, main script") == 0
    page.click("button.toggle")
    assert SCRIPT in page.inner_text("#raw-text")
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    tab.shot("report-xss")
    tab.assert_clean()


def test_external_requests_are_never_attempted(tab: Tab) -> None:
    for path in ("/", "/map", "/stories", "/hypotheses", "/search?q=nuclear"):
        tab.open(path)
        with contextlib.suppress(Exception):
            tab.page.wait_for_load_state("networkidle", timeout=5000)
    tab.assert_clean()


def test_serve_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from escwatch.cli import app
    from escwatch.cli_web import is_loopback, resolve_token

    ran: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda application, **kw: ran.append({"app": application, **kw}))
    monkeypatch.delenv("ESCWATCH_TOKEN", raising=False)
    runner = CliRunner()
    db = str(tmp_path / "serve.db")
    res = runner.invoke(app, ["--db", db, "serve", "--port", "8123"])
    assert res.exit_code == 0, res.output
    assert ran[-1]["host"] == "127.0.0.1" and ran[-1]["port"] == 8123
    assert "read-only" in res.output and "warning" not in res.output
    res = runner.invoke(app, ["--db", db, "serve", "--host", "0.0.0.0"])
    assert res.exit_code == 0 and "without a token" in res.output
    monkeypatch.setenv("ESCWATCH_TOKEN", "from-env")
    res = runner.invoke(app, ["--db", db, "serve"])
    assert "actions enabled" in res.output
    assert resolve_token(None, {"web": {"token": "from-config"}}) == "from-env"
    assert resolve_token("flag", {}) == "flag"
    monkeypatch.delenv("ESCWATCH_TOKEN")
    assert resolve_token(None, {"web": {"token": "from-config"}}) == "from-config"
    assert resolve_token(None, {}) is None
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.0.2.1")
