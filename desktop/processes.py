"""Which process runs a sync: a name for this one, and whether another named one is still alive
(so one Chartkeeper never marks another's live sync as interrupted)."""

from __future__ import annotations

import functools
import os
import socket


def _start_ticks(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux), so a reused pid is not mistaken
    for the process that wrote the record; empty where /proc does not say."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return fields[19].decode("ascii")
    except (OSError, IndexError, UnicodeDecodeError):
        return ""


@functools.cache
def this_process() -> str:
    """`host:pid:start` of the running process."""
    return f"{socket.gethostname()}:{os.getpid()}:{_start_ticks(os.getpid())}"


def is_alive(owner: str | None) -> bool:
    """True when the process named by `owner` runs on this host still. Unknown owners (older
    records, other hosts sharing a catalog over a network file system) count as gone only when
    they are on this host."""
    if not owner:
        return False
    host, _, rest = owner.partition(":")
    pid_text, _, start = rest.partition(":")
    if host != socket.gethostname():
        return True  # another machine's process: not ours to judge
    try:
        pid = int(pid_text)
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, owned by someone else
    except (ValueError, OverflowError, OSError):
        return False
    return not start or _start_ticks(pid) in ("", start)
