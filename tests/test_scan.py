"""The prefix-indexed scanner finds what one plain alternation finds, on every pack and language pattern."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest

from escwatch.analyse.heads import KEY, index_keys, start_finder, trie_regex
from escwatch.analyse.scan import Scanner, words_of
from escwatch.demo import corpus_dir
from escwatch.lang import ATTRIBUTION_KEYS, PATTERN_KEYS, SUPPORTED, load_lang


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


@pytest.mark.parametrize("lang", SUPPORTED)
def test_scanner_agrees_with_plain_alternation_on_ranges(lang: str) -> None:
    """Ranged scans share one candidate table per text; ranges cut anywhere, also inside words."""
    text = (corpus_dir() / "reports.jsonl").read_text(encoding="utf-8")[:40_000]
    cuts = sorted({*range(0, len(text), 97), *(m.end() for m in re.finditer(r"[.!?]\s", text))})
    ranges = [*pairwise(cuts), *zip(cuts, cuts[3:], strict=False)]
    res = load_lang(lang)
    for keys in (ATTRIBUTION_KEYS, ("speculative", "reported", "denied", "hedged", "denied_verbs")):
        scanner = res.scanner(keys)
        plain = {k: re.compile("|".join(f"(?:{p})" for p in res.patterns[k]), re.IGNORECASE)
                 for k in keys if res.patterns.get(k)}
        for s, e in ranges:
            got = scanner.by_label_in(text, s, e)
            for k, rx in plain.items():
                assert [m.span() for m in got.get(k, [])] == [m.span() for m in rx.finditer(text, s, e)], (lang, k, s)


def test_start_finder_finds_every_start() -> None:
    text = "Er zei, he said: 'Sources: x'  said  Told\n- said , warned ab abc"
    for pattern in (r"\s+(?:said|told)\b", r",\s*warned", r"^\s*Sources?:", r"\bab?c?", r"[-–]\s*said", r"'\w+"):
        finder = start_finder(pattern, re.IGNORECASE)
        assert finder is not None
        rx = re.compile(pattern, re.IGNORECASE)
        starts = {m.start() for m in finder.finditer(text)}
        assert {p for p in range(len(text)) if rx.match(text, p)} <= starts, pattern


def test_scanner_at_text_end_and_inside_words() -> None:
    """Words shorter than a key at the text's end, ranges cut inside a word, one label's patterns joined."""
    pats = [r"\bab\b", r"\bab[xy]", r"\babcd\w*", r"\bx\s*y"]  # at most one matches at a position
    plain = re.compile("|".join(f"(?:{p})" for p in pats), re.IGNORECASE)
    scanner = Scanner.build(("k", p) for p in pats)
    for text in ("ab", "xab ab", "abcde AB x y", "zz abx", "x", "aby"):
        for s in range(len(text) + 1):
            for e in range(s, len(text) + 1):
                got = scanner.by_label(text, s, e).get("k", [])
                assert [m.span() for m in got] == [m.span() for m in plain.finditer(text, s, e)], (text, s, e)


def test_phrases_prefer_the_longest_at_a_position() -> None:
    from escwatch.lang import Phrases

    ph = Phrases(["far", "far east", "far eastern", "east"], re.IGNORECASE)
    text = "the Far Eastern and far east, far, east, fare"
    assert [m.group() for m in ph.finditer(text)] == [m.group() for m in ph.rx.finditer(text)]
    assert [m.group() for m in ph.finditer(text)] == ["Far Eastern", "far east", "far", "east"]


TRICKY = "SAİD ΟΔΟΣ'Α Straße_1 x\u0130y—said, İstanbul ǅemal ﬁnal"  # case changes that change length or context


def test_words_of_is_finditer_on_the_text() -> None:
    for text in (TRICKY, TRICKY.lower(), "", "  ", "a"):
        assert words_of(text) == ([m.start() for m in re.finditer(r"\w+", text)], re.findall(r"\w+", text))


def test_speech_verbs_in_reads_each_range_like_its_slice() -> None:
    res = load_lang("en")
    text = "He said, SAİD she; they stressed: we warned—noted. " + TRICKY
    for a in range(0, len(text) + 1, 3):
        for b in range(a, len(text) + 1, 2):
            want = [(a + m.start(), a + m.end()) for m in re.finditer(r"\w+", text[a:b])
                    if res.is_speech_verb(m.group())]
            assert res.speech_verbs_in(text, a, b) == want, (a, b)


def test_find_regions_one_pass_matches_per_kind_phrases():
    """The merged region scanner finds what the exact and loose ``Phrases`` find one after the other."""
    for code in SUPPORTED:
        res = load_lang(code)
        if not res.regions:
            continue
        phrases = list(res.regions)
        text = " ".join(phrases) + ". " + " x ".join(p.upper() for p in phrases) + " "
        text += " ".join(p.lower() for p in phrases) + " " + "".join(phrases)
        slow = [(m.span(), m.group()) for rx in res._region_rxs for m in rx.finditer(text)
                if res.regions.get(m.group()) or res._regions_lower.get(m.group().lower())]
        fast = [(m.span(), m.group()) for m, _ in res.find_regions(text)]
        assert fast == slow
        assert res._region_scanner is not None


def test_word_heads_of_scanned_patterns() -> None:
    """Scanned patterns that begin at, or in the non-word characters just before, a word with a known key are
    tried only there: they find what the plain alternation finds, also for odd case folds (ſ, ᲃ) and ranges."""
    from escwatch.analyse.heads import word_head

    assert word_head(r"\s+(?:said|says)\b", re.IGNORECASE) == {"said", "says"}
    assert word_head(r"(?:(?<=\bon )|(?<=\bmid-))May\b", re.IGNORECASE) == {"may"}
    assert word_head(r"(?<=x)May", re.IGNORECASE) is None  # may start inside a word
    assert word_head(r"\s*said", re.IGNORECASE) is None  # may start inside a word ("unsaid")
    assert word_head(r"\b\w+e bronnen", re.IGNORECASE) is None
    pats = [r"\s+(?:said|says)\b", r",\s*(?:said|added)\b", r"(?:(?<=\bearly )|(?<=\bmid-))May\b",
            r"'s (?:report)\b", r"[,–—-]\s*сказал", r"(?:(?<=\bв )|(?<=\bна ))среду\b", r"\bx+y"]
    plain = re.compile("|".join(f"(?:{p})" for p in pats), re.IGNORECASE)
    scanner = Scanner.build(("k", p) for p in pats)
    assert scanner.heads and scanner.rest
    text = ("He  said, ſaid;  SAYS early May, mid-MAY, unsaid xxy Trump's report,— сказал в среду на ᲃреду "
            "насреду ,\tADDED\n said")
    assert plain.findall(text) == [m.group() for m in scanner.by_label(text).get("k", [])]
    for s in range(0, len(text) + 1, 3):
        for e in range(s, len(text) + 1, 4):
            want = [m.span() for m in plain.finditer(text, s, e)]
            assert [m.span() for m in scanner.by_label(text, s, e).get("k", [])] == want, (s, e)
            assert [m.span() for m in scanner.by_label_in(text, s, e).get("k", [])] == want, (s, e)


def test_scanners_sharing_a_word_table_find_their_own() -> None:
    """Scanners that share a word table (one lookup per word for all) find what each finds on its own, also
    when they join it between texts and take turns on two texts."""
    from escwatch.analyse.scan import WordTable

    groups = [[r"\bnuclear\b", r"\bnu\w+"], [r"\bnuclear (?:test|drill)s?\b", r"\s+said\b"], [r"\bdrills?\b"]]
    texts = ["Nuclear drills, a nuclear test, he said; nuke drill", "nu nuclear tests said drills nuclear"]
    table = WordTable()
    shared = [Scanner.build((("g", i), p) for p in ps) for i, ps in enumerate(groups)]
    for sc in shared:
        sc.table = table
    alone = [Scanner.build((("g", i), p) for p in ps) for i, ps in enumerate(groups)]
    def spans(found: dict[object, list[re.Match[str]]]) -> dict[object, list[tuple[int, int]]]:
        return {k: [m.span() for m in ms] for k, ms in found.items()}

    for _ in range(2):
        for text in texts:
            for a, b in zip(shared, alone, strict=True):
                assert spans(a.by_label(text)) == spans(b.by_label(text))
                assert spans(a.by_label_in(text, 3, len(text) - 2)) == spans(b.by_label_in(text, 3, len(text) - 2))
