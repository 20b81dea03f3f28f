"""Telegram Desktop channel exports and GDELT 2.0 files."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from escwatch.ingest.gdelt import MAX_BAD_LINES, GdeltItem, detect_kind, read_gdelt
from escwatch.ingest.telegram import is_telegram_export, read_telegram_export, telegram_docs
from escwatch.parse import parse
from escwatch.records import ErrorRecord, RawDoc

FIX = Path(__file__).parent / "fixtures"
TG = FIX / "telegram" / "result.json"
GD = FIX / "gdelt"
EVENTS = GD / "20221002141500.export.CSV"
MENTIONS = GD / "20221002141500.mentions.CSV"
GKG = GD / "20221002141500.gkg.csv"
GKG_ZIP = GD / "20221002141500.gkg.csv.zip"


def _docs(items: list[RawDoc | ErrorRecord]) -> dict[int, RawDoc]:
    return {d.meta["message_id"]: d for d in items if isinstance(d, RawDoc)}


def _errors(items: list[object]) -> list[ErrorRecord]:
    return [e for e in items if isinstance(e, ErrorRecord)]


def _urls(items: list[GdeltItem | ErrorRecord]) -> list[str]:
    return [i.url for i in items if isinstance(i, GdeltItem)]


# ---------------------------------------------------------------- Telegram


def test_telegram_one_doc_per_post_with_text() -> None:
    items = list(read_telegram_export(TG))
    docs = _docs(items)
    assert sorted(docs) == [102, 103, 104, 108]  # service 101 and photo-only 105 skipped silently
    assert all(d.kind == "txt" and d.meta["kind_detail"] == "telegram" for d in docs.values())
    assert docs[102].source == "telegram:example-defence-watch/102"
    assert docs[102].meta["outlet"] == docs[102].meta["channel"] == "Example Defence Watch"
    assert docs[102].meta["title"] == "Strategic forces exercise announced"
    assert len(docs[108].meta["title"]) == 120
    json.dumps([dict(d.meta) for d in docs.values()])  # meta stays JSON-serialisable


def test_telegram_flattens_list_text_and_collects_links() -> None:
    doc = _docs(list(read_telegram_export(TG)))[103]
    assert doc.content == ("Full statement: https://www.example.org/statements/2022-10-02\n"
                           "Analysis here: no change in readiness #deterrence")
    assert doc.meta["links"] == ["https://www.example.org/statements/2022-10-02",
                                 "https://example.com/analysis/posture"]
    assert _docs(list(read_telegram_export(TG)))[102].meta["links"] == []


def test_telegram_forwarded_from_and_parse_keeps_it() -> None:
    docs = _docs(list(read_telegram_export(TG)))
    assert docs[104].meta["forwarded_from"] == "Example Border News"
    assert "forwarded_from" not in docs[102].meta
    rep = parse(docs[104])
    assert rep.forwarded_from == "Example Border News"
    assert parse(docs[103]).links == ("https://www.example.org/statements/2022-10-02",
                                      "https://example.com/analysis/posture")


def test_telegram_published_in_utc_unixtime_wins() -> None:
    docs = _docs(list(read_telegram_export(TG)))
    # "date" 16:05:11 is the exporter's local time; date_unixtime 1664719511 is 14:05:11 UTC
    assert docs[102].meta["published"] == "2022-10-02T14:05:11+00:00"
    assert docs[108].meta["published"] == "2022-10-03T06:30:00+00:00"  # no unixtime: "date" read as UTC


def test_telegram_url_only_with_username(tmp_path: Path) -> None:
    docs = _docs(list(read_telegram_export(TG)))
    assert all("url" not in d.meta for d in docs.values())
    data = json.loads(TG.read_text(encoding="utf-8"))
    data["username"] = "@example_defence"
    got = _docs(list(telegram_docs(data, "x.json")))
    assert got[102].meta["url"] == "https://t.me/example_defence/102"
    assert got[102].source == "telegram:example_defence/102"
    del data["username"]
    data["link"] = "https://t.me/example_watch"
    assert _docs(list(telegram_docs(data, "x.json")))[103].meta["url"] == "https://t.me/example_watch/103"


def test_telegram_broken_messages_are_errors_and_the_rest_is_read() -> None:
    items = list(read_telegram_export(TG))
    errs = _errors(items)
    assert [e.source for e in errs] == [f"{TG}#6", f"{TG}#7", f"{TG}#8"]  # no id, bad date, not an object
    assert {e.code for e in errs} == {"E107"}
    assert "'id'" in errs[0].message and "not a date" in errs[1].message and "object" in errs[2].message
    assert len(_docs(items)) == 4


def test_telegram_not_an_export(tmp_path: Path) -> None:
    other = tmp_path / "result.json"
    other.write_text(json.dumps({"text": "a plain report", "title": "T"}), encoding="utf-8")
    items = list(read_telegram_export(other))
    assert len(items) == 1 and isinstance(items[0], ErrorRecord) and items[0].code == "E107"
    broken = tmp_path / "broken.json"
    broken.write_text('{"name": "X", "messages": [', encoding="utf-8")
    items = list(read_telegram_export(broken))
    assert len(items) == 1 and isinstance(items[0], ErrorRecord) and items[0].code == "E104"
    assert [e.code for e in _errors(list(read_telegram_export(TG, max_bytes=100)))] == ["E108"]
    assert is_telegram_export(json.loads(TG.read_text(encoding="utf-8")))
    assert not is_telegram_export({"messages": []}) and not is_telegram_export([{"name": "x", "messages": []}])
    assert len(list(telegram_docs({"chats": {"list": []}}, "full.json"))) == 1


# ---------------------------------------------------------------- GDELT


@pytest.mark.parametrize(("path", "kind"), [(EVENTS, "events"), (MENTIONS, "mentions"), (GKG, "gkg")])
def test_detect_kind(path: Path, kind: str) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert detect_kind(first) == kind
    assert detect_kind(first + "\textra") is None


def test_detect_kind_refuses_other_lines() -> None:
    assert detect_kind("") is None
    assert detect_kind("url,title\nhttps://example.org,x") is None
    assert detect_kind("\t".join(["x"] * 61)) is None  # right width, no dates


def test_urls_per_kind() -> None:
    ev = [i for i in read_gdelt(EVENTS) if isinstance(i, GdeltItem)]
    assert [i.url for i in ev] == ["https://www.example.org/news/2022/10/02/exercise-announced",
                                   "https://example.com/world/talks-resume",
                                   "https://example.org/belarus/drills-near-border"]
    assert ev[0].kind == "events" and ev[0].date == "2022-10-02T14:15:00+00:00" and ev[0].countries == ("RS", "UP")
    mn = [i for i in read_gdelt(MENTIONS) if isinstance(i, GdeltItem)]
    assert [i.url for i in mn] == ["https://www.example.org/news/2022/10/02/exercise-announced",
                                   "https://example.com/world/talks-resume-analysis"]  # citation-only row skipped
    assert mn[1].date == "2022-10-02T14:45:00+00:00" and mn[1].source_name == "example.com"
    gk = [i for i in read_gdelt(GKG) if isinstance(i, GdeltItem)]
    assert [i.url for i in gk] == ["https://www.example.org/analysis/nuclear-posture",
                                   "https://example.com/us/defence-budget-vote",
                                   "https://example.org/belarus/prices-rise",
                                   "https://example.com/ukraine/soldiers-return"]
    assert gk[0].themes == ("TAX_WEAPONS_NUCLEAR_WEAPONS", "WMD", "MILITARY") and gk[0].countries == ("RS", "UP")
    assert all(i.kind == "gkg" for i in gk)


def test_theme_filter() -> None:
    assert _urls(list(read_gdelt(GKG, themes=["WMD"]))) == ["https://www.example.org/analysis/nuclear-posture"]
    assert _urls(list(read_gdelt(GKG, themes=["tax_weapons"]))) == [  # prefix at a "_" boundary, any case
        "https://www.example.org/analysis/nuclear-posture"]
    assert _urls(list(read_gdelt(GKG, themes=["MILITARY"]))) == [  # not TAX_MILITARY_TITLE
        "https://www.example.org/analysis/nuclear-posture", "https://example.com/us/defence-budget-vote"]
    assert _urls(list(read_gdelt(GKG, themes=["NOTHING_LIKE_IT"]))) == []
    assert _urls(list(read_gdelt(EVENTS, themes=["WMD"]))) == []  # events carry no themes


def test_country_filter() -> None:
    assert _urls(list(read_gdelt(GKG, countries=["BO"]))) == ["https://example.org/belarus/prices-rise"]
    assert _urls(list(read_gdelt(GKG, countries=["up"]))) == ["https://www.example.org/analysis/nuclear-posture",
                                                               "https://example.com/ukraine/soldiers-return"]
    assert _urls(list(read_gdelt(EVENTS, countries=["US"]))) == ["https://example.com/world/talks-resume"]
    assert _urls(list(read_gdelt(EVENTS, countries=["UP"]))) == [  # Actor2Geo counts too
        "https://www.example.org/news/2022/10/02/exercise-announced", "https://example.com/world/talks-resume"]
    assert _urls(list(read_gdelt(GKG, themes=["MILITARY"], countries=["US"]))) == [
        "https://example.com/us/defence-budget-vote"]


def test_zip_equals_plain() -> None:
    assert list(read_gdelt(GKG_ZIP)) == list(read_gdelt(GKG))
    assert list(read_gdelt(GKG_ZIP, themes=["WMD"])) == list(read_gdelt(GKG, themes=["WMD"]))


def test_malformed_line_is_an_error() -> None:
    errs = _errors(list(read_gdelt(EVENTS)))
    assert len(errs) == 1
    assert errs[0].source == f"{EVENTS}:4" and errs[0].code == "E100" and "61" in errs[0].message


def test_urls_deduplicated_within_a_file() -> None:
    # events: rows 1 and 3 share a SOURCEURL; mentions: rows 3 and 4 share a MentionIdentifier
    for path, rows_with_url in ((EVENTS, 4), (MENTIONS, 3)):
        urls = _urls(list(read_gdelt(path)))
        assert len(urls) == len(set(urls)) == rows_with_url - 1


def test_bad_line_cap(tmp_path: Path) -> None:
    good = GKG.read_text(encoding="utf-8").splitlines()
    f = tmp_path / "garbage.gkg.csv"
    f.write_text("\n".join([good[0], *(f"junk\t{n}" for n in range(5000)), good[1]]) + "\n", encoding="utf-8")
    items = list(read_gdelt(f))
    errs = _errors(items)
    assert len(errs) == MAX_BAD_LINES + 1
    assert "stopped reading" in errs[-1].message and errs[-1].source == str(f)
    assert _urls(items) == ["https://www.example.org/analysis/nuclear-posture"]  # the last good line is not reached


def test_not_gdelt_and_empty(tmp_path: Path) -> None:
    f = tmp_path / "notes.txt"
    f.write_text("\n".join(f"line {n}" for n in range(500)), encoding="utf-8")
    assert [e.code for e in _errors(list(read_gdelt(f)))] == ["E105"]
    (tmp_path / "empty.csv").write_text("\n\n", encoding="utf-8")
    assert [e.code for e in _errors(list(read_gdelt(tmp_path / "empty.csv")))] == ["E101"]
    assert [e.code for e in _errors(list(read_gdelt(tmp_path / "x.json")))] == ["E105"]
    assert [e.code for e in _errors(list(read_gdelt(tmp_path / "missing.csv")))] == ["E100"]


def test_zip_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w"):
        pass
    assert [e.code for e in _errors(list(read_gdelt(empty)))] == ["E101"]
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    assert [e.code for e in _errors(list(read_gdelt(bad)))] == ["E100"]
    big = tmp_path / "big.zip"
    with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("big.gkg.csv", GKG.read_text(encoding="utf-8") * 50)
    items = list(read_gdelt(big, max_bytes=5_000))
    assert [e.code for e in _errors(items)] == ["E108"] and _urls(items) == []
    assert len(_urls(list(read_gdelt(big)))) == 4  # within the limit: read, and deduplicated


def test_telegram_export_ingested_with_forward_as_provenance(fresh_db, ctx) -> None:  # type: ignore[no-untyped-def]
    from escwatch.engine import ingest_docs
    from escwatch.ingest.files import read_file
    from escwatch.stories import graph, provenance, update_stories

    res = ingest_docs(read_file(Path(__file__).parent / "fixtures" / "telegram" / "result.json"), fresh_db, ctx)
    assert res.new == 4 and res.failed == 3  # the broken messages are error rows; the rest is read
    update_stories(fresh_db, ctx.pack)
    fwd = next(r for r in fresh_db.iter_reports() if r.forwarded_from)
    assert fwd.forwarded_from == "Example Border News" and fwd.source.startswith("telegram:")
    _, g = graph(fresh_db, ctx.pack, fwd.story or "")
    assert any(k == "forwarded_from" for _, _, k, _ in g.edges)
    assert "Example Border News" in {o["label"] for o in provenance.origins(g, [fwd])}
    assert {len(r.links) for r in fresh_db.iter_reports()} >= {2}
