"""Navigation for the base layout: the areas that fit the person's role, and the role itself.

An area a person could only find empty is not shown (Customers to an employee: customers belong to the
departments a person manages), and an area opens on the page that fits the role (Metrics: an admin's organization
dashboard, everyone else's own metrics). The rules of who may do what are org.access's.
"""

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
    user_role = access.role(user)
    for key, label, url_name in AREAS:
        if key == "customers" and not access.keeps_customers(user):
            continue
        prefix = reverse(url_name)
        url = reverse("metrics:overview") if key == "metrics" and user_role == access.ADMIN else prefix
        areas.append({"key": key, "label": label, "url": url, "active": current.startswith(prefix)})
    return {
        "nav_areas": areas,
        "nav_role": user_role,
        "nav_role_label": access.ROLE_LABELS[user_role],
        "nav_is_admin": user_role == access.ADMIN,
    }
