"""A real Secret Service for tests: a private D-Bus session bus with an unlocked GNOME Keyring.

The OS keyring is a desktop-session service; this starts one of our own so that the tests exercise
the same keyring backend users have, without touching the developer's own keyring."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path


class SecretServiceSession:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.env: dict[str, str] = {}
        self._processes: list[int] = []

    def start(self) -> SecretServiceSession:
        for program in ("dbus-daemon", "gnome-keyring-daemon"):
            if shutil.which(program) is None:
                raise RuntimeError(
                    f"{program} is missing: the tests need a real Secret Service "
                    "(`python3 dev.py test` installs gnome-keyring and dbus on Debian)."
                )
        self.home.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "HOME": str(self.home),
            "XDG_DATA_HOME": str(self.home / "data"),
            "XDG_RUNTIME_DIR": str(self.home / "run"),
            "XDG_CONFIG_HOME": str(self.home / "config"),
        }
        (self.home / "run").mkdir(mode=0o700, exist_ok=True)
        bus = subprocess.run(
            ["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1", "--nopidfile"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=20,
        )
        address, pid = bus.stdout.split()[:2]
        self._processes.append(int(pid))
        env["DBUS_SESSION_BUS_ADDRESS"] = address
        keyring = subprocess.run(
            ["gnome-keyring-daemon", "--unlock", "--components=secrets", "--daemonize"],
            input="chartkeeper-test-unlock",
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=20,
        )
        for line in keyring.stdout.splitlines():
            if line.startswith("GNOME_KEYRING_PID="):
                self._processes.append(int(line.split("=", 1)[1]))
        self.env = {"DBUS_SESSION_BUS_ADDRESS": address}
        self._wait_until_ready(env)
        return self

    def _wait_until_ready(self, env: dict[str, str]) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            probe = subprocess.run(
                [
                    "dbus-send",
                    "--session",
                    "--print-reply",
                    "--dest=org.freedesktop.DBus",
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus.NameHasOwner",
                    "string:org.freedesktop.secrets",
                ],
                env=env,
                capture_output=True,
                text=True,
            )
            if "boolean true" in probe.stdout:
                return
            time.sleep(0.1)
        raise RuntimeError("the test Secret Service did not come up within 10 s")

    def stop(self) -> None:
        for pid in reversed(self._processes):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        self._processes.clear()


def stored_accounts(service: str) -> set[str]:
    """The accounts the Secret Service holds for `service` (the keyring API can only look up one)."""
    import keyring

    collection = keyring.get_keyring().get_preferred_collection()
    with contextlib.closing(collection.connection):
        return {item.get_attributes().get("username", "") for item in collection.search_items({"service": service})}
