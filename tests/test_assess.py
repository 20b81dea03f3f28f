"""Assessment on reports written by the team: baselines, copies, denials, explanations, alerts."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from typer.testing import CliRunner

from conftest import store_at
from escwatch.assess import Scope, assess
from escwatch.assess import alerts as al
from escwatch.assess.baseline import in_window, matches
from escwatch.assess.grading import credibility
from escwatch.assess.hypotheses import ach, discriminators
from escwatch.cli import app
from escwatch.engine import ingest_docs
from escwatch.records import RawDoc
from escwatch.stories import update_stories

TRAIN = (
    "A train of Russia's 12th Main Directorate, the unit that guards and moves nuclear warheads, was filmed "
    "near Sergiyev Posad on Tuesday carrying armoured vehicles westwards, Reuters reported. The defence ministry "
    "did not comment on the movement of the nuclear munitions."
)
DENIAL = (
    "Reuters later withdrew the account: the agency said it had no evidence that nuclear warheads were moved "
    "and denied that a train of the 12th Main Directorate had transported nuclear munitions."
)
OUTLETS = ["Reuters", "BBC News", "The Guardian", "Le Monde", "Der Spiegel", "NOS", "Meduza", "TVN24",
           "Ukrainska Pravda", "Deutsche Welle"]


def _doc(name: str, text: str, outlet: str, when: datetime) -> RawDoc:
    return RawDoc(name, "txt", text, {"outlet": outlet, "published": when.isoformat(), "url": f"https://x.test/{name}"})


def _fill(store, ctx, docs: list[RawDoc]) -> None:  # type: ignore[no-untyped-def]
    ingest_docs(docs, store, ctx)
    update_stories(store, ctx.pack)


def test_calendar_windows_and_words(ctx) -> None:  # type: ignore[no-untyped-def]
    assert in_window(date(2022, 10, 20), {"from": "10-10", "to": "10-31"})
    assert in_window(date(2023, 1, 5), {"from": "12-01", "to": "03-31"})  # wraps over the new year
    assert not in_window(date(2023, 7, 10), {"from": "12-01", "to": "03-31"})
    found = matches(date(2022, 10, 26), "nuclear_exercise", ctx.pack.calendar)
    assert found[0].entry == "grom" and found[0].known_date == "2022-10-26"  # a listed past date comes first
    assert "10 Oct – 31 Oct" in found[0].words
    assert matches(date(2022, 7, 10), "nuclear_weapons_movement", ctx.pack.calendar) == []


def test_credibility_from_independent_origins_and_modality() -> None:
    assert credibility({"a": "asserted", "b": "asserted", "c": "asserted"}, [])[0] == 1
    assert credibility({"a": "asserted"}, [])[0] == 3
    assert credibility({"a": "hedged"}, [])[0] == 4  # a hedged "reportedly" counts less than an asserted fact
    assert credibility({"a": "reported", "b": "reported"}, [])[0] == 3
    assert credibility({"a": "asserted"}, ["a"])[0] == 5  # the only source took it back
    assert credibility({"a": "asserted", "b": "asserted"}, ["c"])[0] == 4  # a denial counts against
    assert credibility({}, [])[0] == 6


def test_inside_the_grom_window_weighs_less_than_in_july(stores, ctx) -> None:  # type: ignore[no-untyped-def]
    results = {}
    for label, when in (("october", datetime(2023, 10, 24, 9, tzinfo=UTC)),
                        ("july", datetime(2023, 7, 11, 9, tzinfo=UTC))):
        store = store_at(stores.new(label))
        _fill(store, ctx, [_doc(label, TRAIN, "Reuters", when)])
        a = assess(store, ctx.pack)
        day = a.on(when.date())
        move = next(c for c in day.contributions if c.observation.indicator == "nuclear_weapons_movement")
        results[label] = (day.index, move, day.posteriors)
    (oct_index, oct_move, oct_post), (jul_index, jul_move, jul_post) = results["october"], results["july"]
    assert oct_move.observation.inside and not jul_move.observation.inside
    assert "Grom" in oct_move.observation.baseline_text or "autumn" in oct_move.observation.baseline_text
    assert oct_move.value < jul_move.value and oct_index < jul_index
    assert oct_post["routine"] > jul_post["routine"]  # inside the window routine explains it better


def test_ten_copies_of_one_origin_move_the_index_no_more_than_one(stores, ctx) -> None:  # type: ignore[no-untyped-def]
    when = datetime(2023, 7, 11, 9, tzinfo=UTC)
    one = store_at(stores.new("one"))
    _fill(one, ctx, [_doc("c0", TRAIN, OUTLETS[0], when)])
    ten = store_at(stores.new("ten"))
    copies = [_doc(f"c{i}", TRAIN.replace("was filmed", "was filmed" + " early" * i), OUTLETS[i],
                   when + timedelta(hours=i)) for i in range(10)]
    _fill(ten, ctx, copies)
    a1, a10 = assess(one, ctx.pack), assess(ten, ctx.pack)
    d1, d10 = a1.on(when.date()), a10.on(when.date())
    mv10 = [c for c in d10.contributions if c.observation.indicator == "nuclear_weapons_movement"]
    assert len(mv10) == 1  # one observation, supported by all ten reports
    assert len({s.report_id for s in mv10[0].observation.supports}) == 10
    assert len(mv10[0].observation.origins) == 1
    assert d10.index <= d1.index + 1e-9


def test_a_denial_from_the_same_source_lowers_the_index(fresh_db, ctx) -> None:  # type: ignore[no-untyped-def]
    when = datetime(2023, 7, 11, 9, tzinfo=UTC)
    _fill(fresh_db, ctx, [_doc("claim", TRAIN, "Reuters", when)])
    before = assess(fresh_db, ctx.pack).on(when.date()).index
    _fill(fresh_db, ctx, [_doc("denial", f"{TRAIN}\n\n{DENIAL}", "Reuters", when + timedelta(hours=5))])
    a = assess(fresh_db, ctx.pack)
    day = a.on(when.date())
    move = next(c.observation for c in day.contributions if c.observation.indicator == "nuclear_weapons_movement")
    assert move.denials, move.credibility_reason
    assert day.index < before


def test_explanation_adds_up_and_reaches_sentences(fresh_db, ctx) -> None:  # type: ignore[no-untyped-def]
    when = datetime(2023, 7, 11, 9, tzinfo=UTC)
    _fill(fresh_db, ctx, [_doc("a", TRAIN, "Reuters", when),
                          _doc("b", "Vladimir Putin warned that Russia would use nuclear weapons to defend its "
                                    "territory, the Kremlin said on Wednesday.", "BBC News", when + timedelta(days=1))])
    a = assess(fresh_db, ctx.pack)
    for d in a.days:
        assert abs(sum(c.value for c in d.contributions) - d.index) < 1e-9
        for c in d.contributions:
            assert c.value == pytest.approx(c.weight * c.reliability * c.credibility * c.baseline * c.decay)
            for s in c.observation.supports:
                rep = fresh_db.get_report(s.report_id)
                assert rep.text[s.start:s.end] == s.sentence  # down to the sentence, by offsets
    later = a.days[-1]
    assert {c.observation.indicator for c in later.contributions} >= {"nuclear_weapons_movement", "nuclear_rhetoric"}
    rows, inconsistency = ach(a.model, later.observations, later.day)
    assert rows and all(r.diagnosticity >= 1.0 for r in rows)
    assert set(inconsistency) == set(a.model.hypotheses)
    assert len(discriminators(a.model, later.observations, later.day)) == 3
    assert Scope("US").covers(rows[0].observation) is False


class _Hook(BaseHTTPRequestHandler):
    calls: ClassVar[list[tuple[str, str]]] = []
    fail_first = 1

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        type(self).calls.append((self.headers["Idempotency-Key"], body))
        code = 500 if len(type(self).calls) <= type(self).fail_first else 200
        self.send_response(code)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def hook() -> Iterator[str]:
    _Hook.calls = []
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/hook"
    srv.shutdown()
    srv.server_close()


def test_alerts_are_raised_once_and_delivered_once(fresh_db, ctx, hook, tmp_path) -> None:  # type: ignore[no-untyped-def]
    when = datetime(2023, 7, 11, 9, tzinfo=UTC)
    _fill(fresh_db, ctx, [_doc("a", TRAIN, "Reuters", when)])
    a = assess(fresh_db, ctx.pack)
    rules = al.rules_from({"alerts": {"rules": [{"name": "high", "kind": "index_above", "threshold": 0.5},
                                                {"name": "new", "kind": "new_indicator"}]}})
    raised = al.evaluate(a, rules)
    assert {x.kind for x in raised} == {"index_above", "new_indicator"}
    assert al.record(fresh_db, raised) and al.record(fresh_db, al.evaluate(a, rules)) == []  # same ids: not again
    channels = al.channels_from({"alerts": {"channels": [
        {"name": "desk", "kind": "webhook", "url": hook, "backoff": 0.01},
        {"name": "log", "kind": "file", "path": str(tmp_path / "alerts.jsonl")}]}})
    first = al.dispatch(fresh_db, channels)
    assert {d["status"] for d in first} == {"sent"}
    again = al.dispatch(fresh_db, channels)
    assert again == []  # each alert reaches each channel once
    keys = [k for k, _ in _Hook.calls]
    assert len(keys) == len(raised) + 1  # one 500, retried with the same key
    assert keys[0] == keys[1] == raised[0].id
    lines = (tmp_path / "alerts.jsonl").read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(x)["id"] for x in lines) == sorted(x.id for x in raised)


def test_failed_delivery_is_retried_on_the_next_run(fresh_db, ctx, hook) -> None:  # type: ignore[no-untyped-def]
    _Hook.fail_first = 100
    try:
        _fill(fresh_db, ctx, [_doc("a", TRAIN, "Reuters", datetime(2023, 7, 11, 9, tzinfo=UTC))])
        a = assess(fresh_db, ctx.pack)
        al.record(fresh_db, al.evaluate(a, al.rules_from({})))
        chan = [{"name": "desk", "kind": "webhook", "url": hook, "retries": 1, "backoff": 0.01}]
        assert {d["status"] for d in al.dispatch(fresh_db, chan)} == {"failed"}
        _Hook.fail_first = 0
        assert {d["status"] for d in al.dispatch(fresh_db, chan)} == {"sent"}
        assert al.dispatch(fresh_db, chan) == []
    finally:
        _Hook.fail_first = 1


def test_cli_assess_explain_hypotheses_backtest(tmp_path, db_url) -> None:  # type: ignore[no-untyped-def]
    db = db_url
    r = CliRunner().invoke(app, ["demo", "--db", db, "--brief", str(tmp_path / "b.md"), "--json"])
    assert r.exit_code == 0, r.output
    runner = CliRunner()
    got = json.loads(runner.invoke(app, ["--db", db, "assess", "--json"]).stdout)
    days = {d["day"]: d for d in got["days"]}
    assert "2022-10-03" in days and days["2022-10-03"]["index"] > days["2022-09-30"]["index"]
    ex = json.loads(runner.invoke(app, ["--db", db, "explain", "2022-10-03", "--json"]).stdout)
    assert ex["index"] == pytest.approx(sum(c["value"] for c in ex["contributions"]))
    assert ex["index"] == pytest.approx(days["2022-10-03"]["index"])
    hy = json.loads(runner.invoke(app, ["--db", db, "hypotheses", "--json"]).stdout)
    assert set(hy["posteriors"]) == {"routine", "coercive_signal", "preparation"}
    assert hy["matrix"] and hy["discriminators"]
    # the seed analyst's reasoning: the train and the exercises alone are likelier routine (autumn RVSN
    # training, Grom in October), while the whole picture of that week leans to coercive signalling
    train = next(s["id"] for s in json.loads(runner.invoke(app, ["--db", db, "stories", "--json"]).stdout)
                 if "train" in (s["title"] or "").lower())
    forces = json.loads(runner.invoke(app, ["--db", db, "hypotheses", "--story", train, "--theme", "forces",
                                            "--date", "2022-10-04", "--json"]).stdout)
    assert max(forces["posteriors"], key=forces["posteriors"].get) == "routine"
    assert all(r["inside_routine_window"] for r in forces["matrix"])
    bt = runner.invoke(app, ["--db", db, "backtest", "--from", "2022-10-01", "--to", "2022-10-10"])
    assert bt.exit_code == 0 and "alerts would have been raised" in bt.stdout
    bad = runner.invoke(app, ["--db", db, "explain", "03-10-2022"])
    assert bad.exit_code != 0


def test_analyst_grade_override_changes_the_weight(fresh_db, ctx) -> None:  # type: ignore[no-untyped-def]
    from escwatch.assess.persist import overrides, set_grade

    when = datetime(2023, 7, 11, 9, tzinfo=UTC)
    _fill(fresh_db, ctx, [_doc("a", TRAIN, "Reuters", when)])
    base = assess(fresh_db, ctx.pack, overrides=overrides(fresh_db, {}))
    move = next(o for o in base.days[-1].observations if o.indicator == "nuclear_weapons_movement")
    assert move.reliability == "B"  # the pack's grade for Reuters
    set_grade(fresh_db, "reuters", "E", by="tester", note="test")
    graded = assess(fresh_db, ctx.pack, overrides=overrides(fresh_db, {"assess": {"grades": {"Other": "A"}}}))
    moved = next(o for o in graded.days[-1].observations if o.indicator == "nuclear_weapons_movement")
    assert moved.reliability == "E" and graded.days[-1].index < base.days[-1].index
