"""Fuzz the file readers, the parser and the analysis with atheris.

Input bytes: the first byte picks the file type (.txt .md .html .json .jsonl); the rest is the file.
Whatever the bytes, the readers must yield documents or ErrorRecords, parse and analyse may only raise
an EscwatchError, and every span the analysis extracts must slice the report text.

    python fuzz/fuzz_text.py fuzz/corpus/text -max_total_time=600      (see fuzz/README.md)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["escwatch"]):
    from escwatch.analyse.context import make_context
    from escwatch.analyse.pipeline import analyse_report
    from escwatch.errors import EscwatchError
    from escwatch.ingest.files import read_file
    from escwatch.parse import parse
    from escwatch.records import ErrorRecord, RawDoc, Report, content_hash

SUFFIXES = (".txt", ".md", ".html", ".json", ".jsonl")
CTX = make_context()
WORK = Path(tempfile.mkdtemp(prefix="escwatch-fuzz-"))
analyse_report(parse(RawDoc("warm-up", "txt", "Putin visited Kaliningrad on 3 October 2022.")), CTX)  # load models


def check_spans(rep: Report) -> None:
    """Every extracted span (and indicator evidence) is the report text at its offsets."""
    for key in ("mentions", "places", "dates", "quotes", "claims", "cited_sources"):
        for s in getattr(rep, key):
            if rep.text[s.start:s.end] != s.text:
                raise AssertionError(f"{key} span {s.start}:{s.end} {s.text!r} does not slice the text")
    for hit in rep.indicators:
        if rep.text[hit.start:hit.end] != hit.evidence:
            raise AssertionError(f"indicator {hit.id} evidence does not slice the text")


def one_doc(doc: RawDoc) -> None:
    try:
        rep = parse(doc)
    except EscwatchError:
        return
    if rep.id != content_hash(rep.text) or not rep.text.strip():
        raise AssertionError("a parsed report has no text or an id that is not its content hash")
    try:
        done = analyse_report(rep, CTX)
    except EscwatchError:
        return
    check_spans(done)


def test_one_input(data: bytes) -> None:
    if not data:
        return
    path = WORK / f"doc{SUFFIXES[data[0] % len(SUFFIXES)]}"
    path.write_bytes(data[1:])
    for item in read_file(path):
        if isinstance(item, ErrorRecord):
            if not item.code.startswith("E1"):
                raise AssertionError(f"a reader error with a code outside E1xx: {item}")
            continue
        if not isinstance(item, RawDoc):
            raise AssertionError(f"a reader yielded {type(item).__name__}")
        one_doc(item)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
