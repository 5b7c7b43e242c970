"""TLS contexts per registry: the registry's own certificate (and, when it is not enough, the system
trust store), or no checks at all."""

from __future__ import annotations

import ssl


def ssl_context_for(ca_pem: str | None, insecure_skip_verify: bool, *, system_trust: bool = True) -> ssl.SSLContext:
    """A client context that trusts the registry's certificate when one is given and, with
    `system_trust`, the platform's CAs too (loading them costs ~30 ms, so a client that has the
    registry's own certificate tries it alone first, as Helm's --ca-file does).

    The uploaded certificate may be the server's own leaf or an intermediate, not only a root:
    partial-chain verification lets any certificate in the store act as a trust anchor.
    """
    if insecure_skip_verify:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if system_trust or not ca_pem:
        context = ssl.create_default_context()
        if not context.cert_store_stats().get("x509_ca"):
            import certifi  # platforms whose Python has no CA store of its own (macOS python.org builds)

            context.load_verify_locations(certifi.where())
    else:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies and checks the host name
    if ca_pem:
        context.load_verify_locations(cadata=ca_pem)
        context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    return context
