"""The public Python API, used the way a notebook would: only names from ``escwatch``."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import escwatch


def test_public_api_is_pinned() -> None:
    assert sorted(escwatch.__all__) == ["Assessment", "Observation", "Report", "Workbench", "__version__",
                                        "analyse", "open"]
    for name in escwatch.__all__:
        assert getattr(escwatch, name) is not None


def test_analyse_one_text_without_a_store() -> None:
    rep = escwatch.analyse("Het Kremlin zou volgens de Britse krant The Times een trein van het 12de directoraat "
                           "naar het westen hebben gestuurd, meldt de NAVO.", published="2022-10-03")
    assert isinstance(rep, escwatch.Report) and rep.language == "nl"
    assert "NATO" in {m.name for m in rep.mentions}
    assert any(c.modality == "reported" for c in rep.claims)
    assert rep.text[rep.mentions[0].start:rep.mentions[0].end] == rep.mentions[0].text


def test_notebook_over_the_demo_store(tmp_path: Path, db_url: str) -> None:
    from typer.testing import CliRunner

    from escwatch.cli import app

    db = db_url
    made = CliRunner().invoke(app, ["demo", "--db", str(db), "--brief", str(tmp_path / "b.md"), "--json"])
    assert made.exit_code == 0
    with escwatch.open(str(db)) as wb:
        reports = wb.reports_df()
        assert len(reports) == 27 and set(reports["language"]) == {"nl", "en", "de", "fr", "pl", "ru", "uk"}
        assert len(wb.stories_df()) == len(wb.stories()) > 0
        index = wb.index_df()
        assert index["day"].min() == date(2022, 9, 30) and index["index"].max() > 5
        assert (index[["p_routine", "p_coercive_signal", "p_preparation"]].sum(axis=1).round(6) == 1).all()
        obs = wb.observations_df(date(2022, 10, 3))
        assert {"indicator", "reliability", "credibility", "supports"} <= set(obs.columns)
        assert isinstance(wb.assessment(), escwatch.Assessment)
        assert all(isinstance(o, escwatch.Observation) for o in wb.observations())
        png = wb.plot("hypotheses", tmp_path / "h.png")
        assert png.read_bytes()[:4] == b"\x89PNG"
