"""Navigation for the base layout: the five areas, and the person's role."""

from django.urls import reverse

from org import access

AREAS = [
    ("definitions", "Definitions", "goals:definitions"),
    ("goals", "Goals", "goals:index"),
    ("metrics", "Metrics", "metrics:index"),
    ("reviews", "Reviews", "reviews:index"),
    ("customers", "Customers", "customers:index"),
]


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    current = request.path
    areas = []
    for key, label, url_name in AREAS:
        url = reverse(url_name)
        areas.append({"key": key, "label": label, "url": url, "active": current.startswith(url)})
    user_role = access.role(user)
    return {
        "nav_areas": areas,
        "nav_role": user_role,
        "nav_role_label": access.ROLE_LABELS[user_role],
        "nav_is_admin": user_role == access.ADMIN,
    }
