#!/bin/sh
# Install Chartkeeper from this wheelhouse into a virtual environment, with no network.
#
#   sh install.sh [TARGET]     TARGET defaults to ~/.local/opt/chartkeeper
#   PYTHON=python3.12 sh install.sh
#
# Needs CPython 3.11, 3.12 or 3.13 with its venv module (Debian/Ubuntu: python3-venv), Linux x86_64
# with glibc 2.34 or newer. Then run TARGET/bin/chartkeeper; `TARGET/bin/chartkeeper install-desktop-entry`
# adds it to the desktop's menu.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
target=${1:-"$HOME/.local/opt/chartkeeper"}
python=${PYTHON:-python3}

if ! "$python" -c 'import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] <= (3, 13)))' 2>/dev/null; then
    echo "error: $python is not CPython 3.11, 3.12 or 3.13; set PYTHON to one (e.g. PYTHON=python3.12)." >&2
    exit 1
fi
if ! "$python" -m venv "$target"; then
    echo "error: could not create a virtual environment in $target; install python3-venv or choose another folder." >&2
    exit 1
fi
# No configuration files: only this folder is a source of packages.
PIP_CONFIG_FILE=/dev/null "$target/bin/python" -m pip install --quiet --disable-pip-version-check \
    --no-index --find-links "$here" chartkeeper
echo "Chartkeeper is installed: $target/bin/chartkeeper"
echo "Add it to the desktop's menu with: $target/bin/chartkeeper install-desktop-entry"
