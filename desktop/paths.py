"""Where Chartkeeper keeps its files: platformdirs defaults, or everything under --home / CHARTKEEPER_HOME;
its folders private to the user (0700, files 0600), those of earlier versions tightened."""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path

from desktop.errors import UserError

APP_NAME = "chartkeeper"
HOME_ENV = "CHARTKEEPER_HOME"


class HomeError(UserError):
    """A folder Chartkeeper keeps its files in cannot be created or is not a folder."""


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
    def trusted_keys(self) -> Path:
        """The OpenPGP public keys this site trusts, one armored file each (never a secret key)."""
        return trusted_keys_beside(self.catalog)

    @property
    def log_file(self) -> Path:
        return self.log_dir / "chartkeeper.log"

    @property
    def folders(self) -> tuple[Path, ...]:
        return (self.data_dir, self.cache_dir, self.config_dir, self.log_dir)

    def ensure(self) -> AppPaths:
        """Create the folders 0700 and make what earlier versions left in them private. A folder on a
        read-only file system is left as it is (reading still works; writing says why it cannot).
        Raises HomeError when a folder cannot be made."""
        from desktop.files import make_private_folder, tighten_tree

        for folder in self.folders:
            try:
                make_private_folder(folder)
            except OSError as exc:
                if exc.errno == errno.EROFS:
                    continue
                raise HomeError(_folder_problem(folder, exc)) from None
            tighten_tree(folder)
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


def _folder_problem(folder: Path, error: OSError) -> str:
    """One line: which folder, what is in the way, and how to choose another."""
    choose = f"choose another with --home or {HOME_ENV}"
    blocker = next((p for p in (folder, *folder.parents) if p.exists() or p.is_symlink()), None)
    if blocker is not None and not blocker.is_dir():
        return f"Chartkeeper cannot keep its files in {folder}: {blocker} is a file, not a folder; {choose}."
    if error.errno in (errno.EACCES, errno.EPERM):
        where = blocker if blocker is not None else folder.parent
        return f"Chartkeeper cannot create the folder {folder}: no permission to write in {where}; {choose}."
    return f"Chartkeeper cannot create the folder {folder} ({error.strerror or error}); {choose}."


def trusted_keys_beside(catalog: Path) -> Path:
    """The trusted keys' folder of the home whose catalog is `catalog`: they travel together."""
    return catalog.parent / "trusted-keys"


def resolve_paths(home: str | os.PathLike[str] | None = None) -> AppPaths:
    """--home wins, then CHARTKEEPER_HOME, then the platform's usual folders."""
    chosen = home or os.environ.get(HOME_ENV)
    if chosen:
        return AppPaths.under(Path(chosen))
    return AppPaths.default()
