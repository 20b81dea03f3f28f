from pathlib import Path

import pytest

from escwatch.errors import EmptyExtractionError, EmptyInputError, WrongTypeError
from escwatch.parse import parse
from escwatch.parse.document import LineRx, _line_rxs, parse_date
from escwatch.records import RawDoc

FIX = Path(__file__).parent / "fixtures" / "reports"


def test_byline_and_source_line_kept_teaser_removed() -> None:
    raw = (FIX / "nl_trein.txt").read_text(encoding="utf-8")
    rep = parse(RawDoc("nl_trein.txt", "txt", raw))
    assert rep.byline == "abc"
    assert "LEES OOK" not in rep.text
    assert "LEES OOK" in rep.raw_text  # the stored raw text keeps everything
    assert rep.text.startswith("abc Bron: The Times")


@pytest.mark.parametrize("line", ["Read more: Why the train matters", "Читайте также: Главное за день",
                                  "Lesen Sie auch: Atomwaffen in Europa", "Czytaj też: Co wiemy"])
def test_teasers_in_other_languages_are_dropped(line: str) -> None:
    rep = parse(RawDoc("t", "txt", f"First paragraph of the report here.\n\n{line}\n\nLast paragraph stays."))
    assert line not in rep.text
    assert "Last paragraph stays." in rep.text


LINE_TEXTS = ["", "\n", "plain text with nothing", "(+) Subscriber only\nmore (+)(+)",
              "ſubscriber ſUBSCRIBER SUBSCRIBER subſcriber (SUBSCRIPTION REQUIRED) (ſubſcription required)",
              "x(Bezahlinhalt)y\n(abonnés) (ABONNÉS)\n\n Read more: this\nLEES OOK: dat\nread MORE: ıt",
              "Kelvin K and İstanbul ı: (İ) kK\n\r\n\x00((+ (+)\n(", "ßſs" * 20 + "Subscriber" * 3,
              "pay ſubscriber-only\nend (+)\nx (ſUBSCRIPTION REQUIRED)  \nthe SUBSCRIBER ONLY\nx (ABONNÉS)"]


@pytest.mark.parametrize("text", LINE_TEXTS)
def test_line_rx_finds_what_the_plain_regex_finds(text: str) -> None:
    odd = LineRx.build([r"ſtop\w*", r"(?<!x)kelvin", r"ıt\b", r"^read\s+more", r"İn", r"\(x\)", r"yes"])
    assert odd.others is not None
    for line_rx in (*_line_rxs(), odd):
        for t in (text, text.upper(), text.lower(), text.replace("s", "ſ").replace("k", "K").replace("i", "ı")):
            want = [(m.span(), m.group()) for m in line_rx.rx.finditer(t)]
            assert [(m.span(), m.group()) for m in line_rx.finditer(t)] == want


def test_html_through_trafilatura() -> None:
    html = (FIX / "en_steadfast.html").read_text(encoding="utf-8")
    rep = parse(RawDoc("en.html", "html", html))
    assert rep.title == "NATO begins its yearly nuclear drill"
    assert rep.published is not None and rep.published.year == 2022
    assert "Steadfast Noon" in rep.text
    assert "Home" not in rep.text.split()  # navigation is not article text
    assert rep.raw_text == html


def test_html_without_text_is_an_error() -> None:
    with pytest.raises(EmptyExtractionError):
        parse(RawDoc("x.html", "html", "<html><head><title>t</title></head><body><div></div></body></html>"))


def test_empty_text_is_an_error() -> None:
    with pytest.raises(EmptyInputError):
        parse(RawDoc("x.txt", "txt", "  \n\n "))


def test_published_dates() -> None:
    assert parse_date("2022-10-05").isoformat() == "2022-10-05T00:00:00+00:00"
    assert parse_date("2022-10-05T10:00:00Z").hour == 10
    with pytest.raises(WrongTypeError):
        parse_date(20221005)  # type: ignore[arg-type]
    with pytest.raises(WrongTypeError):
        parse_date("not a date at all, really")


@pytest.mark.parametrize(("text", "want"), [
    ("Putіn said", "Putin said"),  # a Cyrillic і between Latin letters
    ("Mr Putо", "Mr Puto"),  # a Cyrillic о last: only Latin then Cyrillic
    ("Пyтин заявил", "Путин заявил"),  # a Latin y after a Cyrillic letter
    ("іPutin", "iPutin"),  # the Cyrillic letter first: only Cyrillic then Latin
    ("Putin и Путин", "Putin и Путин"),  # both scripts, never in one word
    ("Путин", "Путин"),
])
def test_fold_homoglyphs_finds_scripts_meeting_either_way(text: str, want: str) -> None:
    """A word is folded whichever script comes first in it; text where the scripts never meet is kept."""
    from escwatch.parse.clean import fold_homoglyphs

    assert fold_homoglyphs(text) == want
