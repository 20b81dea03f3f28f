"""Bad input, class by class (docs/bad-input.md lists them): each gives a typed error row with a stable code or a
correct report, the run goes on, good reports beside it are stored, and a second run changes nothing.

Files are made at test time (tests/bad_inputs.py); runs go through the real CLI on real stores (SQLite files, or
PostgreSQL with ``--store postgresql``); network classes through a real HTTP server on loopback."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

import bad_inputs as bi
from bad_inputs import (
    assert_typed,
    cli,
    drip,
    entity_ids,
    errors_by_name,
    ingest,
    key,
    run,
    snapshot,
    stored,
    warm,
)
from conftest import store_at
from escwatch.analyse.context import Context
from escwatch.engine.local import ingest_items
from escwatch.errors import PackError
from escwatch.ingest.fetch import Fetcher, FetchPolicy
from escwatch.ingest.live import file_items, url_items
from escwatch.parse.clean import MAX_TEXT_CHARS
from webserver import Web

# -- empty, binary, size -----------------------------------------------------------------------------------------


def test_empty_file(tmp_path: Path, db_url: str) -> None:
    first, folder = run(tmp_path, db_url, {"empty.txt": b""})
    assert first["failed"] == 1
    assert_typed(errors_by_name(db_url, folder)["empty.txt"], "E101")


def test_whitespace_only_files(tmp_path: Path, db_url: str) -> None:
    run(tmp_path, db_url, {"blank.txt": " \n\t\r\n ", "blank.md": "\n\n   \n", "nbsp.txt": "\u00a0 \n",
                           "nuls.txt": b"\x00\x00 \n"})
    errs = errors_by_name(db_url, tmp_path / "in")
    assert set(errs) == {"blank.txt", "blank.md", "nbsp.txt", "nuls.txt"}
    for name, row in errs.items():
        assert_typed(row, "E101")
        assert row["stage"] == ("parse" if name == "nbsp.txt" else "ingest")  # U+00A0 is whitespace once decoded


def test_binary_files_with_text_extensions(tmp_path: Path, db_url: str) -> None:
    files: dict[str, bytes | str] = {}
    for ext in (".txt", ".html", ".json"):
        files.update({f"noise{ext}": bi.noise(), f"image{ext}": bi.png(), f"archive{ext}": bi.gzip_bomb(2 * bi.MB)})
    run(tmp_path, db_url, files)
    errs = errors_by_name(db_url, tmp_path / "in")
    assert set(errs) == set(files)
    for row in errs.values():
        assert_typed(row, "E102")


def measured_run(tmp_path: Path, db_url: str) -> tuple[float, int]:
    """(seconds, traced peak bytes) of one ingest of ``tmp_path/in``, after the models are loaded."""
    warm(db_url, tmp_path)
    tracemalloc.start()
    start = time.monotonic()
    try:
        run(tmp_path, db_url, {})
        return time.monotonic() - start, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_50mb_text_file_is_refused_by_size_at_once(tmp_path: Path, db_url: str) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    bi.big_text(folder / "huge.txt", 50 * bi.MB)
    _, peak = measured_run(tmp_path, db_url)
    row = errors_by_name(db_url, folder)["huge.txt"]
    assert_typed(row, "E108")
    assert row["stage"] == "ingest" and "52,428,800 bytes" in row["message"]
    assert peak < 30 * bi.MB  # refused by its size: never read


def test_single_10mb_line_is_refused_in_bounded_time_and_memory(tmp_path: Path, db_url: str) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    bi.big_text(folder / "one-line.txt", 10 * bi.MB, line=True)
    assert (folder / "one-line.txt").read_bytes().count(b"\n") == 0
    elapsed, peak = measured_run(tmp_path, db_url)
    row = errors_by_name(db_url, folder)["one-line.txt"]
    assert_typed(row, "E108")
    assert row["stage"] == "parse" and f"limit of {MAX_TEXT_CHARS:,}" in row["message"]
    assert elapsed < 120  # a hang guard: before the size limit this ran for hours
    assert peak < 120 * bi.MB  # two runs; each holds the file a few times over, no more


def test_long_text_under_the_limit_is_analysed(tmp_path: Path, db_url: str) -> None:
    """The limit refuses only what is over it: a long report is still stored."""
    text = (bi.EN + "\n") * (100_000 // len(bi.EN))
    run(tmp_path, db_url, {"long.txt": text})
    assert "vladimir_putin" in entity_ids(stored(db_url, tmp_path / "in")["long.txt"])


# -- encodings ---------------------------------------------------------------------------------------------------


def test_invalid_utf8(tmp_path: Path, db_url: str) -> None:
    """A few bad bytes in UTF-8 are replaced (U+FFFD) and the report kept; bytes no encoding fits are E103."""
    run(tmp_path, db_url, {"broken-utf8.txt": bi.utf8_with_bad_bytes(), "undecodable.txt": bi.undecodable()})
    rep = stored(db_url, tmp_path / "in")["broken-utf8.txt"]
    assert "\ufffd" in rep.text and "Владимир Путин" in rep.text and rep.language == "ru"
    assert "vladimir_putin" in entity_ids(rep)
    assert_typed(errors_by_name(db_url, tmp_path / "in")["undecodable.txt"], "E103")


def _russian(encodings: tuple[str, ...]) -> dict[str, str]:
    """A distinct Russian text per encoding (one report each, no duplicates)."""
    return {enc: f"{bi.RU} Кодировка {enc.upper()}." for enc in encodings}


def _read_back_exactly(tmp_path: Path, db_url: str, encodings: tuple[str, ...]) -> None:
    """Each file, written in its encoding, is stored with the exact text, as Russian, Putin resolved."""
    texts = _russian(encodings)
    run(tmp_path, db_url, {f"{enc}.txt": text.encode(enc) for enc, text in texts.items()})
    reps = stored(db_url, tmp_path / "in")
    for enc, text in texts.items():
        rep = reps[f"{enc}.txt"]
        assert rep.text == text and rep.language == "ru" and "vladimir_putin" in entity_ids(rep)


def test_utf16_with_and_without_bom(tmp_path: Path, db_url: str) -> None:
    _read_back_exactly(tmp_path, db_url, ("utf-16", "utf-16-le", "utf-16-be"))  # BOM; none, LE and BE


def test_legacy_russian_encodings(tmp_path: Path, db_url: str) -> None:
    _read_back_exactly(tmp_path, db_url, ("cp1251", "koi8-r"))


# -- look-alikes and invisible characters --------------------------------------------------------------------------


def test_homoglyphs_in_names_resolve(tmp_path: Path, db_url: str) -> None:
    files = {"cyr-in-latin.txt": "Vladimir Putіn met Xi Jinping in Beijing to discuss arms control.",  # Cyrillic і
             "lat-in-cyr.txt": "Пyтин провёл совещание по ядерному сдерживанию.",  # Latin y
             "protocol.txt": "Песков назвал ПРOTOКОЛ важным.",  # Latin O, T among Cyrillic letters
             "both.txt": "Dmitry Peskov typed Пutин by mistake."}  # letters of both scripts that look alike nothing
    run(tmp_path, db_url, files)
    reps = stored(db_url, tmp_path / "in")
    assert "Vladimir Putin met" in reps["cyr-in-latin.txt"].text
    assert "vladimir_putin" in entity_ids(reps["cyr-in-latin.txt"])
    assert reps["lat-in-cyr.txt"].text.startswith("Путин") and "vladimir_putin" in entity_ids(reps["lat-in-cyr.txt"])
    assert "ПРОТОКОЛ" in reps["protocol.txt"].text and not re.search("[A-Z]", reps["protocol.txt"].text)
    assert "Пutин" in reps["both.txt"].text  # no script wins: left as written


def test_right_to_left_marks(tmp_path: Path, db_url: str) -> None:
    run(tmp_path, db_url, {"rtl.txt": "\u200fVladimir Putin\u200e warned \u202eNATO\u202c about nuclear escalation.",
                           "rtl-ar.txt": "\u202bقال بوتين\u202c: Vladimir Putin \u2067spoke\u2069 in Moscow."})
    reps = stored(db_url, tmp_path / "in")
    assert reps["rtl.txt"].text == "Vladimir Putin warned NATO about nuclear escalation."
    assert {"vladimir_putin", "nato"} <= entity_ids(reps["rtl.txt"])
    assert not re.search("[\u200e\u200f\u202a-\u202e\u2066-\u2069]", reps["rtl-ar.txt"].text)


def test_zero_width_characters_inside_names(tmp_path: Path, db_url: str) -> None:
    marks = {"zwsp": "\u200b", "zwnj": "\u200c", "zwj": "\u200d", "wj": "\u2060", "bom": "\ufeff", "shy": "\u00ad"}
    files: dict[str, bytes | str] = {f"{name}.txt": f"Пу{m}тин провёл совещание в Кре{m}мле ({name})."
                                     for name, m in marks.items()}
    run(tmp_path, db_url, files)
    reps = stored(db_url, tmp_path / "in")
    for name in marks:
        assert reps[f"{name}.txt"].text == f"Путин провёл совещание в Кремле ({name})."
        assert "vladimir_putin" in entity_ids(reps[f"{name}.txt"])


def test_nul_bytes_and_control_characters(tmp_path: Path, db_url: str) -> None:
    """Stray NULs in a text file and \\u0000 in JSON strings are dropped (PostgreSQL refuses NUL in text)."""
    jsonl = json.dumps({"text": "Putin\u0000 visited Sarov,\u0007 the nuclear centre.", "title": "Sa\u0000rov",
                        "url": "https://example.test/\u0000sarov"}) + "\n"
    run(tmp_path, db_url, {"nul.txt": b"Shoigu\x00 inspected the\x00 Novaya Zemlya test site.\x1b[31m",
                           "nul.jsonl": jsonl, "surrogate.jsonl": '{"text": "Lavrov \\ud800 spoke in Geneva."}\n'})
    reps = stored(db_url, tmp_path / "in")
    assert reps["nul.txt"].text == "Shoigu inspected the Novaya Zemlya test site.[31m"
    sarov = reps["https://example.test/sarov"]
    assert sarov.text == "Putin visited Sarov, the nuclear centre." and sarov.title == "Sarov"
    assert reps["surrogate.jsonl:1"].text == "Lavrov \ufffd spoke in Geneva."


def test_crlf_and_cr_only_line_endings(tmp_path: Path, db_url: str) -> None:
    lines = ["Medvedev posted on Telegram.", "He threatened nuclear strikes on Kyiv.", "Kyiv did not answer."]
    first, _ = run(tmp_path, db_url, {"lf.txt": "\n".join(lines), "crlf.txt": "\r\n".join(lines),
                                      "cr.txt": "\r".join(lines)})
    reps = stored(db_url, tmp_path / "in")
    assert first["new"] == 2 and first["duplicate"] == 2  # good_en + one of three identical texts
    (rep,) = [r for name, r in reps.items() if name != "good_en.txt"]
    assert rep.text.split("\n") == lines


# -- HTML ----------------------------------------------------------------------------------------------------------


def test_html_nested_100k_deep(tmp_path: Path, db_url: str) -> None:
    start = time.monotonic()
    run(tmp_path, db_url, {"deep.html": bi.deep_html()})
    assert time.monotonic() - start < 120  # a hang guard
    rep = stored(db_url, tmp_path / "in")["deep.html"]
    assert rep.text == "Vladimir Putin spoke about nuclear weapons in Moscow on Monday."
    assert "vladimir_putin" in entity_ids(rep)


def test_html_without_body(tmp_path: Path, db_url: str) -> None:
    """Only a head: E106. Text but no <body> tag: the text is the report."""
    run(tmp_path, db_url, {"head-only.html": "<html><head><title>Only a title, no body</title></head></html>",
                           "no-body-tag.html": "<html>Vladimir Putin spoke about nuclear weapons in Moscow.</html>"})
    row = errors_by_name(db_url, tmp_path / "in")["head-only.html"]
    assert_typed(row, "E106")
    assert row["stage"] == "parse"
    assert stored(db_url, tmp_path / "in")["no-body-tag.html"].text.startswith("Vladimir Putin spoke")


def test_entity_bombs_in_a_local_html_file_are_not_expanded(tmp_path: Path, db_url: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN")
    bomb = bi.billion_laughs("html").decode().replace("<channel>", "<body><p>Putin warned NATO again. ")
    leak = bi.xxe(secret).decode().replace("<channel>", "<body><p>Putin spoke of nuclear arms. ")
    run(tmp_path, db_url, {"bomb.html": bomb, "xxe.html": leak})
    reps = stored(db_url, tmp_path / "in")
    assert all(len(r.text) < 1000 and "lollollol" not in r.text for r in reps.values())
    assert not any("TOP-SECRET" in r.text or "TOP-SECRET" in r.raw_text for r in reps.values())


# -- JSON ----------------------------------------------------------------------------------------------------------


def test_malformed_json_lines_beside_good_lines(tmp_path: Path, db_url: str) -> None:
    run(tmp_path, db_url, {"mixed.jsonl": bi.mixed_jsonl()})
    reps = stored(db_url, tmp_path / "in")
    assert {"mixed.jsonl:1", "mixed.jsonl:3", "mixed.jsonl:6"} <= set(reps)
    errs = errors_by_name(db_url, tmp_path / "in")
    assert {k: v["code"] for k, v in errs.items()} == {"mixed.jsonl:2": "E104", "mixed.jsonl:4": "E107"}
    assert_typed(errs["mixed.jsonl:2"], "E104")


def test_json_with_wrong_types(tmp_path: Path, db_url: str) -> None:
    run(tmp_path, db_url, {"types.json": bi.wrong_types()})
    errs = errors_by_name(db_url, tmp_path / "in")
    assert {k: (v["code"], v["stage"]) for k, v in errs.items()} == {
        "types.json#1": ("E107", "ingest"), "types.json#2": ("E107", "parse"), "types.json#3": ("E107", "ingest"),
        "types.json#4": ("E107", "parse"), "types.json#5": ("E107", "ingest"), "types.json#6": ("E107", "ingest")}
    for row in errs.values():
        assert_typed(row, "E107")
    assert "'title' must be a string, got list" in errs["types.json#3"]["message"]
    assert stored(db_url, tmp_path / "in")["types.json#7"].outlet == "TASS"


def test_json_list_object_and_other_top_levels(tmp_path: Path, db_url: str) -> None:
    files = {"list.json": json.dumps([{"text": "Sergei Lavrov met Antony Blinken in New Delhi."},
                                      {"text": "Jens Stoltenberg spoke about NATO nuclear sharing."}]),
             "object.json": json.dumps({"text": "Valery Gerasimov inspected the Strategic Rocket Forces."}),
             "empty-list.json": "[]", "empty-object.json": "{}", "number.json": "42", "string.json": '"text"',
             "null.json": "null", "broken.json": '{\n  "text": "a report",\n  "title": \n}\n'}
    run(tmp_path, db_url, files)
    assert {"list.json#1", "list.json#2", "object.json"} <= set(stored(db_url, tmp_path / "in"))
    errs = {k: v["code"] for k, v in errors_by_name(db_url, tmp_path / "in").items()}
    assert errs == {"empty-list.json": "E101", "empty-object.json": "E107", "number.json:1": "E107",
                    "string.json:1": "E107", "null.json:1": "E107", "broken.json": "E104"}


def test_json_nested_100k_deep(tmp_path: Path, db_url: str) -> None:
    deep_line = '{"text": "Putin spoke.", "x": ' + bi.deep_json() + "}\n"
    run(tmp_path, db_url, {"deep.json": bi.deep_json(), "deep.jsonl": deep_line + '{"text": "Shoigu spoke too."}\n'})
    errs = errors_by_name(db_url, tmp_path / "in")
    assert {k: v["code"] for k, v in errs.items()} == {"deep.json": "E104", "deep.jsonl:1": "E104"}
    assert "deep.jsonl:2" in stored(db_url, tmp_path / "in")


# -- dates and languages -----------------------------------------------------------------------------------------


def test_published_far_future_and_before_1900(tmp_path: Path, db_url: str) -> None:
    files = {"future.json": json.dumps({"text": "Putin spoke about missiles.", "published": "9999-01-01"}),
             "old.json": json.dumps({"text": "Putin spoke about submarines.", "published": "1850-05-01"}),
             "edge.json": json.dumps({"text": "Putin spoke about bombers.", "published": "1900-01-01"})}
    run(tmp_path, db_url, files)
    errs = errors_by_name(db_url, tmp_path / "in")
    assert set(errs) == {"future.json", "old.json"}
    for row in errs.values():
        assert_typed(row, "E107")
        assert row["stage"] == "parse" and "out of range (years 1900 to 2200)" in row["message"]
    assert stored(db_url, tmp_path / "in")["edge.json"].published.year == 1900


def test_far_dates_in_the_text(tmp_path: Path, db_url: str) -> None:
    """Dates far outside 1900-2200 in the text are not resolved; the report and its real date stay."""
    text = ("Putin said on 5 October 2022 that the test would happen on 1 January 9999, "
            "as in the war of 1850 and on 12 May 1812; some wrote 0000-00-00 and 32/13/2022.")
    run(tmp_path, db_url, {"dates.json": json.dumps({"text": text, "published": "2022-10-06"})})
    rep = stored(db_url, tmp_path / "in")["dates.json"]
    assert rep.published.year == 2022
    days = [d.value for d in rep.dates]
    assert any(str(v).startswith("2022-10-05") for v in days), days
    assert all(1900 <= int(str(v)[:4]) <= 2200 for v in days), days


def test_languages_outside_the_pack(tmp_path: Path, db_url: str) -> None:
    files = {"es.txt": "El presidente Vladimir Putin habló de armas nucleares el lunes en Moscú.",
             "zh.txt": "俄罗斯总统普京周一在莫斯科谈到了核武器问题。",
             "ar.txt": "تحدث الرئيس الروسي فلاديمير بوتين يوم الاثنين في موسكو عن الأسلحة النووية."}
    first, _ = run(tmp_path, db_url, files)
    assert first["failed"] == 0
    reps = stored(db_url, tmp_path / "in")
    assert reps["es.txt"].language == "es" and "vladimir_putin" in entity_ids(reps["es.txt"])
    pack_languages = {"nl", "en", "de", "fr", "pl", "ru", "uk"}
    for name in ("zh.txt", "ar.txt"):
        assert reps[name].language not in pack_languages and reps[name].text == files[name]


# -- Telegram ----------------------------------------------------------------------------------------------------


def test_telegram_export_with_missing_fields(tmp_path: Path, db_url: str) -> None:
    run(tmp_path, db_url, {"result.json": bi.telegram_export()})
    reps = stored(db_url, tmp_path / "in")
    assert set(reps) >= bi.TELEGRAM_STORED
    assert reps["telegram:test-channel/3"].published is None
    errs = errors_by_name(db_url, tmp_path / "in")
    assert {k.replace("result.json", ""): (v["code"], v["stage"]) for k, v in errs.items()} == bi.TELEGRAM_ERRORS
    assert "'text' must be a string or a list of parts, got int" in errs["result.json#6"]["message"]


# -- files and folders -------------------------------------------------------------------------------------------


def test_markdown_front_matter(tmp_path: Path, db_url: str) -> None:
    body = "# Warning\n\nVladimir Putin warned the West on **Friday**."
    run(tmp_path, db_url, {"only.md": bi.front_matter_only(),
                           "with-body.md": "---\ntitle: Putin warns\ndate: 2022-10-07\n---\n" + body})
    assert_typed(errors_by_name(db_url, tmp_path / "in")["only.md"], "E101")
    rep = stored(db_url, tmp_path / "in")["with-body.md"]
    assert rep.title == "Putin warns" and rep.published.date().isoformat() == "2022-10-07"
    assert "---" not in rep.text and rep.text.startswith("Warning")


def test_many_tiny_files(tmp_path: Path, db_url: str) -> None:
    files: dict[str, bytes | str] = {f"t{i:04}.txt": f"Note {i}." for i in range(300)}
    files.update({f"e{i:04}.txt": "" for i in range(300)})
    start = time.monotonic()
    first, _ = run(tmp_path, db_url, files)
    assert time.monotonic() - start < 180  # a hang guard
    assert first["new"] == 301 and first["failed"] == 300
    assert len(snapshot(db_url)[1]) == 300


def test_file_names_with_spaces_and_unicode(tmp_path: Path, db_url: str) -> None:
    names = {"a report with spaces.txt": "Sergei Shoigu spoke in Moscow about the nuclear triad.",
             "доклад Путин ünï 東京.txt": "Vladimir Putin spoke in Moscow about nuclear deterrence.",
             "leer 空.txt": ""}
    run(tmp_path, db_url, names)
    assert {"a report with spaces.txt", "доклад Путин ünï 東京.txt"} <= set(stored(db_url, tmp_path / "in"))
    assert_typed(errors_by_name(db_url, tmp_path / "in")["leer 空.txt"], "E101")


def test_symlink_loops_and_broken_links(tmp_path: Path, db_url: str) -> None:
    folder = tmp_path / "in"
    bi.write(folder / "sub", {"inner.txt": "Lukashenko spoke of Iskander missiles in Belarus."})
    (folder / "sub" / "up").symlink_to(folder, target_is_directory=True)  # a folder loop: not followed
    (folder / "self.txt").symlink_to(folder / "self.txt")  # a link to itself
    (folder / "dangling.txt").symlink_to(folder / "nowhere.txt")
    run(tmp_path, db_url, {})
    assert set(stored(db_url, folder)) == {"good_en.txt", "sub/inner.txt"}
    errs = errors_by_name(db_url, folder)
    assert set(errs) == {"self.txt", "dangling.txt"}
    assert_typed(errs["self.txt"], "E100")
    assert_typed(errs["dangling.txt"], "E100")
    assert "symbolic links" in errs["self.txt"]["message"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(tmp_path: Path, db_url: str) -> None:
    folder = tmp_path / "in"
    bi.write(folder, {"locked.txt": "Putin spoke."})
    (folder / "locked.txt").chmod(0)
    try:
        run(tmp_path, db_url, {})
        row = errors_by_name(db_url, folder)["locked.txt"]
        assert_typed(row, "E100")
        assert "Permission denied" in row["message"]
    finally:
        (folder / "locked.txt").chmod(0o644)


def test_named_pipe_given_directly_does_not_block(tmp_path: Path, db_url: str) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    good = tmp_path / "good.txt"
    good.write_text(bi.GOOD["good_de.txt"], encoding="utf-8")
    data = ingest(db_url, fifo, good)
    assert data["new"] == 1 and [e["code"] for e in data["errors"]] == ["E100"]
    assert "not a regular file" in data["errors"][0]["message"]


def test_directory_named_like_a_file(tmp_path: Path, db_url: str) -> None:
    folder = tmp_path / "in"
    bi.write(folder / "x.txt", {"inside.txt": "Sergei Ryabkov spoke about New START in Geneva."})
    bi.write(tmp_path / "y.json", {"inside.json": json.dumps({"text": "Dmitry Peskov spoke about Sarmat."})})
    run(tmp_path, db_url, {})
    assert "x.txt/inside.txt" in stored(db_url, folder)
    data = ingest(db_url, tmp_path / "y.json")  # a folder with a file's name, given directly: its files
    assert data["new"] == 1 and data["failed"] == 0


def test_unsupported_type_given_directly(tmp_path: Path, db_url: str) -> None:
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.4 Putin")
    (tmp_path / "good.txt").write_text(bi.GOOD["good_nl.txt"], encoding="utf-8")
    data = ingest(db_url, tmp_path / "report.pdf", tmp_path / "good.txt")
    assert data["new"] == 1 and [e["code"] for e in data["errors"]] == ["E105"]
    ingest(db_url, tmp_path / "report.pdf", tmp_path / "good.txt")
    assert len(snapshot(db_url)[1]) == 1


# -- packs -------------------------------------------------------------------------------------------------------


def _pack(tmp_path: Path, files: dict[str, str]) -> tuple[Path, Path]:
    pack, good = tmp_path / "pack", tmp_path / "good.txt"
    bi.write(pack, dict(files))
    good.write_text(bi.GOOD["good_en.txt"], encoding="utf-8")
    return pack, good


def test_pack_with_a_yaml_error_names_file_and_line(tmp_path: Path, db_url: str) -> None:
    """The real command line: exit status 2, one line naming the file, the line and where the construct began."""
    pack, good = _pack(tmp_path, {"pack.yaml": "name: mine\n",
                                  "entities_x.yaml": "- id: a\n  type: org\n  name: A\n  aliases: {en: [A\n"})
    exe = Path(sys.executable).with_name("escwatch")
    r = subprocess.run([str(exe), "--db", db_url, "--pack", str(pack), "ingest", str(good), "--no-stories"],
                       capture_output=True, text=True, env={**os.environ, "COLUMNS": "400", "NO_COLOR": "1"},
                       timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert f"[E202] YAML error in {pack / 'entities_x.yaml'}:5:1:" in r.stderr
    assert "starts at line 4" in r.stderr and "fix line 4 of entities_x.yaml" in r.stderr
    assert snapshot(db_url) == ([], [])  # refused before any document was read


@pytest.mark.parametrize(("files", "code", "where"), [
    ({"pack.yaml": "name: mine\nlanguages: [en\n"}, "E202", "pack.yaml:3:1"),
    ({"pack.yaml": "name: mine\n", "entities_y.yaml": "- id: a\n  type: spaceship\n  name: A\n"}, "E203",
     "unknown type 'spaceship'"),
])
def test_other_pack_errors(tmp_path: Path, db_url: str, files: dict[str, str], code: str, where: str) -> None:
    pack, good = _pack(tmp_path, files)
    with pytest.raises(PackError) as got:
        cli(db_url, "--pack", str(pack), "ingest", str(good), "--no-stories")
    assert got.value.code == code and where in str(got.value) and got.value.hint
    assert snapshot(db_url) == ([], [])


# -- network -----------------------------------------------------------------------------------------------------


def net(db: str, *urls: str, private: bool = True) -> dict[str, Any]:
    return ingest(db, *urls, flags=("--allow-private",) if private else ())


def test_feed_with_billion_laughs_and_external_entity(web: Web, tmp_path: Path, db_url: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN")
    web.files["/laughs.xml"] = bi.billion_laughs()
    web.files["/xxe.xml"] = bi.xxe(secret)
    urls = (web.url("/laughs.xml"), web.url("/xxe.xml"), web.url("/articles/train.html"))
    first = net(db_url, *urls)
    assert first["new"] == 1 and sorted(e["code"] for e in first["errors"]) == ["E407", "E407"]
    assert all("hostile" in e["message"] for e in first["errors"])
    before = snapshot(db_url)
    assert len(before[1]) == 2 and not any("TOP-SECRET" in str(x) for x in before)
    net(db_url, *urls)
    assert snapshot(db_url) == before


def test_gzip_bomb_over_http(web: Web, tmp_path: Path, db_url: str) -> None:
    bomb = bi.gzip_bomb()
    web.routes["/bomb.html"] = lambda h: (200, {"Content-Type": "text/html", "Content-Encoding": "gzip"}, bomb)
    warm(db_url, tmp_path)
    tracemalloc.start()
    start = time.monotonic()
    try:
        data = net(db_url, web.url("/bomb.html"), web.url("/articles/train.html"))
        elapsed, peak = time.monotonic() - start, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert data["new"] == 1 and [e["code"] for e in data["errors"]] == ["E406"]
    assert elapsed < 120 and peak < 60 * bi.MB  # stops at max_bytes (5 MB), never inflates 50 MB
    before = snapshot(db_url)
    net(db_url, web.url("/bomb.html"), web.url("/articles/train.html"))
    assert snapshot(db_url) == before and len(web.requests("/bomb.html")) == 1  # refused: marked, not refetched


def test_redirect_loop(web: Web, db_url: str) -> None:
    web.routes["/loop-a"] = lambda h: (302, {"Location": "/loop-b"}, b"")
    web.routes["/loop-b"] = lambda h: (302, {"Location": "/loop-a"}, b"")
    web.routes["/self"] = lambda h: (301, {"Location": "/self"}, b"")
    data = net(db_url, web.url("/loop-a"), web.url("/self"), web.url("/articles/train.html"))
    assert data["new"] == 1 and [e["code"] for e in data["errors"]] == ["E405", "E405"]
    assert len(web.requests("/loop-a")) + len(web.requests("/loop-b")) <= 7  # max_redirects, then stop
    before = snapshot(db_url)
    net(db_url, web.url("/loop-a"), web.url("/self"), web.url("/articles/train.html"))
    assert snapshot(db_url) == before


def test_endless_slow_response(web: Web, db_url: str, ctx: Context) -> None:
    """Through the engine (the CLI's fetch deadline is 20 s): the deadline ends the request, the error is a
    row, a good page in the same run is stored, and the timeout is retried on the next run (not marked seen)."""
    web.routes["/slow.html"] = drip
    policy = FetchPolicy(timeout=1.0, retries=0, min_interval=0.0, allow_private=True)
    store = store_at(db_url)
    try:
        for attempt in (1, 2):
            start = time.monotonic()
            with Fetcher(policy) as fetcher:
                items = [*url_items(web.url("/slow.html"), fetcher, store),
                         *url_items(web.url("/articles/train.html"), fetcher, store)]
                res = ingest_items(items, store, ctx)
            assert time.monotonic() - start < 8  # the drip would last 10 s
            assert [e.code for e in res.errors] == ["E403"] and res.new == (1 if attempt == 1 else 0)
            assert not store.seen([f"url:{web.url('/slow.html')}"])
        assert [(e["code"], e["stage"]) for e in store.errors()] == [("E403", "fetch")]
        assert len(web.requests("/slow.html")) == 2
    finally:
        store.close()


def test_private_and_link_local_addresses_are_refused(web: Web, db_url: str) -> None:
    port = web.base.rsplit(":", 1)[1]
    urls = ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://192.168.1.1/admin",
            f"http://127.0.0.1:{port}/rss.xml", f"http://localhost:{port}/rss.xml", "http://[::1]/",
            "http://[fe80::1]/", "http://0.0.0.0/", "http://[::ffff:169.254.169.254]/"]
    data = net(db_url, *urls, private=False)
    assert data["new"] == 0 and [e["code"] for e in data["errors"]] == ["E401"] * len(urls)
    assert not web.log  # nothing reached the loopback server
    before = snapshot(db_url)
    assert sorted(s for s, _, _ in before[1]) == sorted(urls)
    net(db_url, *urls, private=False)
    assert snapshot(db_url) == before


# -- everything at once ------------------------------------------------------------------------------------------


def test_corpus_of_bad_inputs_beside_good_reports(tmp_path: Path, db_url: str) -> None:
    folder = tmp_path / "corpus"
    want_reports, want_errors = bi.corpus(folder)
    first = ingest(db_url, folder)
    reports, errors = snapshot(db_url)
    assert {key(s, folder) for _, s in reports} == want_reports
    assert {(key(s, folder), stage, code) for s, stage, code in errors} == want_errors
    assert first["new"] == len(want_reports) and first["failed"] == len(want_errors)
    _, rows = cli(db_url, "errors", "--json")
    for row in rows:
        assert_typed(row, row["code"])

    second = ingest(db_url, folder)
    assert second["new"] == 0 and second["duplicate"] == len(want_reports)
    assert snapshot(db_url) == (reports, errors)


def test_corpus_through_the_watch_folder_path(tmp_path: Path, db_url: str, ctx: Context) -> None:
    """``watch --folder`` reads files through keyed items (``file_items``): the same reports and error rows, and
    a second poll yields nothing at all (every file's key is marked)."""
    folder = tmp_path / "corpus"
    want_reports, want_errors = bi.corpus(folder, big=False)
    store = store_at(db_url)
    try:
        first = ingest_items(file_items([folder], store, max_bytes=20_000_000), store, ctx)
        assert first.new == len(want_reports) and first.failed == len(want_errors)
        reports, errors = snapshot(db_url)
        assert {key(s, folder) for _, s in reports} == want_reports
        assert {(key(s, folder), stage, code) for s, stage, code in errors} == want_errors
        assert list(file_items([folder], store, max_bytes=20_000_000)) == []
        assert snapshot(db_url) == (reports, errors)
    finally:
        store.close()
