"""PyInstaller hook: PySide6.QtGui with only the Qt plugins Chartkeeper uses (it replaces PyInstaller's own).

PyInstaller's hook collects every plugin of QtGui's kinds, and each one's libraries with it: the
virtual keyboard pulls in QtQuick and QML, the PDF image format QtPdf, eglfs and wayland their own
stacks. Leaving the plugins out here, before PyInstaller follows their libraries, keeps all of that out.
"""

from pathlib import PurePath

from PyInstaller.utils.hooks.qt import add_qt6_dependencies

KEPT_PLUGINS = {
    "platforms": {"libqxcb.so", "libqoffscreen.so"},  # X11 (XWayland too), and headless
    "platformthemes": {"libqgtk3.so", "libqxdgdesktopportal.so"},  # GNOME's look, dark mode, portal dialogs
    "platforminputcontexts": {"libcomposeplatforminputcontextplugin.so", "libibusplatforminputcontextplugin.so"},
    "imageformats": {"libqsvg.so", "libqgif.so", "libqico.so", "libqjpeg.so", "libqwebp.so"},  # chart icons
    "iconengines": {"libqsvgicon.so"},
}

hiddenimports, binaries, datas = add_qt6_dependencies(__file__)


def _kept(destination: str, source: str) -> bool:
    parts = PurePath(destination).parts
    if "plugins" not in parts:
        return True
    kind = "/".join(parts[parts.index("plugins") + 1 :])
    return PurePath(source).name in KEPT_PLUGINS.get(kind, set())


binaries = [(source, destination) for source, destination in binaries if _kept(destination, source)]
