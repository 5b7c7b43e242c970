"""A threading HTTP server for tests that stays quiet when a client hangs up mid-request, as the
cancellation and kill tests make clients do on purpose."""

from __future__ import annotations

import http.server
import sys
import threading
from typing import Any


class QuietHTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the client went away: expected in these tests, and not the server's failure
        super().handle_error(request, client_address)

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def serve_in_background(handler: type[http.server.BaseHTTPRequestHandler]) -> QuietHTTPServer:
    """Serve `handler` on a free port of 127.0.0.1 from a daemon thread."""
    httpd = QuietHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    return httpd
