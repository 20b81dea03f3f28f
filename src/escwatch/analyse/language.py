"""Language stage: lingua restricted to the pack's languages plus their neighbours.

Neighbours (Bulgarian, Belarusian, Czech, ...) are in the model so that a Bulgarian copy of a story
is recorded as Bulgarian, not forced into Russian.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from functools import lru_cache

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from escwatch.analyse.context import Context
from escwatch.analyse.scan import words_of
from escwatch.lang import load_lang
from escwatch.records import Report, replace

NEIGHBOURS = ("bg", "be", "cs", "sk", "sr", "hr", "sl", "ro", "it", "es", "pt", "sv", "da", "nb", "fi", "lt",
              "lv", "et", "hu", "tr", "kk", "af")
SAMPLE_CHARS = 2000


@lru_cache(maxsize=4)
def detector(languages: tuple[str, ...]) -> LanguageDetector:
    langs = []
    for code in dict.fromkeys(languages + NEIGHBOURS):
        try:
            langs.append(Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())))
        except (AttributeError, ValueError):
            continue
    return LanguageDetectorBuilder.from_languages(*langs).build()


FAST_MIN_TOKENS = 40
FAST_MIN_DENSITY = 0.18  # share of tokens that are function words of the winning language
_WORD = re.compile(r"\w+")
# letters and words that mark a Cyrillic or Latin text as a language the fast path does not know
FOREIGN_LETTERS = re.compile(r"[ўЎђћџљњЂЋЏЉЊășțşţ]")
FOREIGN_HARD_SIGN = re.compile(r"[бвгджзклмнпрстфхцчшщ]ъ[бвгджзклмнпрстфхцчшщ]")
FOREIGN_WORDS = frozenset({"della", "degli", "sono", "esta", "pero", "uma", "não", "och", "ikke", "eller", "og"})


@lru_cache(maxsize=4)
def _function_words(languages: tuple[str, ...]) -> dict[str, tuple[int, ...]]:
    """word -> indexes (into ``languages``) of the languages it is a function word of."""
    index: dict[str, list[int]] = {}
    for i, code in enumerate(languages):
        for w in load_lang(code).stopwords:
            index.setdefault(w, []).append(i)
    return {w: tuple(v) for w, v in index.items()}


def _foreign(sample: str, words: list[str]) -> bool:
    """Foreign letters or words in a lower-cased sample whose ``\\w+`` words are ``words`` (each test in C)."""
    return bool(FOREIGN_LETTERS.search(sample) or ("ъ" in sample and FOREIGN_HARD_SIGN.search(sample))
                or not FOREIGN_WORDS.isdisjoint(words))


# lower-casing changes which characters are word characters only for "İ" (-> "i" and a combining dot), and
# lower-cases "Σ" by its context (final "ς"), which a word read apart from the text lacks
_LOWER_UNLIKE_WORDS = ("İ", "Σ")


def _sample_words(text: str) -> list[str]:
    """``\\w+`` words of ``text[:SAMPLE_CHARS].lower()``: the text's words as the scanners find them (once per
    text, kept for the later stages), cut at SAMPLE_CHARS and lower-cased in one call, instead of a second
    regex pass over the sample."""
    sample = text[:SAMPLE_CHARS]
    if any(c in sample for c in _LOWER_UNLIKE_WORDS):
        return _WORD.findall(sample.lower())
    at, words = words_of(text)
    k = bisect_left(at, SAMPLE_CHARS)
    if not k:
        return []
    head = words[:k]
    head[-1] = head[-1][:SAMPLE_CHARS - at[k - 1]]  # a word the sample cuts
    return " ".join(head).lower().split(" ")


def _fast(text: str, languages: tuple[str, ...]) -> str | None:
    """Function-word counts decide long texts in the pack's languages at once; None when unsure."""
    sample = text[:SAMPLE_CHARS].lower()
    words = _sample_words(text)
    if len(words) < FAST_MIN_TOKENS or _foreign(sample, words):
        return None
    index = _function_words(languages)
    counts = [0] * len(languages)
    for w in filter(index.__contains__, words):
        for i in index[w]:
            counts[i] += 1
    order = sorted(range(len(languages)), key=counts.__getitem__, reverse=True)
    best = counts[order[0]]
    second = counts[order[1]] if len(order) > 1 else 0
    if best >= FAST_MIN_DENSITY * len(words) and best >= 2 * second:
        return languages[order[0]]
    return None


WARM_TEXT = "the news and the report, de berichten, die Nachrichten, les nouvelles, wiadomości, новости, новини"


def warm(languages: tuple[str, ...]) -> None:
    """Load every language model now (~4 s) rather than on the first hard text: for long-running
    processes, so that no item waits for a model load."""
    detector(languages).compute_language_confidence_values(WARM_TEXT)


def detect(text: str, languages: tuple[str, ...]) -> str | None:
    fast = _fast(text, languages)
    if fast:
        return fast
    lang = detector(languages).detect_language_of(text[:SAMPLE_CHARS])
    return lang.iso_code_639_1.name.lower() if lang else None


def run(report: Report, ctx: Context) -> Report:
    sample = report.text if len(report.text) > 40 else f"{report.title or ''} {report.text}"
    found = detect(sample, ctx.pack.languages or ("en",)) if sample.strip() else None
    return replace(report, language=found or report.declared_language)
