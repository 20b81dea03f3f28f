"""The prefix-indexed scanner finds what one plain alternation finds, on every pack and language pattern."""

from __future__ import annotations

import re

import pytest

from escwatch.analyse.scan import KEY, Scanner, index_keys, trie_regex
from escwatch.demo import corpus_dir
from escwatch.lang import PATTERN_KEYS, SUPPORTED, load_lang


def test_index_keys_reads_literal_prefixes() -> None:
    assert index_keys(r"\b(?:Atom|Kern)waffen?\b") == {"atomwaffen"[:KEY], "kernwaffen"[:KEY]}
    assert index_keys(r"(?<!non-)\bnuclear (?:trains?)") == {"nuclear"[:KEY]}
    assert index_keys(r"\b(?:ge)?leverd\b") == {"geleverd"[:KEY], "leverd"[:KEY]}
    assert index_keys(r"\b\d{1,2} oct") == set("0123456789")
    assert index_keys(r"oefening\w*") is None  # no \b: may match inside a word, so it is scanned
    assert index_keys(r"\b\w+ said") is None


def test_trie_regex_matches_exactly_its_words() -> None:
    rx = re.compile(f"(?:{trie_regex(['abc', 'abd', 'ab', 'x'])})$")
    assert all(rx.match(w) for w in ["abc", "abd", "ab", "x"])
    assert not any(rx.match(w) for w in ["a", "abx", "xy", ""])


@pytest.mark.parametrize("lang", SUPPORTED)
def test_scanner_agrees_with_plain_alternation(lang: str) -> None:
    texts = [line for line in (corpus_dir() / "reports.jsonl").read_text(encoding="utf-8").splitlines()]
    text = "\n".join(texts)
    res = load_lang(lang)
    for key in PATTERN_KEYS:
        pats = res.patterns.get(key)
        if not pats:
            continue
        flags = re.IGNORECASE | (re.MULTILINE if key in ("teasers", "paywall") else 0)
        plain = re.compile("|".join(f"(?:{p})" for p in pats), flags)
        want = [m.start() for m in plain.finditer(text)]
        got = [m.start() for m in Scanner.build(((key, p) for p in pats), flags).by_label(text).get(key, [])]
        assert got == want, (lang, key)


def test_scanner_agrees_on_indicator_roles() -> None:
    from escwatch.packs import load_packs

    text = (corpus_dir() / "reports.jsonl").read_text(encoding="utf-8")
    for ind in load_packs().indicators.values():
        for name, role in ind.roles.items():
            for lang in role.patterns:
                pats = role.patterns_for(lang)
                plain = re.compile("|".join(f"(?:{p})" for p in pats), re.IGNORECASE)
                got = Scanner.build((name, p) for p in pats).by_label(text).get(name, [])
                assert [m.start() for m in got] == [m.start() for m in plain.finditer(text)], (ind.id, name, lang)
