"""A threading HTTP server for tests that stays quiet when a client hangs up mid-request, as the
cancellation and kill tests make clients do on purpose."""

from __future__ import annotations

import http.server
import sys
from typing import Any


class QuietHTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the client went away: expected in these tests, and not the server's failure
        super().handle_error(request, client_address)
