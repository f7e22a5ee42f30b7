"""Where to go after a form: the page a person came from, when it is a page of this site."""

from django.utils.http import url_has_allowed_host_and_scheme


def safe_target(request, target: str | None) -> str | None:
    """target when it is a path on this site ("/reviews/…"), else None.

    Only a path: a bare word ("ab") passes Django's host check but `redirect()` would take it for a view name
    and fail with NoReverseMatch (a 500); another host or scheme would send people off-site.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    return target
