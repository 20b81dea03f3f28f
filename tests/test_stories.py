"""Stories and provenance on reports written by the team."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from escwatch.cli import app
from escwatch.engine import ingest_docs
from escwatch.records import RawDoc
from escwatch.stories import graph, list_stories, provenance, update_stories
from escwatch.stories.minhash import signature, similarity

DAY = datetime(2022, 10, 3, 9, tzinfo=UTC)

TIMES = (
    "A train belonging to Russia's 12th Main Directorate, the unit in charge of nuclear munitions, was filmed "
    "in central Russia heading west, according to a video first posted on a pro-Russian Telegram channel. "
    "Konrad Muzyka said the movement could be a signal to the West but was more likely linked to exercises."
)
COPY = TIMES.replace("was filmed", "has been filmed").replace("more likely", "most likely")
NL = (
    "Bron: The Times\n\nEen trein van het 12de directoraat van het Russische ministerie van Defensie, dat de "
    "nucleaire munitie beheert, is gefilmd in centraal Rusland. De trein reed naar het westen, meldt The Times. "
    "Analist Konrad Muzyka denkt aan oefeningen."
)
DE = (
    "Laut der Times wurde ein Zug der 12. Hauptdirektion des russischen Verteidigungsministeriums, die für "
    "Atomwaffen zuständig ist, in Zentralrussland gefilmt. Der Analyst Konrad Muzyka hält Übungen für wahrscheinlich."
)
FOOTBALL = (
    "Ajax beat PSV 3-1 on Sunday evening in Amsterdam. Two goals after the break decided the derby, "
    "and the home side now leads the league by four points."
)


def _doc(name: str, text: str, outlet: str, when: datetime) -> RawDoc:
    return RawDoc(name, "txt", text, {"outlet": outlet, "published": when.isoformat(), "url": f"https://x.test/{name}"})


def _ingest(store, ctx, docs):  # type: ignore[no-untyped-def]
    ingest_docs(docs, store, ctx)
    return update_stories(store, ctx.pack)


def test_minhash_sees_light_edits() -> None:
    assert similarity(signature(TIMES), signature(COPY)) > 0.6
    assert similarity(signature(TIMES), signature(FOOTBALL)) < 0.1


def test_copies_and_translations_join_one_story(fresh_db, ctx) -> None:  # type: ignore[no-untyped-def]
    _ingest(
        fresh_db,
        ctx,
        [
            _doc("times", TIMES, "The Times", DAY),
            _doc("copy", COPY, "The Sun", DAY + timedelta(hours=3)),
            _doc("nl", NL, "Het Nieuwsblad", DAY + timedelta(hours=5)),
            _doc("de", DE, "Tagesschau", DAY + timedelta(hours=8)),
            _doc("ball", FOOTBALL, "NOS", DAY + timedelta(hours=6)),
        ],
    )
    reps = {r.url: r for r in fresh_db.iter_reports()}
    assert reps["https://x.test/times"].story == reps["https://x.test/copy"].story
    assert reps["https://x.test/nl"].story == reps["https://x.test/times"].story
    assert reps["https://x.test/de"].story == reps["https://x.test/times"].story
    assert reps["https://x.test/ball"].story != reps["https://x.test/times"].story
    _, g = graph(fresh_db, ctx.pack, reps["https://x.test/times"].story)
    kinds = {(s.split(":")[0], d.split(":")[0], k) for s, d, k, _ in g.edges}
    assert ("report", "report", "copy_of") in kinds  # the Sun's copy points at the Times original
    assert ("report", "outlet", "cites") in kinds  # the Dutch report cites The Times


def test_echo_is_one_origin(fresh_db, ctx) -> None:  # type: ignore[no-untyped-def]
    _ingest(
        fresh_db,
        ctx,
        [
            _doc("times", TIMES, "The Times", DAY),
            _doc("nl", NL, "Het Nieuwsblad", DAY + timedelta(hours=5)),
            _doc("de", DE, "Tagesschau", DAY + timedelta(hours=8)),
        ],
    )
    row = list_stories(fresh_db)[0]
    assert row["size"] == 3
    # the Dutch and German reports rest on The Times, which rests on the Telegram video: one origin
    assert row["independent_origins"] == 1, row["origins"]


def test_same_owner_is_not_independent(ctx) -> None:  # type: ignore[no-untyped-def]
    origins = [
        {"node": "outlet:the_times", "label": "The Times", "owner": "News UK"},
        {"node": "outlet:the_sun", "label": "The Sun", "owner": "News UK"},
        {"node": "outlet:reuters", "label": "Reuters", "owner": "Thomson Reuters"},
    ]
    assert provenance.independent(origins) == 2


def test_adding_a_report_touches_only_its_story(fresh_db, ctx) -> None:  # type: ignore[no-untyped-def]
    _ingest(fresh_db, ctx, [_doc("times", TIMES, "The Times", DAY), _doc("ball", FOOTBALL, "NOS", DAY)])
    res = _ingest(fresh_db, ctx, [_doc("nl", NL, "Het Nieuwsblad", DAY + timedelta(hours=5))])
    assert res == {"reports": 1, "stories_touched": 1, "merged": 0}
    again = update_stories(fresh_db, ctx.pack)
    assert again["reports"] == 0  # idempotent: nothing left to do


def test_cli_stories_and_story(tmp_path, db_url: str) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "r.jsonl"
    f.write_text(
        "\n".join(
            json.dumps({"text": t, "outlet": o, "published": d.isoformat(), "url": f"https://x.test/{i}"})
            for i, (t, o, d) in enumerate(
                [(TIMES, "The Times", DAY), (NL, "NOS", DAY + timedelta(hours=2)), (FOOTBALL, "AD", DAY)]
            )
        ),
        encoding="utf-8",
    )
    db = db_url
    runner = CliRunner()
    assert runner.invoke(app, ["--db", db, "ingest", str(f)]).exit_code == 0
    rows = json.loads(runner.invoke(app, ["--db", db, "stories", "--json"]).stdout)
    assert [r["size"] for r in rows] == [2, 1]
    res = runner.invoke(app, ["--db", db, "story", rows[0]["id"], "--dot", str(tmp_path / "g.dot")])
    assert res.exit_code == 0, res.output
    assert "independent origins" in res.output and "cites" in res.output
    assert (tmp_path / "g.dot").read_text().startswith("digraph")
    exported = [
        json.loads(x) for x in runner.invoke(app, ["--db", db, "export", "--what", "stories"]).stdout.splitlines()
    ]
    assert {e["id"] for e in exported} == {r["id"] for r in rows}
