"""Pack loader: the domain (entities, outlets, indicators, hypotheses, calendar) as YAML data.

``load_packs()`` reads the built-in ``nuclear`` pack, then each extra pack folder in order;
a later pack overrides an earlier one by id. See ``packs/README.md`` for the format.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from escwatch.errors import PackNotFoundError, PackSchemaError, PackYAMLError

BUILTIN = Path(__file__).parent / "nuclear"
ENTITY_TYPES = {"person", "org", "unit", "site", "system", "exercise", "treaty", "event", "place", "outlet"}


@dataclass(frozen=True)
class Entity:
    id: str
    type: str
    name: str
    aliases: Mapping[str, tuple[str, ...]]
    wikidata: str | None = None
    description: str | None = None
    country: str | None = None
    lat: float | None = None
    lon: float | None = None
    code: str | None = None
    precision: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)  # outlet keys: kind, owner, reliability, ...

    def all_aliases(self) -> set[str]:
        return {a for forms in self.aliases.values() for a in forms} | {self.name}


@dataclass(frozen=True)
class Role:
    """Who or what fills a role: regex patterns per language (matched case-insensitively), or entity ids."""

    name: str
    patterns: Mapping[str, tuple[str, ...]]  # language -> patterns; "*" -> all languages together
    entities: frozenset[str]

    def patterns_for(self, lang: str | None) -> tuple[str, ...]:
        """The patterns tried on a report in ``lang``: its own language's, else every language's."""
        return self.patterns.get(lang or "*") or self.patterns.get("*", ())


@dataclass(frozen=True)
class Rule:
    require: tuple[str, ...]
    confidence: float


@dataclass(frozen=True)
class Indicator:
    id: str
    label: str
    roles: Mapping[str, Role]
    rules: tuple[Rule, ...]
    description: str = ""


@dataclass(frozen=True, eq=False)  # identity hash: a loaded pack is a cache key
class Pack:
    name: str
    languages: tuple[str, ...]
    entities: Mapping[str, Entity]
    indicators: Mapping[str, Indicator]
    hypotheses: Mapping[str, Any]
    calendar: tuple[Mapping[str, Any], ...]
    sources: tuple[str, ...] = ()  # folders read, in order

    @property
    def outlets(self) -> dict[str, Entity]:
        return {k: e for k, e in self.entities.items() if e.type == "outlet"}


def read_yaml(path: Path) -> Any:
    """Load one YAML file; a syntax error names the file and line."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        ctx = exc.context_mark if exc.context and exc.context_mark and exc.context_mark is not mark else None
        started = f" ({exc.context} that starts at line {ctx.line + 1})" if ctx else ""
        raise PackYAMLError(f"YAML error in {where}: {exc.problem or exc}{started}",
                            hint=f"fix line {ctx.line + 1 if ctx else mark.line + 1 if mark else '?'} of {path.name}"
                            ) from exc
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise PackYAMLError(f"cannot read {path}: {exc}") from exc


def _aliases(raw: Any, where: str) -> dict[str, tuple[str, ...]]:
    if raw in (None, {}):
        return {}
    if not isinstance(raw, dict):
        raise PackSchemaError(f"{where}: 'aliases' must map language codes to lists")
    out = {}
    for lang, forms in raw.items():
        forms = [forms] if isinstance(forms, str) else (forms or [])
        out[str(lang)] = tuple(str(f).strip() for f in forms if str(f).strip())
    return out


def _entity(item: Any, where: str) -> Entity:
    if not isinstance(item, dict) or not {"id", "type", "name"} <= item.keys():
        raise PackSchemaError(f"{where}: each entity needs id, type and name (got {item!r:.80})")
    if item["type"] not in ENTITY_TYPES:
        raise PackSchemaError(f"{where}: entity {item['id']}: unknown type {item['type']!r}",
                              hint=f"use one of {sorted(ENTITY_TYPES)}")
    known = {"id", "type", "name", "aliases", "wikidata", "description", "country", "lat", "lon", "code",
             "precision"}
    return Entity(
        id=str(item["id"]), type=item["type"], name=str(item["name"]),
        aliases=_aliases(item.get("aliases"), f"{where}: {item['id']}"),
        wikidata=item.get("wikidata"), description=item.get("description"), country=item.get("country"),
        lat=float(item["lat"]) if item.get("lat") is not None else None,
        lon=float(item["lon"]) if item.get("lon") is not None else None,
        code=item.get("code"), precision=item.get("precision"),
        extra={k: v for k, v in item.items() if k not in known},
    )


def _indicator(item: Any, where: str) -> Indicator:
    if not isinstance(item, dict) or "id" not in item or "roles" not in item:
        raise PackSchemaError(f"{where}: each indicator needs id and roles")
    roles = {}
    for rname, rdef in (item.get("roles") or {}).items():
        rdef = rdef or {}
        by_lang: dict[str, list[str]] = {}
        for lang, plist in (rdef.get("patterns") or {}).items():
            for p in plist or []:
                try:
                    re.compile(p, re.IGNORECASE)
                except re.error as exc:
                    raise PackSchemaError(f"{where}: {item['id']}.{rname} ({lang}): bad regex {p!r}: {exc}") from exc
                by_lang.setdefault(str(lang), []).append(p)
        by_lang["*"] = [p for plist in by_lang.values() for p in plist]
        patterns = {lang: tuple(plist) for lang, plist in by_lang.items() if plist}
        roles[rname] = Role(rname, patterns, frozenset(rdef.get("entities") or ()))
    rules = []
    for r in item.get("rules") or [{"require": list(roles)}]:
        missing = set(r.get("require", ())) - roles.keys()
        if missing:
            raise PackSchemaError(f"{where}: {item['id']}: rule requires unknown roles {sorted(missing)}")
        rules.append(Rule(tuple(r["require"]), float(r.get("confidence", 0.6))))
    return Indicator(str(item["id"]), str(item.get("label") or item["id"]), roles, tuple(rules),
                     str(item.get("description") or ""))


def _list(path: Path) -> list[Any]:
    data = read_yaml(path)
    if data is None:
        return []
    if not isinstance(data, list):
        raise PackSchemaError(f"{path}: expected a YAML list at top level")
    return data


def load_pack_dirs(dirs: Iterable[Path]) -> Pack:
    name, languages = "", ()
    entities: dict[str, Entity] = {}
    indicators: dict[str, Indicator] = {}
    hypotheses: dict[str, Any] = {}
    calendar: dict[str, Mapping[str, Any]] = {}
    read = []
    for d in dirs:
        d = Path(d)
        meta = d / "pack.yaml"
        if not meta.is_file():
            raise PackNotFoundError(f"no pack.yaml in {d}")
        info = read_yaml(meta) or {}
        name = name or info.get("name", d.name)
        languages = languages or tuple(info.get("languages", ()))
        files = sorted(d.glob("entities*.yaml")) + ([d / "outlets.yaml"] if (d / "outlets.yaml").exists() else [])
        for f in files:
            for item in _list(f):
                ent = _entity(item, str(f))
                if f.name == "outlets.yaml" and ent.type != "outlet":
                    raise PackSchemaError(f"{f}: {ent.id}: entries of outlets.yaml must have type outlet")
                entities[ent.id] = ent
        if (d / "indicators.yaml").exists():
            for item in _list(d / "indicators.yaml"):
                ind = _indicator(item, str(d / "indicators.yaml"))
                indicators[ind.id] = ind
        if (d / "hypotheses.yaml").exists():
            hypotheses.update(read_yaml(d / "hypotheses.yaml") or {})
        if (d / "calendar.yaml").exists():
            for item in _list(d / "calendar.yaml"):
                calendar[item["id"]] = item
        read.append(str(d))
    return Pack(name, languages, entities, indicators, hypotheses, tuple(calendar.values()), tuple(read))


@lru_cache(maxsize=8)
def load_packs(extra: tuple[str, ...] = ()) -> Pack:
    """The built-in pack plus extra pack folders (cached per process)."""
    return load_pack_dirs([BUILTIN, *map(Path, extra)])
