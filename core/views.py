"""Files browsers ask for at fixed addresses, outside /static/: /favicon.ico and the web app manifest.

Both are public (a browser asks for the icon on the sign-in page too) and cached for a day; the icons themselves
are static files (static/favicon.ico, static/icons/), served with their hashed names by WhiteNoise.
"""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponseRedirect, JsonResponse
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

DAY = 24 * 60 * 60
THEME_COLOUR = "#15324f"  # --keel-navy in static/css/keel.css


@login_not_required
@require_safe
@cache_control(max_age=DAY, public=True)
def favicon(request):
    """302 to the static icon (16, 32 and 48 px), whose hashed name changes with its content."""
    return HttpResponseRedirect(static("favicon.ico"))


@login_not_required
@require_safe
@cache_control(max_age=DAY, public=True)
def web_manifest(request):
    """The web app manifest (application/manifest+json): name, colours, and the icons at 192 and 512 px."""
    manifest = {
        "name": "Keel",
        "short_name": "Keel",
        "description": "Customer-driven quality, every day",
        "start_url": reverse("today"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "icons": [
            {"src": static("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": static("favicon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    return JsonResponse(manifest, content_type="application/manifest+json")
