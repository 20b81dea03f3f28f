"""Briefings of the demo corpus in Markdown, HTML and PDF, and plots."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import Stores
from escwatch.cli import app


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory, stores: Stores) -> str:
    tmp = tmp_path_factory.mktemp("brief")
    db = stores.new("brief")
    assert CliRunner().invoke(app, ["demo", "--db", str(db), "--brief", str(tmp / "b.md"), "--json"]).exit_code == 0
    return db


def _run(db: str, *args: str) -> str:
    r = CliRunner().invoke(app, ["--db", str(db), *args])
    assert r.exit_code == 0, r.output
    return r.stdout


def test_markdown_briefing_and_what_is_new(demo_db: str) -> None:
    md = _run(demo_db, "brief", "--format", "md")
    assert md.startswith("# escwatch briefing, 2022-09-30 – 2022-10-26")
    judgement = md.split("## Key judgements")[1].split("##")[0]
    assert "We judge it" in judgement and "%–" in judgement  # estimative word with its probability range
    assert "Train linked to Russia's nuclear custodians" in md and "independent origins:" in md
    assert "https://" in md.split("## Sources")[1]  # sources listed with links
    assert "nothing new" not in md.split("## New since the last briefing")[1].split("##")[0]
    again = _run(demo_db, "brief", "--format", "md")  # the first briefing was recorded
    assert "- nothing new" in again.split("## New since the last briefing")[1].split("##")[0]


def test_html_is_self_contained_with_charts(demo_db: str, tmp_path: Path) -> None:
    out = tmp_path / "b.html"
    _run(demo_db, "brief", "--format", "html", "-o", str(out))
    page = out.read_text(encoding="utf-8")
    assert page.count("<svg") >= 3 and "id='chart-index'" in page
    body = page.split("<h2>Sources</h2>")[0]
    assert "<script" not in page  # nothing runs, nothing is loaded from elsewhere:
    for loader in ("src='http", 'src="http', "href='http", 'href="http', "url(http", "@import"):
        assert loader not in body
    assert "We judge it" in page


@pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is installed by .ci/run")
def test_pdf_has_pages_that_are_not_blank(demo_db: str, tmp_path: Path) -> None:
    import pymupdf

    out = tmp_path / "b.pdf"
    _run(demo_db, "brief", "--format", "pdf", "-o", str(out))
    doc = pymupdf.open(out)
    assert doc.page_count >= 2
    assert "Key judgements" in doc[0].get_text()
    for page in doc:
        pix = page.get_pixmap(dpi=40)
        png = tmp_path / f"p{page.number}.png"
        pix.save(png)
        samples = pix.samples
        dark = sum(1 for i in range(0, len(samples), pix.n) if samples[i] < 200)
        assert dark > 100, f"page {page.number} looks blank"


@pytest.mark.parametrize("what", ["index", "hypotheses", "timeline", "map"])
def test_plots(demo_db: str, tmp_path: Path, what: str) -> None:
    out = tmp_path / f"{what}.png"
    _run(demo_db, "plot", what, "-o", str(out))
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 5000
