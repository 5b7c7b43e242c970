"""Whether a registry answers right now, without a sync: one bounded request to its endpoint with no
credentials, any HTTP answer (401 and 404 included) counting as 'answers'."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

import httpx

from desktop.net.settings import NetworkSettings
from desktop.net.sockets import Interrupter
from desktop.net.tls import ssl_context_for
from desktop.net.transport import http_client
from desktop.registry import Registry

PROBE_SECONDS = 5.0  # at launch: a registry that has not answered by then is as good as offline


@dataclass(frozen=True)
class Reachability:
    registry_id: int
    answers: bool
    checked_at: float
    detail: str = ""  # why it does not answer


def probe_url(registry: Registry) -> str:
    """Where to knock: an OCI registry's API root, a classic repository's index.yaml."""
    if registry.is_oci:
        host = urlsplit(registry.endpoint.replace("oci://", "https://", 1)).netloc
        return f"{'http' if registry.plain_http else 'https'}://{host}/v2/"
    return registry.endpoint.rstrip("/") + "/index.yaml"


def probe(registry: Registry, settings: NetworkSettings, *, seconds: float = PROBE_SECONDS) -> Reachability:
    """One HEAD request (no credentials, no redirect followed, at most `seconds`)."""
    url = probe_url(registry)
    bounded = replace(settings, timeout=min(settings.timeout, seconds))
    interrupter = Interrupter()
    interrupter.arm(seconds, "no answer in time")  # as a whole: a server dribbling its headers is cut too
    verify = ssl_context_for(registry.ca_pem, registry.insecure_skip_tls_verify) if url.startswith("https") else False
    try:
        with http_client(verify, bounded, interrupter) as client:
            client.head(url, follow_redirects=False)
    except httpx.HTTPError as exc:
        return Reachability(registry.id or 0, False, time.time(), _reason(exc))
    except OSError as exc:
        return Reachability(registry.id or 0, False, time.time(), exc.strerror or str(exc))
    finally:
        interrupter.close()
    return Reachability(registry.id or 0, True, time.time())


def _reason(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "no answer in time"
    text = str(exc) or type(exc).__name__
    return " ".join(text.split())[:200]
