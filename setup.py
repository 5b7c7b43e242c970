"""Package layout pyproject.toml cannot say: resources/ ships inside the package as `desktop.resources`."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["desktop", "desktop.*"]), "desktop.resources"],
    package_dir={"desktop.resources": "resources"},
)
