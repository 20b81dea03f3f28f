"""Reports per second of the per-report analysis on one core, for ~600-word reports.

Prints, in the same run, a bound: the time to only read and regex-tokenise the same texts, and the
ratio between the two. Texts are built from the bundled demo corpus (written by the team).

    python -m benchmarks.analyse_throughput [--n 300]
"""

from __future__ import annotations

import argparse
import re
import time

from benchmarks import result_option, save_result
from benchmarks.generate import texts
from escwatch.analyse.context import make_context
from escwatch.analyse.pipeline import analyse_report
from escwatch.parse import parse
from escwatch.records import RawDoc

WORDS = 600


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=300)
    result_option(ap)
    args = ap.parse_args()
    docs = texts(args.n)
    ctx = make_context()
    _ = ctx.gazetteer
    first: dict[str | None, str] = {}
    for text, lang in docs:
        first.setdefault(lang, text)
    for text in first.values():  # warm the one-time costs of each language (pattern compiles, lingua models,
        analyse_report(parse(RawDoc("warm", "txt", text)), ctx)  # dateparser locales): a rate, not a start-up

    t0 = time.perf_counter()
    tok = re.compile(r"\w+|[^\w\s]")
    n_tok = 0
    for text, _lang in docs:
        n_tok += len(tok.findall(text.encode("utf-8").decode("utf-8")))
    bound = time.perf_counter() - t0

    t0 = time.perf_counter()
    for i, (text, _lang) in enumerate(docs):
        analyse_report(parse(RawDoc(f"b{i}", "txt", text, {"published": "2022-10-05T10:00:00+00:00"})), ctx)
    full = time.perf_counter() - t0

    print(f"reports: {len(docs)} x {WORDS} words, languages: {len({lang for _, lang in docs})}, one core")
    print(f"read + regex-tokenise (bound): {len(docs) / bound:10.0f} reports/s  ({n_tok} tokens)")
    print(f"full analysis (no embeddings): {len(docs) / full:10.1f} reports/s")
    print(f"ratio bound / analysis:        {bound and full / bound:10.1f}x slower than the bound")
    save_result(args.result, {"reports": len(docs), "rate": len(docs) / full, "bound": len(docs) / bound,
                              "ratio": full / bound})


if __name__ == "__main__":
    main()
