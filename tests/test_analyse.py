"""Per-stage tests on sentences written by the team."""

from pathlib import Path

from conftest import names
from escwatch.analyse.text import sentences, stem

FIX = Path(__file__).parent / "fixtures" / "reports"


def test_sentences_respect_abbreviations_and_quotes() -> None:
    text = "Gen. Gerasimov arrived. He said “we are ready.” Then he left!\n\nNew paragraph"
    got = [text[s:e] for s, e in sentences(text)]
    assert got == ["Gen. Gerasimov arrived.", "He said “we are ready.”", "Then he left!", "New paragraph"]


def test_slavic_stems() -> None:
    assert stem("Путина") == stem("Путин") == stem("Путиным")
    assert stem("Москве") == stem("Москва")


def test_language_of_each_supported_language(analyse) -> None:  # type: ignore[no-untyped-def]
    samples = {
        "nl": "De trein werd gefilmd terwijl hij naar het westen reed.",
        "en": "The train was filmed while it was heading west.",
        "de": "Der Zug wurde gefilmt, als er nach Westen fuhr.",
        "fr": "Le train a été filmé alors qu'il se dirigeait vers l'ouest.",
        "pl": "Pociąg został nagrany, gdy jechał na zachód.",
        "ru": "Поезд сняли на видео, когда он ехал на запад.",
        "uk": "Потяг зняли на відео, коли він їхав на захід.",
    }
    for lang, text in samples.items():
        assert analyse(text).language == lang, lang


def test_entities_link_across_languages(analyse) -> None:  # type: ignore[no-untyped-def]
    rep = analyse((FIX / "nl_trein.txt").read_text(encoding="utf-8"))
    found = names(rep)
    assert {"Vladimir Putin", "NATO", "Konrad Muzyka"} <= found
    # common words are not names
    surfaces = {m.text for m in rep.mentions}
    assert not surfaces & {"Bron", "Zo", "Kans", "LEES"}
    ru = analyse("Путина поддержал Лукашенко, а Путину ответили в НАТО.", language="ru")
    assert {"Vladimir Putin", "Alexander Lukashenko", "NATO"} <= names(ru)


def test_places_with_coordinates_and_codes(analyse) -> None:  # type: ignore[no-untyped-def]
    rep = analyse((FIX / "nl_trein.txt").read_text(encoding="utf-8"))
    by_code = {p.code: p for p in rep.places if p.code}
    assert "UA-09" in by_code  # Loegansk
    assert "UA-65" in by_code  # Cherson
    assert abs(by_code["UA-09"].lat - 48.6) < 1.0
    regions = [p for p in rep.places if p.precision == "region"]
    assert regions and regions[0].name == "Central Russia"  # "centraal Rusland" is a region, not a city
    assert all(p.text not in {"Bron", "Kans", "Zo"} for p in rep.places)


def test_relative_dates_resolve_against_publication(analyse) -> None:  # type: ignore[no-untyped-def]
    rep = analyse("De trein werd de afgelopen dagen gefilmd. Vorige week annexeerde Rusland vier gebieden. "
                  "De oefeningen worden jaarlijks in oktober gehouden.", published="2022-10-05T10:00:00+00:00")
    kinds = {d.text.lower(): d for d in rep.dates}
    rng = kinds["de afgelopen dagen"]
    assert rng.kind == "range" and rng.value == "2022-09-28" and rng.until == "2022-10-05"
    week = kinds["vorige week"]
    assert week.value == "2022-09-26" and week.until == "2022-10-02"
    assert any(d.kind == "recurring" and d.recurrence == "yearly:10" for d in rep.dates)


def test_quotes_and_speakers(analyse) -> None:  # type: ignore[no-untyped-def]
    rep = analyse((FIX / "nl_trein.txt").read_text(encoding="utf-8"))
    q = [x for x in rep.quotes if "signaal aan het Westen" in x.text]
    assert q and q[0].speaker == "Konrad Muzyka" and q[0].kind == "direct"
    ru = analyse("«Это не блеф», — сказал Владимир Путин в среду.", language="ru")
    assert ru.quotes and ru.quotes[0].speaker == "Vladimir Putin"


def test_claim_modalities(analyse) -> None:  # type: ignore[no-untyped-def]
    rep = analyse((FIX / "nl_trein.txt").read_text(encoding="utf-8"))
    by_text = {c.text[:25]: c.modality for c in rep.claims}
    assert by_text["De NAVO zou haar bondgeno"] in {"reported", "hedged", "speculative"}
    assert by_text["De trein reed door centra"] == "asserted"
    assert any(c.modality == "denied" for c in rep.claims if "gelooft niet" in c.text)


def test_cited_sources(analyse) -> None:  # type: ignore[no-untyped-def]
    rep = analyse((FIX / "nl_trein.txt").read_text(encoding="utf-8"))
    cited = [c.name for c in rep.cited_sources]
    assert cited[:2] == ["The Times", "The Telegraph"]
    en = analyse("The convoy was seen near Belgorod, according to Reuters, citing local residents.")
    assert "Reuters" in [c.name for c in en.cited_sources]


def test_indicators_with_evidence(analyse) -> None:  # type: ignore[no-untyped-def]
    rep = analyse((FIX / "nl_trein.txt").read_text(encoding="utf-8"))
    ids = {h.id for h in rep.indicators}
    assert {"nuclear_weapons_movement", "nuclear_test_activity", "territorial_annexation"} <= ids
    for h in rep.indicators:
        assert rep.text[h.start:h.end] == h.evidence
        assert 0 < h.confidence <= 1
    control = analyse("Ajax won the derby 3-1 on Sunday in Amsterdam after two goals in the second half.")
    assert control.indicators == ()


def test_every_span_points_into_the_text(analyse) -> None:  # type: ignore[no-untyped-def]
    rep = analyse((FIX / "nl_trein.txt").read_text(encoding="utf-8"))
    for group in (rep.mentions, rep.places, rep.dates, rep.quotes, rep.claims, rep.cited_sources):
        for item in group:
            assert rep.text[item.start:item.end] == item.text


def test_common_date_forms_resolve_without_dateparser() -> None:
    from datetime import date

    from escwatch.analyse.dates import _quick

    day = date(2022, 10, 5)  # a Wednesday
    assert _quick("3 oktober 2022", "nl", day) == date(2022, 10, 3)
    assert _quick("october 3", "en", day) == date(2022, 10, 3)
    assert _quick("3 октября", "ru", day) == date(2022, 10, 3)
    assert _quick("12 dezember", "de", day) == date(2021, 12, 12)  # a year left out: the most recent past one
    assert _quick("2022-10-01", "en", day) == date(2022, 10, 1)
    assert _quick("on friday", "en", day) == date(2022, 9, 30)
    assert _quick("w środę", "pl", day) == date(2022, 9, 28)  # the same weekday: a week before, as dateparser
    assert _quick("в пятницу", "ru", day) == date(2022, 9, 30)
    assert _quick("środowisko", "pl", day) is None  # a longer word is not a weekday
    assert _quick("31 februari", "nl", day) is None


def test_relative_dates_without_any_anchor_stay_unresolved(analyse) -> None:  # type: ignore[no-untyped-def]
    """No publication date and no absolute date in the text: 'maandag' and 'gisteren' cannot be placed
    (they were once resolved against 2000-01-01); with a publication date they are."""
    text = "Op maandag zei de minister in Den Haag dat de oefening begint. Gisteren bleef het rustig."
    bare = analyse(text, published=None)
    assert bare.published is None
    assert {d.text.lower(): d.value for d in bare.dates} == {"op maandag": None, "gisteren": None}
    dated = analyse(text, published="2022-10-05T10:00:00+00:00")
    assert {d.text.lower(): d.value for d in dated.dates} == {"op maandag": "2022-10-03", "gisteren": "2022-10-04"}


def test_speaker_and_quote_lookups_in_or_out_of_order(analyse, ctx) -> None:  # type: ignore[no-untyped-def]
    """Mentions and quotes are looked up by bisection when in start order, else by a scan in the given order:
    either way the same as filtering them in order."""
    from dataclasses import replace

    from escwatch.analyse import claims, quotes

    rep = analyse("Volgens Poetin is het een signaal. “Wij zijn er klaar voor,” zei Zelensky gisteren. "
                  "De Russische leider benadrukte dat het Westen faalt, maar Biden gelooft niet dat Moskou wint.")
    assert rep.quotes and rep.mentions
    spans = [(s, e) for s in range(0, len(rep.text), 7) for e in (s, s + 30, s + 90)]
    for r in (rep, replace(rep, mentions=rep.mentions[::-1])):
        doc = quotes._Doc(r, ctx.lang(r.language))
        for s, e in spans:
            assert doc.speakers(s, e) == [m for m in r.mentions if s <= m.start < e and m.type in quotes.SPEAKER_TYPES]
    for qs in (rep.quotes, rep.quotes[::-1]):
        over = claims._overlapping(qs)
        for s, e in spans:
            assert over(s, e) == [q for q in qs if q.speaker and q.start < e and q.end > s]


def test_abbreviation_check_equals_the_regex_on_the_last_eight_characters() -> None:
    """_abbreviation skips the regex after five letters or digits in a row; it must agree with ABBREV itself
    at every full stop, including abbreviations at the very start, inside words and after underscores."""
    import random

    from escwatch.analyse.text import ABBREV, _abbreviation

    body = ABBREV.pattern.split(r"\b(?:", 1)[1].rsplit(r")\.)$", 1)[0]  # every abbreviation ABBREV lists
    listed = [w.replace("\\.", ".") for w in body.replace("[A-ZА-Я]", "A|Я").split("|")]
    words = [*listed, "xMr", "zuständig", "12", "_Dr", "a_b", "Westen", "mln", "", "abcdeSt"]
    gaps = [" ", "", "\n", "(", "-", "„", "_", " x"]
    rng = random.Random(7)
    texts = [".".join(words), *(f"Wort {w}. Satz" for w in listed)]
    texts += ["".join(rng.choice(words) + rng.choice(gaps) + "." * rng.randint(0, 1) for _ in range(rng.randint(1, 6)))
              for _ in range(3000)]
    checked = 0
    for text in texts:
        for a in range(1, len(text) + 1):
            if text[a - 1] == ".":
                checked += 1
                assert _abbreviation(text, a) == bool(ABBREV.search(text[max(0, a - 8):a])), (text, a)
    assert checked > 3000


def test_name_runs_equal_a_scan_of_every_name_token() -> None:
    """_runs tries only name tokens with another one next to them or one further on; the runs it finds
    are those a scan from every name token finds, minus the lone words."""
    import random

    from escwatch.analyse.entities import PARTICLES, _runs
    from escwatch.analyse.text import Tokens

    def slow(toks: Tokens, taken: set[int], name: list[bool]) -> list[tuple[int, int]]:
        texts, gaps, n = toks.texts, toks.gaps, len(toks.texts)
        runs: list[tuple[int, int]] = []
        for i in range(n):
            if not name[i] or i in taken or (runs and i <= runs[-1][1]):
                continue
            j = i
            while j + 1 < n and j + 1 not in taken and j - i < 5:
                gap, nxt = gaps[j + 1], texts[j + 1]
                if gap == " " and name[j + 1]:
                    j += 1
                elif j + 2 < n and name[j + 2] and ((gap == " " and nxt in PARTICLES)
                                                     or (gap == "" and nxt == "-" and gaps[j + 2] == "")):
                    j += 2
                else:
                    break
            runs.append((i, j))
        return [(i, j) for i, j in runs if j > i]

    rng = random.Random(11)
    for _ in range(5000):
        n = rng.randint(0, 14)
        texts = [rng.choice(["Anna", "de", "van", "-", ",", "x", "Jong"]) for _ in range(n)]
        gaps = [rng.choice([" ", " ", "", "\n"]) for _ in range(n + 1)]
        toks = Tokens(texts, list(range(n)), list(range(n)), gaps)
        name = [rng.random() < 0.6 for _ in range(n)]
        taken = {i for i in range(n) if rng.random() < 0.15}
        assert _runs(toks, taken, name) == slow(toks, taken, name), (texts, gaps, name, taken)


TRICKY_CLAUSES = [
    "De trein reed door, maar niemand zag het gebeuren vandaag. Het was stil; but they came anyway to the square.",
    "He was alert, alert as always in the morning; ALE jest to dziwne i nowe, однако никто не знал об этом.",
    "Die Lage ist ernst,\nAber niemand weiß, warum es so ist, doch alle warten ab.",  # a split across a line break
    "Он сказал, но потом передумал и ушёл домой, а потом, однако, вернулся назад.",
    "Short, but. Kort, maar ook; mais non, le train est parti hier soir.",
]


def test_clauses_split_only_where_a_sentence_is_searched() -> None:
    """The sentences that MAY_SPLIT rules out would not split: the same clauses as searching every sentence."""
    from escwatch.analyse import claims

    def searched(text: str) -> list[tuple[int, int]]:
        out = []
        for s, e in sentences(text):
            start = s
            for m in claims.CONTRAST.finditer(text, s, e):
                out.append((start, m.start()))
                start = m.end()
            out.append((start, e))
        return [(s, e) for s, e in out if claims.ENOUGH_WORDS.match(text, s, e)]

    for text in TRICKY_CLAUSES:
        assert claims.clauses(text) == searched(text), text
    assert any(len(claims.clauses(t)) > len(sentences(t)) for t in TRICKY_CLAUSES)  # some do split


def test_said_that_is_not_sought_where_a_cue_decides(analyse, ctx) -> None:  # type: ignore[no-untyped-def]
    """Claims look for "X said that" only when no cue in BEFORE_SAID is found: the same modalities as always
    looking for it."""
    from escwatch.analyse import claims

    texts = [(FIX / "nl_trein.txt").read_text(encoding="utf-8"),
             "Poetin zei dat de oefening mogelijk zou kunnen escaleren. Peskov zei dat het naar verluidt een test was. "
             "De minister zei dat het geen dreiging was, maar Biden ontkende dat Moskou wint.",
             "The Kremlin said that the drills were reportedly routine, but analysts said that it may be a signal. "
             "The ministry said that the West rejected the offer. The ministry said that it was probably a drill.",
             "Pat Ryder ocenił, że Rosja zaprzeczyła tym doniesieniom. Już wcześniej zapewniał, że to prawdopodobnie "
             "ćwiczenia."]  # "zapewniał, że" makes a hedged clause reported
    for text in texts:
        rep = analyse(text)
        res = ctx.lang(rep.language)
        scan = res.scanner(claims.CUES).by_label_in
        for c in rep.claims:
            cues = scan(rep.text, c.start, c.end)
            said = claims._said_that(rep.text, c.start, c.end, res)
            want = claims._modality(c.text, c.start, cues, said) if cues or said else ("asserted", None)
            assert (c.modality, c.cue) == want or (c.modality, c.cue) == ("reported", "quoted"), c.text


def test_cited_sources_keep_the_first_citation_of_a_name(analyse) -> None:  # type: ignore[no-untyped-def]
    rep = analyse("The convoy moved north, according to Reuters. Reuters reported later that the convoy had stopped "
                  "near Belgorod. NATO said the drills were routine. A NATO spokesman said nothing else about it.")
    assert [(c.name, c.start, c.via) for c in rep.cited_sources] == [("Reuters", 37, "according_to"),
                                                                     ("NATO", 112, "said")]


def test_title_says_checks_verbs_of_saying_first() -> None:
    """_title_says rules out a range without a verb of saying before reading its first words: the same answer
    as reading them, also for ranges that cut a word ("unsaid" read from "said")."""
    from escwatch.analyse import quotes
    from escwatch.lang import load_lang

    res = load_lang("en")
    text = ("The Russian leader stressed that the West was wrong. A spokesman unsaid nothing today. "
            "The minister, a former spokesman, said more. Leader says: no. The general saidx nothing.")
    got = []
    for s in range(0, len(text), 2):
        for e in range(s + 1, min(len(text), s + 60) + 1, 3):
            want = not res.titles.isdisjoint(quotes._lead(text, s, e, 4)) and \
                any(map(res.is_speech_verb, quotes._lead(text, s, e, 8)))
            assert quotes._title_says(text, s, e, res) == want, (s, e)
            got.append(want)
    assert any(got) and not all(got)


TRICKY_NAMES = [
    "The New York Times said New\nYork and Rio de Janeiro, not Rio de\nJaneiro, met in St. Petersburg today.",
    "De minister sprak in Den Haag met de ambassadeur van de Verenigde Staten en het Verenigd\nKoninkrijk.",
    "Путин прилетел в Нижний Новгород, а потом в Нижнем Новгороде выступил министр обороны России.",
    "Spotkanie w Nowym Jorku: prezydent Stanów Zjednoczonych i premier Rosji; potem Nowy\nJork.",
    "Le président parle à Saint-Pétersbourg et à Los Angeles, puis à Los\nAngeles. Los",
    "Am Ende: New",
]


def test_gazetteer_matches_equal_a_plain_scan(ctx) -> None:  # type: ignore[no-untyped-def]
    """match_names (per-word memos of starts and fitting second tokens, one line-break check per window)
    finds what a plain scan trying every key length at every token finds, on cold and warm memos."""
    from escwatch.analyse.entities import _INFO, NONE, match_names
    from escwatch.analyse.text import tokens

    gaz = ctx.gazetteer

    def slow(text: str) -> list[tuple[int, int, int, int, tuple[object, ...]]]:
        toks = tokens(text)
        texts, starts, ends, n = toks.texts, toks.starts, toks.ends, len(toks.texts)
        out, i = [], 0
        while i < n:
            x = _INFO[texts[i]]
            lengths = gaz.lengths.get(x.low, NONE) | (gaz.lengths.get("~" + x.stem, NONE) if x.slavic else NONE)
            for k in sorted(lengths, reverse=True) if x.word else ():
                j = i + k - 1
                if k > 1 and (j >= n or "\n" in text[ends[i]:starts[j]]
                              or (not _INFO[texts[j]].word and texts[j] not in ".’'")):
                    continue
                if k > 1:
                    y = _INFO[texts[i + 1]]
                    if y.low not in gaz.seconds.get(x.low, ()) and y.stem not in gaz.seconds.get("~" + x.stem, ()):
                        continue
                cands = gaz.lookup_span(texts[i:j + 1], [_INFO[t] for t in texts[i:j + 1]])
                if cands:
                    out.append((starts[i], ends[j], i, j, tuple(cands)))
                    i = j
                    break
            i += 1
        return out

    for _ in range(2):
        for text in TRICKY_NAMES:
            got = [tuple(m) for m in match_names(text, tokens(text), gaz)]
            assert got == slow(text), text
    assert any(m[3] > m[2] for m in slow(TRICKY_NAMES[0]))


def test_tokens_split_equals_the_token_pattern() -> None:
    """tokens() splits with a lookahead for a non-space added to TOKEN: the same parts as TOKEN alone,
    also around odd spaces (no-break, thin, tab, line breaks), apostrophes and marks."""
    import re

    from escwatch.analyse.text import TOKEN, tokens

    plain = re.compile(f"({TOKEN.pattern})")
    texts = ["", " ", "a", " a ", "l'OTAN d’Europe 'x' ’ rock'n'roll ' ", "Putin\u00a0said\u2009—\tno.\n\n\u3000Ja!",
             "...!?  «Да», — сказал он… 12,5% z.B. U.S.-Russia", "\u200b\ufeffword\u200bword_x ₂ ① ²"]
    for text in texts:
        toks = tokens(text)
        parts = plain.split(text)
        assert toks.texts == parts[1::2] == TOKEN.findall(text), text
        assert toks.gaps == parts[0::2], text
        assert [text[s:e] for s, e in zip(toks.starts, toks.ends, strict=True)] == toks.texts, text


def test_sample_words_equal_words_of_lowered_sample() -> None:
    """language._sample_words (the text's word table, cut and lower-cased at once) gives the words of the
    lower-cased sample, also where the sample cuts a word and for letters that lower-case unlike a word
    ("İ", a final "Σ")."""
    import random

    from escwatch.analyse import language

    rng = random.Random(7)
    alphabet = "aA bΣσςİiı.,'’-_1é\u0307ДдǅẞΩ\n"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        for cut in (1, 7, 20, 5000):
            language.SAMPLE_CHARS, saved = cut, language.SAMPLE_CHARS
            try:
                want = language._WORD.findall(text[:cut].lower())
                assert language._sample_words(text) == want, (text, cut)
            finally:
                language.SAMPLE_CHARS = saved

