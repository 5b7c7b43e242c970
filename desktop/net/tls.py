"""TLS contexts per registry: the system trust store plus the registry's own certificate, or no checks."""

from __future__ import annotations

import ssl


def ssl_context_for(ca_pem: str | None, insecure_skip_verify: bool) -> ssl.SSLContext:
    """A client context that trusts the platform's CAs and, when given, the registry's certificate.

    The uploaded certificate may be the server's own leaf or an intermediate, not only a root:
    partial-chain verification lets any certificate in the store act as a trust anchor.
    """
    context = ssl.create_default_context()
    if insecure_skip_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if not context.cert_store_stats().get("x509_ca"):
        import certifi  # platforms whose Python has no CA store of its own (macOS python.org builds)

        context.load_verify_locations(certifi.where())
    if ca_pem:
        context.load_verify_locations(cadata=ca_pem)
        context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    return context
