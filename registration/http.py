"""Request helpers shared by the views: who is asking, from which address.

The client's address decides the audit log's IP, the login lock-outs (django-axes'
AXES_CLIENT_IP_CALLABLE), the /metrics allow-list and the throttles, so it must not be what the client
says it is. `X-Forwarded-For` is read only when the connecting address (REMOTE_ADDR) is one of
settings.TRUSTED_PROXIES, and then from the right: each hop a trusted proxy appended is skipped, and the
first address no trusted proxy owns is the client (docs/privacy.md, Client addresses and proxies).
"""

import ipaddress

from django.conf import settings
from django.utils.cache import add_never_cache_headers

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _address(text: str | None) -> Address | None:
    try:
        address = ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None
    # An IPv4 client seen through an IPv6 socket (::ffff:10.0.0.5) is that IPv4 address.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def proxy_trusted(address: Address) -> bool:
    """Whether the address is one of the configured reverse proxies (settings.TRUSTED_PROXIES)."""
    return any(address in network for network in settings.TRUSTED_PROXIES)


def client_ip(request) -> str | None:
    """The client's address: the socket's, or, from a trusted proxy, the first untrusted hop of XFF."""
    peer = _address(request.META.get("REMOTE_ADDR"))
    if peer is None:
        return None
    if not proxy_trusted(peer):
        return str(peer)
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            # Not an address: written by whoever is left of the last trusted proxy. That proxy is the
            # client as far as anything trustworthy tells.
            break
        peer = address
        if not proxy_trusted(address):
            break
    return str(peer)


class ForwardedProtoMiddleware:
    """Drops `X-Forwarded-Proto` unless a trusted proxy sent it.

    Django believes the header (SECURE_PROXY_SSL_HEADER) from anyone; a client reaching a node directly
    could otherwise call plain HTTP secure and skip the redirect to HTTPS.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        peer = _address(request.META.get("REMOTE_ADDR"))
        if "HTTP_X_FORWARDED_PROTO" in request.META and (peer is None or not proxy_trusted(peer)):
            del request.META["HTTP_X_FORWARDED_PROTO"]
        return self.get_response(request)


class NoStoreMiddleware:
    """`Cache-Control: no-store` (and Django's other never-cache headers) on every answer of the app.

    The record page holds a full ID number, the lists and the API's JSON families' names and numbers: no
    browser, proxy or shared ward computer may keep a copy. Placed below WhiteNoise in MIDDLEWARE, so static
    files (hashed names, cached for good) never pass here.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response
