"""User-facing errors: problems a user can act on, each carrying the action to take."""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix; its message is one line that says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ValidationError(UserError):
    """Input that does not meet a rule (a registry name, an endpoint URL, a certificate file)."""


class NotFoundError(UserError):
    """A registry, chart or version the user named does not exist."""


class NetworkError(UserError):
    """The registry could not be reached: DNS, refused connection, timeout, dropped connection."""


class TLSError(NetworkError):
    """The TLS handshake failed: unknown authority, hostname mismatch, expired certificate."""


class AuthError(UserError):
    """The registry refused the request: 401 or 403."""


class RegistryResponseError(UserError):
    """The registry answered, but not with what was asked for (404, 5xx, not a Helm index)."""


class IndexFormatError(UserError):
    """The repository index could not be read: malformed, hostile or over the size limit."""


class KeyringError(UserError):
    """The OS keyring is missing or refused to store or return a secret."""


class CatalogError(UserError):
    """The local catalog cannot be opened or migrated (a newer version, a damaged file)."""


class OperationCancelled(UserError):
    """The user cancelled the operation."""

    def __init__(self, message: str = "Cancelled.") -> None:
        super().__init__(message)


def bug_message(log_file: object, error: BaseException | None = None) -> str:
    """The one line for a bug (not the user's to fix), in the window and on the command line: that
    it is ours, and where its details are; `error`'s kind is named when given."""
    kind = f": {type(error).__name__}" if error is not None else ""
    return f"Something went wrong inside Chartkeeper (an internal error{kind}); details are in {log_file}."
