"""What the stages share for one process: the pack, the name index and the language detector."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from escwatch.analyse.gazetteer import Gazetteer, build_gazetteer
from escwatch.lang import LangRes, load_lang
from escwatch.packs import Pack, load_packs


@dataclass(frozen=True, eq=False)
class Context:
    pack: Pack

    @cached_property
    def gazetteer(self) -> Gazetteer:
        return build_gazetteer(self.pack)

    def lang(self, code: str | None) -> LangRes:
        return load_lang(code or "en")


def make_context(extra_packs: tuple[str, ...] = ()) -> Context:
    return Context(load_packs(tuple(extra_packs)))
