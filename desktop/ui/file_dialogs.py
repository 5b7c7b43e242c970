"""File choosers that open where the user last chose a file: per purpose (bundles, certificates,
profile exports…), else wherever any chooser was last used, else the home folder; remembered for
the session and, when the app gives a file, across launches (0600, in the config folder)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from desktop.files import write_private_file

log = logging.getLogger(__name__)
ANY = ""  # the key of the folder any chooser used last
_folders: dict[str, str] = {}
_store: list[Path] = []  # where they are kept, once the app says


def remember_in(path: Path) -> None:
    """Keep the folders in `path` (read now, written at each choice); a damaged file is ignored."""
    _store[:] = [path]
    try:
        loaded = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, ValueError):
        loaded = {}
    if isinstance(loaded, dict):
        _folders.update({str(k): str(v) for k, v in loaded.items() if isinstance(v, str)})


def start_folder(purpose: str) -> Path:
    for key in (purpose, ANY):
        folder = Path(_folders[key]) if key in _folders else None
        if folder is not None and folder.is_dir():
            return folder
    return Path.home()


def chose(purpose: str, file: str) -> None:
    """A file was chosen: its folder is where this purpose's chooser (and any new one) opens next."""
    folder = str(Path(file).parent)
    _folders[purpose] = _folders[ANY] = folder
    if _store:
        try:
            write_private_file(_store[0], json.dumps(_folders, indent=1, sort_keys=True).encode())
        except Exception:  # the folders are a convenience: never worth an error dialog
            log.warning("the last folders used could not be saved", exc_info=True)


def file_dialog(
    parent: QWidget | None, title: str, purpose: str, *, file_name: str = "", name_filter: str = ""
) -> QFileDialog:
    """A QFileDialog opening in the purpose's last folder (with `file_name` proposed there)."""
    folder = start_folder(purpose)
    dialog = QFileDialog(parent, title, str(folder / file_name) if file_name else str(folder))
    if name_filter:
        dialog.setNameFilter(name_filter)
    dialog.fileSelected.connect(lambda name: chose(purpose, name))
    return dialog
