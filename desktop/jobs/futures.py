"""Small pieces for futures that several threads may try to end: only the first ending counts."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from typing import Any, TypeVar

from desktop.errors import UserError

log = logging.getLogger(__name__)
T = TypeVar("T")


def fail_if_pending(future: Future[Any], error: BaseException) -> None:
    with contextlib.suppress(InvalidStateError):
        future.set_exception(error)


def resolve_if_pending(future: Future[T], value: T) -> None:
    with contextlib.suppress(InvalidStateError):
        future.set_result(value)


def reporting(action: Callable[[], None], outcome: Future[Any] | None, *, quiet: bool = False) -> Callable[[], None]:
    """`action`, with its failure handed to `outcome` (user errors) or the log (bugs). `quiet`: the
    waiting caller reports it."""

    def run() -> None:
        try:
            action()
        except BaseException as exc:
            if not quiet and (outcome is None or not isinstance(exc, UserError)):
                log.exception("background job failed")
            if outcome is not None:
                fail_if_pending(outcome, exc)

    return run


def after(first: Future[Any], start: Callable[[], Future[T]]) -> Future[T]:
    """A future for what `start` begins once `first` has ended, however it ended."""
    outcome: Future[T] = Future()

    def begin(_first: Future[Any]) -> None:
        try:
            second = start()
        except BaseException as exc:
            fail_if_pending(outcome, exc)
            return
        second.add_done_callback(lambda done: _copy_outcome(done, outcome))

    first.add_done_callback(begin)
    return outcome


def _copy_outcome(source: Future[T], target: Future[T]) -> None:
    error = source.exception()
    if error is not None:
        fail_if_pending(target, error)
    else:
        resolve_if_pending(target, source.result())
