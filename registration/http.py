"""Request helpers shared by the views."""

from django.conf import settings


def client_ip(request) -> str | None:
    """The client's address for the audit log.

    REMOTE_ADDR, unless the app runs behind a reverse proxy that the settings trust
    (NEWBORN_ENROLL_TRUSTED_PROXY_COUNT > 0): then the address that proxy appended to X-Forwarded-For.
    """
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies] or None
    return request.META.get("REMOTE_ADDR") or None
