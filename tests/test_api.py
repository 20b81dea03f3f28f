"""The JSON API of the dashboard (escwatch.web) over the bundled demo corpus."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from sqlalchemy import select

from conftest import Stores, store_at
from escwatch.analyse.context import Context
from escwatch.assess import alerts as al
from escwatch.assess import assess
from escwatch.assess.evidence import collect, observations
from escwatch.config import Settings
from escwatch.demo import corpus_files, run_demo
from escwatch.engine import ingest_docs
from escwatch.ingest.files import read_file
from escwatch.records import RawDoc
from escwatch.store.schema import analyst_actions, grade_overrides
from escwatch.web.app import create_app
from escwatch.web.security import CSP

TOKEN = "alice:s3cret-token-for-tests"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory, ctx: Context, stores: Stores) -> str:
    """The demo corpus ingested, grouped and assessed once for the module, with its alerts recorded."""
    tmp = tmp_path_factory.mktemp("api")
    db = stores.new("api")
    store = store_at(db)
    ingest_docs((d for f in corpus_files() for d in read_file(f)), store, ctx)
    run_demo(store, ctx, tmp / "b.md")
    al.record(store, al.evaluate(assess(store, ctx.pack), al.rules_from({})))
    store.close()
    return db


@pytest.fixture(scope="module")
def client(demo_db: str) -> Iterator[TestClient]:
    """A read-only app (no token) over the demo store."""
    with TestClient(create_app(Settings(db=str(demo_db)))) as c:
        yield c


@pytest.fixture()
def writable(demo_db: str, stores: Stores) -> Iterator[TestClient]:
    """An app with a token over a private copy of the demo store (actions change it)."""
    copy = stores.copy(demo_db)
    with TestClient(create_app(Settings(db=copy), token=TOKEN)) as c:
        yield c


def csrf(c: TestClient) -> dict[str, str]:
    value = c.get("/api/csrf").json()["csrf"]
    return {**BEARER, "X-CSRF-Token": value}


def is_error(r: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "hint"}
    assert body["error"]["code"] == (code or f"E{status}")
    assert "Traceback" not in r.text
    return dict(body["error"])


# -- reading -------------------------------------------------------------------------------------
def test_health(client: TestClient) -> None:
    body = client.get("/api/health").json()
    assert body["status"] == "ok" and body["reports"] == 27 and body["version"]


def test_overview(client: TestClient) -> None:
    body = client.get("/api/overview").json()
    assert set(body["hypotheses"]) == set(body["index"][0]["posteriors"])
    days = [p["day"] for p in body["index"]]
    assert days[0] == "2022-09-30" and days[-1] == "2022-10-26" and len(days) == 27
    assert all(abs(sum(p["posteriors"].values()) - 1) < 1e-6 for p in body["index"])
    assert 0 < len(body["alerts"]) <= 10 and all("deliveries" in a for a in body["alerts"])
    stories = body["stories"]
    assert 0 < len(stories) <= 10
    assert set(stories[0]) == {"id", "title", "size", "languages", "first_seen", "last_seen", "independent_origins"}
    ranks = [(-s["independent_origins"], -s["size"]) for s in stories]
    assert ranks == sorted(ranks)
    assert date.fromisoformat(stories[0]["first_seen"][:10])


def test_explain_adds_up(client: TestClient) -> None:
    body = client.get("/api/explain/2022-10-03").json()
    assert body["day"] == "2022-10-03" and body["contributions"]
    assert sum(c["value"] for c in body["contributions"]) == pytest.approx(body["index"])
    first = body["contributions"][0]
    assert {"weight", "reliability", "credibility", "baseline", "decay"} <= set(first)
    assert body["observations"][first["observation"]]["supports"][0]["sentence"]
    assert client.get("/api/explain/2022-10-03").json() == body  # cached, same answer


def test_explain_outside_the_range(client: TestClient) -> None:
    is_error(client.get("/api/explain/2021-01-01"), 404, "E301")
    is_error(client.get("/api/explain/not-a-day"), 422, "E422")


def test_hypotheses(client: TestClient) -> None:
    body = client.get("/api/hypotheses", params={"date": "2022-10-05"}).json()
    assert body["day"] == "2022-10-05" and body["matrix"] and body["discriminators"]
    assert set(body["labels"]) == set(body["posteriors"]) == set(body["inconsistency"])
    row = body["matrix"][0]
    assert set(row) == {"observation", "indicator", "story", "grade", "inside_routine_window", "likelihoods",
                        "marks", "diagnosticity"}
    assert client.get("/api/hypotheses").json()["day"] == "2022-10-26"


def test_stories_are_paged(client: TestClient) -> None:
    first = client.get("/api/stories", params={"size": 3}).json()
    assert first["total"] == 7 and first["page"] == 1 and first["size"] == 3 and len(first["items"]) == 3
    last = client.get("/api/stories", params={"size": 3, "page": 3}).json()
    assert len(last["items"]) == 1
    pages = [client.get("/api/stories", params={"size": 3, "page": p}).json()["items"] for p in (1, 2, 3)]
    ids = {s["id"] for items in pages for s in items}
    assert len(ids) == 7
    err = is_error(client.get("/api/stories", params={"size": 101}), 422, "E422")
    assert "size" in err["message"]


def test_story_detail(client: TestClient) -> None:
    top = client.get("/api/stories", params={"size": 1}).json()["items"][0]
    body = client.get(f"/api/stories/{top['id']}").json()
    assert body["story"]["id"] == top["id"] and len(body["members"]) == top["size"]
    assert body["graph"]["nodes"] and {"src", "dst", "kind", "report"} == set(body["graph"]["edges"][0])
    assert body["observations"] and all(o["story_id"] == top["id"] for o in body["observations"])
    is_error(client.get("/api/stories/s-000000000000"), 404, "E301")


def test_report_by_prefix(client: TestClient) -> None:
    member = client.get("/api/stories", params={"size": 1}).json()["items"][0]["id"]
    rid = client.get(f"/api/stories/{member}").json()["members"][0]["id"]
    body = client.get(f"/api/reports/{rid[:10]}").json()
    assert body["id"] == rid and body["text"] and body["raw_text"] and body["flags"] == []
    assert {"entities", "places", "claims", "indicators", "story"} <= set(body)
    is_error(client.get("/api/reports/ffffffffffff"), 404, "E301")
    is_error(client.get("/api/reports/%25"), 404, "E301")  # no LIKE wildcard reaches the store


def test_observations_have_places(client: TestClient) -> None:
    body = client.get("/api/observations", params={"indicator": "nuclear_weapons_movement", "size": 100}).json()
    assert body["total"] >= 1 and all(o["indicator"] == "nuclear_weapons_movement" for o in body["items"])
    placed = [p for o in body["items"] for p in o["places"]]
    assert placed and all(len(p) == 4 for p in placed) and any(p[2] is not None for p in placed)
    story = body["items"][0]["story_id"]
    assert all(o["story_id"] == story for o in client.get("/api/observations", params={"story": story[:8]})
               .json()["items"])
    assert client.get("/api/observations", params={"from": "2030-01-01"}).json()["total"] == 0


def test_alerts_are_paged(client: TestClient) -> None:
    body = client.get("/api/alerts", params={"size": 2}).json()
    assert body["total"] >= 1 and len(body["items"]) <= 2
    assert {"id", "rule", "kind", "day", "title", "payload", "deliveries"} <= set(body["items"][0])


# -- search --------------------------------------------------------------------------------------
def test_search_finds_a_word(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "Zaporizhzhia"}).json()
    assert body["total"] >= 1
    hit = body["items"][0]
    assert set(hit) == {"id", "title", "outlet", "language", "published", "snippet"}
    assert "zaporizhzhia" in (hit["title"] + hit["snippet"]).casefold()
    assert sum(body["facets"]["language"].values()) == body["total"]


def test_search_folds_case_and_diacritics(client: TestClient) -> None:
    assert client.get("/api/search", params={"q": "ПУТИН"}).json()["total"] >= 1
    assert client.get("/api/search", params={"q": "Poutine"}).json()["total"] >= 1


def test_search_facets_and_filters(client: TestClient) -> None:
    everything = client.get("/api/search").json()
    assert everything["total"] == 27
    langs = everything["facets"]["language"]
    assert langs["nl"] == 6 and sum(langs.values()) == 27
    assert everything["facets"]["indicator"] and "vladimir_putin" in everything["facets"]["entity"]
    dutch = client.get("/api/search", params={"language": "nl", "size": 100}).json()
    assert dutch["total"] == 6 and {i["language"] for i in dutch["items"]} == {"nl"}
    putin = client.get("/api/search", params={"entity": "vladimir_putin", "from": "2022-10-01",
                                              "to": "2022-10-31"}).json()
    assert 0 < putin["total"] < 27 and all(i["published"] >= "2022-10-01" for i in putin["items"])


@pytest.mark.parametrize("q", ['"NEAR( -- \' OR 1=1', "title:putin", "train*", "^a OR b", '"', "a\x00b", "-- ;"])
def test_search_syntax_is_just_words(client: TestClient, q: str) -> None:
    r = client.get("/api/search", params={"q": q})
    assert r.status_code == 200, r.text
    assert r.json()["total"] < 27


def test_nul_characters_match_nothing(client: TestClient) -> None:
    assert client.get("/api/search", params={"language": "\x00"}).json()["total"] == 0
    assert client.get("/api/observations", params={"indicator": "nuclear_exercise\x00"}).json()["total"] == 0
    is_error(client.get("/api/stories/%00"), 404, "E301")


# -- actions -------------------------------------------------------------------------------------
def test_actions_are_off_without_a_token(client: TestClient) -> None:
    err = is_error(client.post("/api/actions/note", json={"target": "story", "id": "x", "text": "hi"}), 403, "E700")
    assert err["message"] == "actions are disabled: start the server with --token"
    is_error(client.post("/api/actions/grade", content=b"not json"), 403, "E700")


def test_actions_need_the_bearer_token(writable: TestClient) -> None:
    headers = csrf(writable)
    r = writable.post("/api/actions/grade", json={"source": "Rybar", "reliability": "E"},
                      headers={**headers, "Authorization": "Bearer wrong"})
    is_error(r, 401, "E701")
    assert r.headers["www-authenticate"] == "Bearer"
    is_error(writable.post("/api/actions/grade", json={"source": "Rybar", "reliability": "E"},
                           headers={"X-CSRF-Token": headers["X-CSRF-Token"]}), 401, "E701")


def test_actions_need_the_csrf_token(writable: TestClient) -> None:
    body = {"source": "Rybar", "reliability": "E"}
    is_error(writable.post("/api/actions/grade", json=body, headers=BEARER), 403, "E702")
    writable.get("/api/csrf")
    is_error(writable.post("/api/actions/grade", json=body, headers={**BEARER, "X-CSRF-Token": "x" * 43}),
             403, "E702")


def test_csrf_cookie(client: TestClient) -> None:
    r = client.get("/api/csrf")
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"escwatch_csrf={r.json()['csrf']}") and "samesite=strict" in cookie.lower()
    assert "httponly" not in cookie.lower()


def test_grade_is_recorded(writable: TestClient, demo_db: str) -> None:
    r = writable.post("/api/actions/grade", json={"source": "Rybar", "reliability": "e", "note": "milblogger"},
                      headers=csrf(writable))
    assert r.status_code == 200, r.text
    action = r.json()["action"]
    assert r.json()["ok"] is True and action["actor"] == "alice" and action["kind"] == "grade"
    assert date.fromisoformat(action["created_at"][:10])
    store = writable.app.state.web.store  # type: ignore[attr-defined]
    with store.engine.connect() as conn:
        row = conn.execute(select(analyst_actions)).mappings().one()
        grade = conn.execute(select(grade_overrides)).mappings().one()
    assert row["actor"] == "alice" and row["created_at"] is not None and row["payload"]["reliability"] == "E"
    assert grade["source"] == "Rybar" and grade["reliability"] == "E" and grade["set_by"] == "alice"
    is_error(writable.post("/api/actions/grade", json={"source": "Rybar", "reliability": "Z"},
                           headers=csrf(writable)), 422, "E422")


def _single_report_contribution(body: dict[str, Any]) -> tuple[str, str]:
    """(observation, report) of a contribution that rests on one report only."""
    for c in body["contributions"]:
        sup = body["observations"][c["observation"]]["supports"]
        if c["value"] > 0 and len({s["report_id"] for s in sup}) == 1:
            return c["observation"], sup[0]["report_id"]
    raise AssertionError("no single-report contribution")


def test_a_flagged_report_leaves_the_assessment(writable: TestClient) -> None:
    before = writable.get("/api/explain/2022-10-03").json()
    overview = writable.get("/api/overview").json()
    obs, rid = _single_report_contribution(before)
    r = writable.post("/api/actions/flag", json={"target": "report", "id": rid[:12], "note": "fabricated"},
                      headers=csrf(writable))
    assert r.status_code == 200, r.text
    assert r.json()["action"]["target_id"] == rid
    after = writable.get("/api/explain/2022-10-03").json()
    assert obs not in after["observations"] and after["index"] < before["index"]
    assert all(s["report_id"] != rid for o in after["observations"].values() for s in o["supports"])
    assert writable.get("/api/overview").json()["index"] != overview["index"]  # the stored index is redone
    assert writable.get(f"/api/reports/{rid}").json()["flags"][0]["kind"] == "flag"


def test_a_flagged_observation_leaves_the_assessment(writable: TestClient) -> None:
    before = writable.get("/api/hypotheses").json()
    obs = before["matrix"][0]["observation"]
    r = writable.post("/api/actions/flag", json={"target": "observation", "id": obs}, headers=csrf(writable))
    assert r.status_code == 200, r.text
    assert obs not in {m["observation"] for m in writable.get("/api/hypotheses").json()["matrix"]}
    assert obs not in {o["id"] for o in writable.get("/api/observations", params={"size": 100}).json()["items"]}
    is_error(writable.post("/api/actions/flag", json={"target": "observation", "id": "o-nothing"},
                           headers=csrf(writable)), 404, "E301")


def test_notes(writable: TestClient) -> None:
    story = writable.get("/api/stories", params={"size": 1}).json()["items"][0]["id"]
    r = writable.post("/api/actions/note", json={"target": "story", "id": story, "text": "watch this"},
                      headers=csrf(writable))
    assert r.status_code == 200 and r.json()["action"]["payload"] == {"text": "watch this"}
    is_error(writable.post("/api/actions/note", json={"target": "story", "id": "s-nope", "text": "x"},
                           headers=csrf(writable)), 404, "E301")


def test_flags_reach_the_evidence(demo_db: str, ctx: Context) -> None:
    """collect() skips flagged reports, observations() flagged observations; defaults change nothing."""
    store = store_at(demo_db)
    supports = collect(store, ctx.pack)
    rid = supports[0].report_id
    assert all(s.report_id != rid for s in collect(store, ctx.pack, flagged_reports={rid}))
    every = observations(supports, ctx.pack)
    left = observations(supports, ctx.pack, flagged_observations={every[0].id})
    assert [o.id for o in left] == [o.id for o in every[1:]]
    store.close()


# -- errors and headers --------------------------------------------------------------------------
def test_security_headers(client: TestClient) -> None:
    for r in (client.get("/api/health"), client.get("/api/nothing"), client.get("/api/stories?size=0"),
              client.post("/api/actions/flag", json={})):
        assert r.headers["content-security-policy"] == CSP and "unsafe-inline" not in CSP
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer" and r.headers["x-frame-options"] == "DENY"


def test_unknown_route_is_json(client: TestClient) -> None:
    is_error(client.get("/api/nothing/here"), 404, "E404")
    is_error(client.get("/docs"), 404, "E404")
    r = client.delete("/api/health")
    is_error(r, 405, "E405")
    assert "GET" in r.headers["allow"]


def test_unexpected_errors_hide_details(demo_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from escwatch.web import api

    def boom(self: api.Web) -> None:
        raise RuntimeError("secret detail")

    app = create_app(Settings(db=str(demo_db)))
    monkeypatch.setattr(api.Web, "assessment", boom)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/api/explain/2022-10-03")
    is_error(r, 500, "E500")
    assert "secret" not in r.text and r.headers["x-frame-options"] == "DENY"


# -- the contract --------------------------------------------------------------------------------
GET_OPERATIONS = ["/api/health", "/api/csrf", "/api/overview", "/api/explain/{day}", "/api/hypotheses", "/api/stories",
                  "/api/stories/{story_id}", "/api/reports/{report_id}", "/api/observations", "/api/search",
                  "/api/alerts"]


@pytest.fixture(scope="module")
def api_schema(client: TestClient) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", client.app)


def test_contract_covers_every_get(api_schema: Any) -> None:
    found = {r.ok().path for r in api_schema.include(method="GET").get_all_operations()}
    assert found == set(GET_OPERATIONS)


@pytest.mark.parametrize("path", GET_OPERATIONS)
def test_contract(api_schema: Any, path: str) -> None:
    """Schemathesis' default checks on valid and invalid requests: documented statuses, content types and
    schemas, invalid input refused with 4xx, never a 5xx. (Strategies rather than ``schema.parametrize``:
    its lazy fixture loader does not run on pytest 9.)"""
    operation = api_schema[path]["GET"]
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=cases)
    @settings(max_examples=15, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    def check(case: Any) -> None:
        assert case.call_and_validate().status_code < 500

    check()


# -- the response cache ----------------------------------------------------------------------------
def test_cache_never_serves_stale_data(writable: TestClient, ctx: Context) -> None:
    """Answers are cached per data version: an action, an ingest by another connection and a write by
    another process all show on the very next request; ETag/304 follow the data."""
    from escwatch.web.cache import cache_stats

    app: Any = writable.app
    rid = writable.get("/api/search", params={"q": "Zaporizhzhia"}).json()["items"][0]["id"]
    first = writable.get(f"/api/reports/{rid}")
    assert first.json()["flags"] == [] and writable.get(f"/api/reports/{rid}").json() == first.json()
    hits = cache_stats(app)["hits"]
    assert hits >= 1  # the second answer came from the cache
    etag = first.headers["etag"]
    assert writable.get(f"/api/reports/{rid}", headers={"If-None-Match": etag}).status_code == 304
    # an analyst action through the API
    r = writable.post("/api/actions/note", json={"target": "report", "id": rid, "text": "seen"}, headers=csrf(writable))
    assert r.status_code == 200, r.text
    after = writable.get(f"/api/reports/{rid}", headers={"If-None-Match": etag})
    assert after.status_code == 200 and [f["kind"] for f in after.json()["flags"]] == ["note"]
    assert after.headers["etag"] != etag
    # a new report ingested by another connection (as `escwatch watch` does)
    health = writable.get("/api/health").json()["reports"]
    assert writable.get("/api/search", params={"q": "Cachecanary"}).json()["total"] == 0
    store = store_at(app.state.web.settings.db)
    doc = RawDoc("cache.txt", "txt", "Cachecanary: the defence ministry said a nuclear drill was held on Monday.",
                 {"published": "2022-10-20T08:00:00+00:00", "language": "en"})
    assert ingest_docs([doc], store, ctx).new == 1
    store.close()
    assert writable.get("/api/health").json()["reports"] == health + 1
    assert writable.get("/api/search", params={"q": "Cachecanary"}).json()["total"] == 1
    # a write by another process
    code = ("import sys; from escwatch.config import Settings; from escwatch.store import open_store; "
            "from escwatch.web import actions; s = open_store(Settings(db=sys.argv[1]).db_url); "
            "actions.note(s, 'report', sys.argv[2], 'from another process', 'carol'); s.close()")
    subprocess.run([sys.executable, "-c", code, app.state.web.settings.db, rid], check=True, timeout=120)
    flags = writable.get(f"/api/reports/{rid}").json()["flags"]
    assert [f["actor"] for f in flags] == ["alice", "carol"]
