"""Settings: defaults < config file < environment < CLI flags, frozen once resolved."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from escwatch.errors import ConfigError

DEFAULT_DB = "escwatch.db"
CONFIG_FILE = "escwatch.toml"


def shown(url: str) -> str:
    """A store URL fit to print: any password replaced by ***."""
    if "://" not in url:
        return url
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("://", 1)[0] + "://…@" + url.rsplit("@", 1)[-1]


@dataclass(frozen=True)
class Settings:
    db: str = DEFAULT_DB
    packs: tuple[str, ...] = ()
    max_bytes: int = 20_000_000
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def db_url(self) -> str:
        """SQLAlchemy URL for ``db`` (a path becomes a SQLite URL)."""
        if "://" in self.db:
            for prefix in ("postgresql://", "postgres://"):  # the driver escwatch installs: psycopg 3
                if self.db.startswith(prefix):
                    return "postgresql+psycopg://" + self.db[len(prefix):]
            return self.db
        return f"sqlite:///{Path(self.db).expanduser()}"


def _from_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}", hint="fix the TOML syntax") from exc
    return data.get("escwatch", data)


def load_settings(db: str | None = None, packs: tuple[str, ...] = (), config: str | None = None) -> Settings:
    """Resolve settings in order: defaults, config file, ESCWATCH_* env vars, explicit arguments."""
    values: dict[str, Any] = {}
    path = Path(config) if config else Path(os.environ.get("ESCWATCH_CONFIG", CONFIG_FILE))
    if path.exists():
        values.update(_from_file(path))
    elif config:
        raise ConfigError(f"config file {config} not found")
    if os.environ.get("ESCWATCH_DB"):
        values["db"] = os.environ["ESCWATCH_DB"]
    if os.environ.get("ESCWATCH_PACKS"):
        values["packs"] = tuple(os.environ["ESCWATCH_PACKS"].split(os.pathsep))
    known = {"db", "packs", "max_bytes"}
    settings = Settings(db=str(values.get("db", DEFAULT_DB)), packs=tuple(values.get("packs", ())),
                        max_bytes=int(values.get("max_bytes", Settings.max_bytes)),
                        extra={k: v for k, v in values.items() if k not in known})
    if db:
        settings = replace(settings, db=db)
    if packs:
        settings = replace(settings, packs=settings.packs + tuple(packs))
    return settings
