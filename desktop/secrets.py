"""Registry passwords and tokens in the OS keyring, and nowhere else; a clear error when no keyring works."""

from __future__ import annotations

import threading
from typing import Any, Literal, Protocol

from desktop.errors import KeyringError

SERVICE = "chartkeeper"
_NO_KEYRING = (
    "No OS keyring is available to keep the password, and Chartkeeper stores passwords nowhere else: "
    "start a Secret Service (GNOME Keyring, KWallet) or use the macOS/Windows keychain, "
    "or register the registry with No Authentication."
)


class CredentialStore:
    """Passwords (or a token-authenticated registry's token) keyed by a registry's stable uid.
    `backend` is for embedding; by default the keyring library picks the platform's keyring. Every
    call gives up after `timeout` seconds: a locked keyring can sit waiting for an unlock prompt
    nobody sees."""

    def __init__(self, backend: Any = None, timeout: float = 60.0) -> None:
        self._backend = backend
        self.timeout = timeout

    def _keyring(self) -> Any:
        if self._backend is None:
            import keyring  # imported here: it costs 0.1 s and most commands need no password

            self._backend = keyring.get_keyring()
        return self._backend

    @staticmethod
    def _account(registry_uid: str) -> str:
        return f"registry/{registry_uid}"

    def backend_name(self) -> str:
        """The keyring in use, as its library names it (e.g. "SecretService Keyring")."""
        backend = self._keyring()
        name = getattr(backend, "name", None) or type(backend).__name__
        if type(backend).__module__ in ("keyring.backends.fail", "keyring.backends.null"):
            return "none available"
        return str(name)

    def check_available(self) -> None:
        backend = self._keyring()
        if type(backend).__module__ in ("keyring.backends.fail", "keyring.backends.null"):
            raise KeyringError(_NO_KEYRING)

    def set_password(self, registry_uid: str, password: str) -> None:
        self.check_available()
        self._call("store", lambda: self._keyring().set_password(SERVICE, self._account(registry_uid), password))

    def get_password(self, registry_uid: str) -> str | None:
        self.check_available()
        password = self._call("read", lambda: self._keyring().get_password(SERVICE, self._account(registry_uid)))
        return None if password is None else str(password)

    def delete_password(self, registry_uid: str) -> None:
        from keyring.errors import PasswordDeleteError

        try:
            self._call("remove", lambda: self._keyring().delete_password(SERVICE, self._account(registry_uid)))
        except KeyringError as exc:
            if isinstance(exc.__cause__, PasswordDeleteError):
                return  # nothing stored: that is the state we wanted
            raise

    def _call(self, verb: str, action: Any) -> Any:
        from keyring.errors import KeyringError as BackendError
        from keyring.errors import NoKeyringError

        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                outcome["value"] = action()
            except BaseException as exc:
                outcome["error"] = exc

        worker = threading.Thread(target=run, name="keyring", daemon=True)
        worker.start()
        worker.join(self.timeout)
        if worker.is_alive():
            raise KeyringError(
                f"The OS keyring did not answer within {self.timeout:g} s: is it waiting for you to unlock it?"
            )
        try:
            if "error" in outcome:
                raise outcome["error"]
            return outcome.get("value")
        except NoKeyringError:
            raise KeyringError(_NO_KEYRING) from None
        except (BackendError, OSError, RuntimeError) as exc:
            raise KeyringError(
                f"The OS keyring did not {verb} the password ({type(exc).__name__}): unlock the keyring and try again."
            ) from exc


class _Keyed(Protocol):
    @property
    def uid(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def is_private(self) -> bool: ...
    @property
    def token_auth(self) -> bool: ...


PasswordPolicy = Literal["required", "if_stored", "best_effort"]


def registry_password(credentials: CredentialStore, registry: _Keyed, policy: PasswordPolicy) -> str | None:
    """The password (or token) to send to `registry`, read from the keyring; None for a public one.
    The one place it is read, each caller with the policy that is right for it:

    - "required": a sync or a subscription's refresh (`operations/sync.py`, `subscriptions.py`) — a
      private registry's snapshot cannot be had without it, so a missing one is a KeyringError saying
      to enter it again, before any request that would only be refused.
    - "if_stored": one fetch or check the user asked for or that is tried again later (an archive, a
      .prov, publishing to a known registry, checking an edit that keeps the password) — a missing one
      sends none, and the registry's own refusal says what is wrong; a locked keyring still raises.
    - "best_effort": icons — never worth an error: a locked or absent keyring, too, gives None."""
    if not registry.is_private:
        return None
    try:
        password = credentials.get_password(registry.uid)
    except KeyringError:
        if policy == "best_effort":
            return None
        raise
    if password is None and policy == "required":
        secret = "token" if registry.token_auth else "password"
        raise KeyringError(
            f"The keyring holds no {secret} for '{registry.name}': edit the registry and enter it again."
        )
    return password
