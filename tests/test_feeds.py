"""Feeds, pages and watch against a real HTTP server on loopback (fixtures written by the team)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from escwatch.cli import app
from escwatch.errors import FeedError
from escwatch.ingest.feeds import looks_like_feed, parse_feed, read_opml

FEEDS = Path(__file__).parent / "fixtures" / "feeds"


def test_rss_and_atom_entries() -> None:
    rss = parse_feed((FEEDS / "rss.xml").read_bytes(), "rss")
    assert rss.title == "Loopback Defence Desk" and [e.key for e in rss.entries] == ["ldd-001", "ldd-002", "ldd-003"]
    assert rss.entries[0].words > 120 and rss.entries[1].words < 20  # full article vs summary only
    assert rss.entries[1].published == "2023-07-11T12:30:00+00:00"
    atom = parse_feed((FEEDS / "atom.xml").read_bytes(), "atom")
    assert atom.entries[0].link and atom.entries[0].link.endswith("/articles/kremlin.html")
    assert looks_like_feed((FEEDS / "atom.xml").read_bytes()) and not looks_like_feed(b"<html><p>hi</p></html>")


@pytest.mark.parametrize("name", ["billion_laughs.xml", "xxe.xml"])
def test_hostile_xml_is_refused(name: str) -> None:
    with pytest.raises(FeedError, match="hostile"):
        parse_feed((FEEDS / name).read_bytes(), name)


def test_not_a_feed() -> None:
    with pytest.raises(FeedError):
        parse_feed(b"this is plain text, no XML at all", "plain")


def test_opml_lists_http_feeds_only() -> None:
    got = read_opml((FEEDS / "feeds.opml").read_bytes().replace(b"http://HOST", b"http://h.test"), "opml")
    assert got == [("http://h.test/rss.xml", "Loopback Defence Desk"), ("http://h.test/atom.xml", "Test Atom Wire")]


def _cli(db: str, *args: str) -> tuple[int, str]:
    r = CliRunner().invoke(app, ["--db", str(db), *args])
    return r.exit_code, r.stdout


def test_ingest_feed_url_fetches_summary_only_articles(web, tmp_path, db_url) -> None:  # type: ignore[no-untyped-def]
    db = db_url
    code, outp = _cli(db, "ingest", web.url("/rss.xml"), "--allow-private", "--json")
    data = json.loads(outp)
    assert code == 0 and data["new"] == 3 and data["failed"] == 0
    assert web.requests("/articles/train.html")  # the summary-only entry's page was fetched
    assert not web.requests("/articles/iskander.html")  # the full entry was not
    assert web.requests("/rss.xml")[0]["User-Agent"].startswith("escwatch/")
    code, outp = _cli(db, "reports", "--json")
    reps = {r["title"]: r for r in json.loads(outp)}
    train = reps["Train of the 12th Main Directorate seen heading west"]
    assert "nuclear_weapons_movement" in train["indicators"] and train["published"].startswith("2023-07-11")
    code, outp = _cli(db, "ingest", web.url("/rss.xml"), "--allow-private", "--json")
    assert json.loads(outp)["new"] == 0  # seen before: nothing twice


def test_private_addresses_are_refused_by_default(web, tmp_path, db_url) -> None:  # type: ignore[no-untyped-def]
    code, outp = _cli(db_url, "ingest", web.url("/rss.xml"), "--json")
    data = json.loads(outp)
    assert code == 1 and data["new"] == 0 and data["errors"][0]["code"] == "E401"
    assert not web.log  # nothing was sent to the private address
    _, errs = _cli(db_url, "errors", "--json")
    assert json.loads(errs)[0]["code"] == "E401"


def test_feeds_import_and_watch_once_with_conditional_get(web, tmp_path, db_url) -> None:  # type: ignore[no-untyped-def]
    db = db_url
    opml = tmp_path / "feeds.opml"
    opml.write_bytes((FEEDS / "feeds.opml").read_bytes().replace(b"http://HOST", web.base.encode()))
    code, outp = _cli(db, "feeds", "import", str(opml), "--json")
    assert code == 0 and json.loads(outp) == {"found": 2, "added": 2}
    code, _ = _cli(db, "watch", "--once", "--allow-private")
    assert code == 0
    code, outp = _cli(db, "reports", "--json")
    assert len(json.loads(outp)) == 4  # 3 RSS entries + 1 Atom entry
    n_before = len(web.requests("/rss.xml"))
    code, _ = _cli(db, "watch", "--once", "--allow-private")
    again = web.requests("/rss.xml")[n_before:]
    assert again and again[0].get("If-None-Match")  # conditional GET: the feed answered 304
    code, outp = _cli(db, "reports", "--json")
    assert len(json.loads(outp)) == 4
    code, outp = _cli(db, "feeds", "list", "--json")
    assert {r["status"] for r in json.loads(outp)} == {304}


def test_new_entries_appear_on_the_next_poll(web, tmp_path, db_url) -> None:  # type: ignore[no-untyped-def]
    db = db_url
    _cli(db, "watch", "--once", "--allow-private", "--feed", web.url("/atom.xml"))
    atom = (FEEDS / "atom.xml").read_text(encoding="utf-8")
    extra = atom.replace("urn:escwatch:test:atom:1", "urn:escwatch:test:atom:2").replace(
        "Dmitry Peskov said on Wednesday", "Dmitry Peskov said again on Thursday")
    web.files["/atom.xml"] = extra.replace("http://HOST", web.base).encode()
    code, _ = _cli(db, "watch", "--once", "--allow-private", "--feed", web.url("/atom.xml"))
    assert code == 0
    _, outp = _cli(db, "reports", "--json")
    assert len(json.loads(outp)) == 2


def test_gdelt_file_feeds_the_fetcher_with_theme_filter(web, tmp_path, db_url) -> None:  # type: ignore[no-untyped-def]
    gkg = (Path(__file__).parent / "fixtures" / "gdelt" / "20221002141500.gkg.csv").read_text(encoding="utf-8")
    local = tmp_path / "local.gkg.csv"
    local.write_text(gkg.replace("https://www.example.org", web.base).replace("https://example.com", web.base)
                     .replace("https://example.org", web.base), encoding="utf-8")
    web.files["/analysis/nuclear-posture"] = (FEEDS / "articles" / "train.html").read_bytes()
    code, outp = _cli(db_url, "ingest", "--gdelt", str(local), "--theme", "TAX_WEAPONS_NUCLEAR_WEAPONS",
                      "--allow-private", "--json")
    data = json.loads(outp)
    assert code == 0 and data["new"] == 1
    fetched = {p for _, p, _ in web.log if p != "/robots.txt"}
    assert fetched == {"/analysis/nuclear-posture"}  # rows without the theme were not fetched


def test_url_list_with_a_hostile_feed_a_page_and_a_missing_page(web, tmp_path, db_url) -> None:  # type: ignore[no-untyped-def]
    lst = tmp_path / "urls.txt"
    lst.write_text(f"# desk list\n{web.url('/billion_laughs.xml')}\n\n{web.url('/articles/train.html')}\n"
                   f"{web.url('/articles/missing.html')}\n", encoding="utf-8")
    code, outp = _cli(db_url, "ingest", "--urls", str(lst), "--allow-private", "--json")
    data = json.loads(outp)
    assert code == 1 and data["new"] == 1  # the page; the run went on past the hostile feed
    assert sorted(e["code"] for e in data["errors"]) == ["E404", "E407"]
    _, outp = _cli(db_url, "ingest", "--urls", str(lst), "--allow-private", "--json")
    again = json.loads(outp)
    assert again["new"] == 0 and again["duplicate"] == 0 and [e["code"] for e in again["errors"]] == []
