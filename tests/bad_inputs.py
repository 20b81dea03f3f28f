"""Bad inputs made at test time (nothing large is committed): bytes per class, good reports to ingest beside
them, the corpus table (file name -> content and the error code expected, or None when it is stored), and the
harness that runs the CLI on a store and reads back reports and error rows."""

from __future__ import annotations

import gzip
import json
import os
import random
import time
import zlib
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from conftest import store_at
from escwatch.cli import app
from escwatch.errors import EscwatchError

# Good reports, written by the team: each must be stored whatever sits beside it.
GOOD = {
    "good_en.txt": "Vladimir Putin said on Monday that Russia would hold nuclear exercises near Moscow.",
    "good_ru.txt": "Сергей Шойгу заявил во вторник, что учения ядерных сил пройдут под Москвой.",
    "good_de.txt": "Olaf Scholz warnte am Mittwoch in Berlin vor nuklearen Drohungen aus Moskau.",
    "good_nl.txt": "Poetin dreigde donderdag opnieuw met kernwapens, meldde de NOS vanuit Moskou.",
}
RU = "Владимир Путин заявил в пятницу, что ядерные силы России приведены в повышенную готовность."
EN = "Vladimir Putin said on Friday that the Russian nuclear forces were put on high alert in Moscow."
MB = 1024 * 1024


def png(n: int = 3000) -> bytes:
    """A PNG signature and chunk header, then bytes without NULs (so only the signature gives it away)."""
    rnd = random.Random(7)
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(rnd.randrange(1, 256) for _ in range(n))


def noise(n: int = 4000) -> bytes:
    """Random bytes: NULs, control bytes and high bytes, like any binary file."""
    rnd = random.Random(11)
    return bytes(rnd.randrange(0, 256) for _ in range(n))


def utf8_with_bad_bytes() -> bytes:
    """Russian UTF-8 with three stray bytes (a truncated download, a bad copy)."""
    data = (RU + " ") .encode("utf-8") * 3
    return data[:40] + b"\xff" + data[40:120] + b"\xc3\x28" + data[120:]


def undecodable() -> bytes:
    """High bytes that are no text in UTF-8 nor in any single-byte encoding charset-normalizer trusts."""
    return bytes([0x80, 0x81, 0xFE, 0xFF, 0x90]) * 50


def gzip_bomb(decoded: int = 50 * MB) -> bytes:
    """~50 KB of gzip that inflates to ``decoded`` zero bytes."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\0" * MB
    return b"".join([*(comp.compress(chunk) for _ in range(decoded // MB)), comp.flush()])


def billion_laughs(root: str = "rss") -> bytes:
    ents = ['<!ENTITY lol "lol">'] + [f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 2 else "") + ";") * 10}">'
                                       for i in range(2, 10)]
    body = "<channel><title>t</title><item><guid>1</guid><description>&lol9;</description></item></channel>"
    return f'<?xml version="1.0"?>\n<!DOCTYPE {root} [{"".join(ents)}]>\n<{root} version="2.0">{body}</{root}>'.encode()


def xxe(target: Path) -> bytes:
    return (f'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY s SYSTEM "file://{target}">]>\n'
            '<rss version="2.0"><channel><title>t</title><item><guid>x</guid><title>leak</title>'
            "<description>&s;</description></item></channel></rss>").encode()


def deep_html(depth: int = 100_000) -> str:
    return ("<html><body>" + "<div>" * depth + "<p>Vladimir Putin spoke about nuclear weapons in Moscow on Monday.</p>"
            + "</div>" * depth + "</body></html>")


def telegram_export() -> str:
    """A channel export whose messages lack fields or carry wrong types, among two good posts."""
    msgs = [
        {"id": 1, "type": "message", "date": "2022-10-02T16:05:11", "text": "Putin ordered nuclear drills."},
        {"type": "message", "date": "2022-10-02T16:06:11", "text": "no id"},  # E107
        {"id": 3, "type": "message", "text": "No date: Lukashenko met Putin in Minsk to discuss nuclear arms."},
        {"id": 4, "type": "message", "date": "2022-10-02T16:08:11"},  # no text: a photo post, skipped
        {"id": 5, "date": "yesterday", "text": "a date that is not one"},  # E107
        {"id": 6, "date": "2022-10-02T16:09:11", "text": 42},  # E107
        "not an object",  # E107
        {"id": 8, "date": {"y": 2022}, "text": "a date that is an object"},  # E107
        {"id": 9, "date": "9999-01-01T00:00:00", "text": "Medvedev threatened strikes, says a post from the future."},
    ]
    return json.dumps({"name": "Test Channel", "type": "public_channel", "id": 77, "messages": msgs})


# Telegram: stored posts (source) and failing messages (source suffix -> code, stage)
TELEGRAM_STORED = {"telegram:test-channel/1", "telegram:test-channel/3"}
TELEGRAM_ERRORS = {"#2": ("E107", "ingest"), "#5": ("E107", "ingest"), "#6": ("E107", "ingest"),
                   "#7": ("E107", "ingest"), "#8": ("E107", "ingest"), "telegram:test-channel/9": ("E107", "parse")}


def mixed_jsonl() -> str:
    return "\n".join([
        json.dumps({"text": "Sergei Shoigu inspected the nuclear forces on Tuesday in Moscow.", "title": "Shoigu"}),
        '{"text": "broken line, no closing brace"',
        json.dumps({"text": "Dmitry Medvedev repeated nuclear threats against Kyiv on Wednesday."}),
        "[1, 2, 3]",
        "",
        json.dumps({"text": "Sergei Ryabkov said arms control talks with Washington had stalled."}),
    ]) + "\n"


def wrong_types() -> str:
    good = "Alexander Lukashenko spoke of nuclear weapons in Belarus on {}."
    return json.dumps([
        {"text": 12},  # #1 E107 ingest
        {"text": good.format("Monday"), "published": {"year": 2022}},  # #2 E107 parse
        {"text": good.format("Tuesday"), "title": ["a", "list"]},  # #3 E107 ingest
        {"text": good.format("Wednesday"), "published": 1664719511},  # #4 E107 parse
        {"text": good.format("Thursday"), "url": 5},  # #5 E107 ingest
        {"title": "no text at all"},  # #6 E107 ingest
        {"text": good.format("Friday"), "published": "2022-10-07", "outlet": "TASS"},  # #7 stored
    ])


def deep_json(depth: int = 100_000) -> str:
    return "[" * depth + "]" * depth


def front_matter_only() -> str:
    return "---\ntitle: Only front matter\ndate: 2022-10-01\nauthor: Nobody\n---\n"


def write(folder: Path, files: Mapping[str, bytes | str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))


def big_text(path: Path, size: int, line: bool = False) -> None:
    """A text file of ``size`` bytes, written in 1 MB blocks (one single line when ``line``)."""
    block = ((EN + " ") * (MB // len(EN) + 1)).encode()[:MB]
    if not line:
        block = block[:-1] + b"\n"
    with path.open("wb") as f:
        for _ in range(size // MB):
            f.write(block)


Maker = Callable[[], bytes | str]

# The corpus: file name -> (content, expected code or None when the file is stored as a report).
CORPUS: dict[str, tuple[Maker, str | None]] = {
    "empty.txt": (lambda: b"", "E101"),
    "blank.md": (lambda: b" \n\t \r\n  ", "E101"),
    "binary.txt": (noise, "E102"),
    "binary.html": (png, "E102"),
    "binary.json": (lambda: gzip.compress(EN.encode() * 50), "E102"),
    "undecodable.txt": (undecodable, "E103"),
    "broken-utf8.txt": (utf8_with_bad_bytes, None),
    "utf16-bom.txt": (lambda: RU.replace("пятницу", "среду").encode("utf-16"), None),
    "utf16-nobom.txt": (lambda: RU.replace("пятницу", "четверг").encode("utf-16-le"), None),
    "cp1251.txt": (lambda: RU.replace("пятницу", "субботу").encode("cp1251"), None),
    "koi8r.txt": (lambda: RU.replace("пятницу", "воскресенье").encode("koi8-r"), None),
    "homoglyph.txt": (lambda: "Vladimir Putіn met Xi Jinping in Beijing to discuss nuclear arms control.", None),
    "rtl-marks.txt": (lambda: "\u200fVladimir Putin\u200e warned \u202eNATO\u202c about nuclear escalation.", None),
    "zero-width.txt": (lambda: "Пу\u200bтин провёл совещание по ядерному сдерживанию в Кремле.", None),
    "nul-bytes.txt": (lambda: b"Putin\x00 visited the\x00 nuclear test site at Novaya Zemlya.", None),
    "cr-only.txt": (lambda: "Medvedev posted on Telegram.\rHe threatened nuclear strikes.\rAgain.", None),
    "deep.html": (deep_html, None),
    "no-body.html": (lambda: "<html><head><title>Only a title, no body</title></head></html>", "E106"),
    "far-future.json": (lambda: json.dumps({"text": "Putin spoke about missiles.", "published": "9999-01-01"}),
                        "E107"),
    "before-1900.json": (lambda: json.dumps({"text": "Putin spoke about submarines.", "published": "1850-05-01"}),
                         "E107"),
    "spanish.txt": (lambda: "El presidente Vladimir Putin habló de armas nucleares el lunes en Moscú.", None),
    "chinese.txt": (lambda: "俄罗斯总统普京周一在莫斯科谈到了核武器问题。", None),
    "arabic.txt": (lambda: "تحدث الرئيس الروسي فلاديمير بوتين يوم الاثنين في موسكو عن الأسلحة النووية.", None),
    "front-matter-only.md": (front_matter_only, "E101"),
    "empty-list.json": (lambda: "[]", "E101"),
    "deep.json": (deep_json, "E104"),
    "broken.json": (lambda: '{\n  "text": "a report",\n  "title": \n}\n', "E104"),
    "a number.json": (lambda: "42", "E107"),
    "naïve файл ünï.txt": (lambda: "Lukashenko said on Thursday that Russian nuclear weapons were in Belarus.", None),
}
# The stage each corpus error is recorded at (ingest unless listed).
PARSE_STAGE = {"front-matter-only.md", "far-future.json", "before-1900.json", "no-body.html"}


# -- harness -----------------------------------------------------------------------------------------------------


def _tree(cls: type[EscwatchError]) -> list[type[EscwatchError]]:
    return [cls, *(sub for c in cls.__subclasses__() for sub in _tree(c))]


CODES = {c.code: c for c in _tree(EscwatchError)}


def cli(db: str, *args: str) -> tuple[int, Any]:
    r = CliRunner().invoke(app, ["--db", db, *args])
    if r.exception and not isinstance(r.exception, SystemExit):
        raise r.exception
    return r.exit_code, json.loads(r.stdout) if r.stdout.strip() else None


def ingest(db: str, *paths: str | Path, flags: tuple[str, ...] = ()) -> dict[str, Any]:
    _, data = cli(db, "ingest", *map(str, paths), "--json", "--no-stories", *flags)
    return data


def key(source: str, root: Path) -> str:
    """A source as a name inside ``root`` (file paths shortened; ``#n`` and ``:n`` kept)."""
    return source.replace(str(root) + os.sep, "")


def warm(db: str, tmp_path: Path) -> None:
    """Load the pack and models (first ingest of the session) before a measurement."""
    (tmp_path / "warm.txt").write_text(GOOD["good_ru.txt"], encoding="utf-8")
    ingest(db, tmp_path / "warm.txt")


def snapshot(db: str) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    """(report id, source) and (source, stage, code) of the whole store, sorted."""
    _, reps = cli(db, "reports", "--json", "--limit", "100000")
    _, errs = cli(db, "errors", "--json")
    return sorted((r["id"], r["source"]) for r in reps), sorted((e["source"], e["stage"], e["code"]) for e in errs)


def assert_typed(row: dict[str, Any], code: str) -> None:
    """An error row of a known class in errors.py: its code, and the hint after the message."""
    assert row["code"] == code and code in CODES, row
    assert row["message"].startswith(f"[{code}] ") and " — " in row["message"], row["message"]


def run(tmp_path: Path, db: str, files: Mapping[str, bytes | str], **good: str) -> tuple[dict[str, Any], Path]:
    """Ingest a folder of ``files`` plus one good report, twice: the good report is stored, the second run
    stores nothing new and leaves reports and error rows exactly as they were."""
    folder = tmp_path / "in"
    write(folder, {**files, **(good or {"good_en.txt": GOOD["good_en.txt"]})})
    first = ingest(db, folder)
    before = snapshot(db)
    stored = {key(s, folder) for _, s in before[0]}
    assert set(good or {"good_en.txt"}) <= stored, stored
    second = ingest(db, folder)
    assert second["new"] == 0 and snapshot(db) == before
    return first, folder


def errors_by_name(db: str, folder: Path) -> dict[str, dict[str, Any]]:
    _, rows = cli(db, "errors", "--json")
    return {key(r["source"], folder): r for r in rows}


def stored(db: str, folder: Path) -> dict[str, Any]:
    """Reports by source name, read back from the store (full records)."""
    store = store_at(db)
    try:
        _, reps = cli(db, "reports", "--json", "--limit", "100000")
        return {key(r["source"], folder): store.get_report(r["id"]) for r in reps}
    finally:
        store.close()


def entity_ids(report: Any) -> set[str]:
    return {m.entity_id for m in report.mentions}


def drip(h: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
    """An endless response: headers, then one byte every 0.1 s until the client hangs up (at most 10 s)."""
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.end_headers()
    try:
        for _ in range(100):
            h.wfile.write(b"<")
            h.wfile.flush()
            time.sleep(0.1)
    except OSError:
        pass
    h.close_connection = True
    raise ConnectionAbortedError("client hung up")  # the handler writes nothing more


def corpus(folder: Path, big: bool = True) -> tuple[set[str], set[tuple[str, str, str]]]:
    """Write the corpus (every CORPUS file, the good reports, the mixed JSON files, a Telegram export, a dangling
    link, a folder named x.txt; with ``big`` a 21 MB file and a 1 MB single line too) into ``folder``; return the
    sources expected as reports and the (source, stage, code) expected as error rows, relative to ``folder``."""
    files: dict[str, bytes | str] = {name: make() for name, (make, _) in CORPUS.items()}
    files.update(GOOD)
    files.update({"mixed.jsonl": mixed_jsonl(), "types.json": wrong_types(), "result.json": telegram_export()})
    write(folder, files)
    (folder / "dangling.txt").symlink_to(folder / "gone.txt")
    write(folder / "x.txt", {"in-a-folder-named-x.txt.txt": "Sergei Lavrov spoke in Ankara about nuclear talks."})
    reports = ({n for n, (_, code) in CORPUS.items() if code is None} | set(GOOD) | TELEGRAM_STORED
               | {"mixed.jsonl:1", "mixed.jsonl:3", "mixed.jsonl:6", "types.json#7",
                  "x.txt/in-a-folder-named-x.txt.txt"})
    errors = {(n, "parse" if n in PARSE_STAGE else "ingest", code) for n, (_, code) in CORPUS.items() if code}
    errors |= {("dangling.txt", "ingest", "E100"), ("mixed.jsonl:2", "ingest", "E104"),
               ("mixed.jsonl:4", "ingest", "E107")}
    errors |= {(f"types.json#{n}", "parse" if n in (2, 4) else "ingest", "E107") for n in range(1, 7)}
    errors |= {(("result.json" + k) if k.startswith("#") else k, stage, code)
               for k, (code, stage) in TELEGRAM_ERRORS.items()}
    errors = {(n + ":1" if n == "a number.json" else n, s, c) for n, s, c in errors}  # read as JSON lines
    if big:
        big_text(folder / "huge.txt", 21 * MB)
        big_text(folder / "one-line.txt", 1 * MB, line=True)
        errors |= {("huge.txt", "ingest", "E108"), ("one-line.txt", "parse", "E108")}
    return reports, errors
