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


def test_each_caller_reads_a_registry_password_by_its_policy(credentials: CredentialStore) -> None:
    """Issue 23: one function, three policies — a sync needs it, one fetch sends none, icons never fail."""
    from desktop.registry import Registry
    from desktop.secrets import registry_password

    private = Registry(1, "uid-private", "r", "https://r.example", True, "ci")
    public = Registry(2, "uid-public", "p", "https://p.example", True, None)
    assert registry_password(credentials, public, "required") is None  # nothing is read for a public one
    with pytest.raises(KeyringError, match="holds no password for 'r': edit the registry"):
        registry_password(credentials, private, "required")
    assert registry_password(credentials, private, "if_stored") is None
    credentials.set_password("uid-private", "s3cret")
    assert registry_password(credentials, private, "required") == "s3cret"
    broken = CredentialStore(fail.Keyring())
    assert registry_password(broken, private, "best_effort") is None
    with pytest.raises(KeyringError, match="No OS keyring"):
        registry_password(broken, private, "if_stored")
