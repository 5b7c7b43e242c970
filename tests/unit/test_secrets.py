"""The keyring wrapper: a clear error without a backend, and a time limit on a backend that hangs."""

from __future__ import annotations

import threading

import pytest
from keyring.backends import fail

from desktop.errors import KeyringError
from desktop.secrets import CredentialStore


class HangingKeyring:
    """Stands in for a keyring waiting on an unlock prompt nobody answers: that needs a desktop
    session with a prompter, which this machine does not have. (Not a keyring.backend subclass:
    those register themselves and would join every later keyring lookup in this process.)"""

    def __init__(self) -> None:
        self.release = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        self.release.wait(10)
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        self.release.wait(10)

    def delete_password(self, service: str, username: str) -> None:
        self.release.wait(10)


def test_no_backend_is_a_clear_error() -> None:
    store = CredentialStore(fail.Keyring())
    with pytest.raises(KeyringError, match="No OS keyring is available"):
        store.set_password("uid", "secret")
    with pytest.raises(KeyringError, match="stores passwords nowhere else"):
        store.check_available()


def test_a_hanging_keyring_times_out() -> None:
    backend = HangingKeyring()
    store = CredentialStore(backend, timeout=0.3)
    with pytest.raises(KeyringError, match=r"did not answer within 0\.3 s"):
        store.get_password("uid")
    backend.release.set()
