"""PyInstaller hook: helm-python-sdk with its native library once.

Its wheel holds libhelm_c three times under three names (libhelm_c.so, .so.0, .so.0.2.2: wheels
have no symlinks), 85 MB each. The loader looks for the fully versioned name first, so that one
file is all the frozen app (and the .deb made from it) carries."""

from pathlib import Path

from helm_python import _native

_lib = Path(_native.__file__).resolve().parent / "lib"
binaries = [(str(_lib / f"libhelm_c.so.{_native.EXPECTED_HELM_C_VERSION}"), "helm_python/lib")]
hiddenimports = ["desktop.helm.render_child"]
