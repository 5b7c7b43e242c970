"""Where Chartkeeper keeps its files: platformdirs defaults, or everything under --home / CHARTKEEPER_HOME."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "chartkeeper"
HOME_ENV = "CHARTKEEPER_HOME"


@dataclass(frozen=True)
class AppPaths:
    """The folders the app writes to; created on first use by `ensure()`."""

    data_dir: Path
    cache_dir: Path
    config_dir: Path
    log_dir: Path

    @property
    def catalog(self) -> Path:
        return self.data_dir / "catalog.sqlite3"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "chartkeeper.log"

    def ensure(self) -> AppPaths:
        for folder in (self.data_dir, self.cache_dir, self.config_dir, self.log_dir):
            folder.mkdir(parents=True, exist_ok=True)
        return self

    @classmethod
    def under(cls, home: Path) -> AppPaths:
        home = home.expanduser().absolute()
        return cls(home / "data", home / "cache", home / "config", home / "logs")

    @classmethod
    def default(cls) -> AppPaths:
        import platformdirs

        return cls(
            Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
        )


def resolve_paths(home: str | os.PathLike[str] | None = None) -> AppPaths:
    """--home wins, then CHARTKEEPER_HOME, then the platform's usual folders."""
    chosen = home or os.environ.get(HOME_ENV)
    if chosen:
        return AppPaths.under(Path(chosen))
    return AppPaths.default()
