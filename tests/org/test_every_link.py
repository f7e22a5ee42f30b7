"""Every link Keel shows a person works for that person: a breadth-first crawl of the demo organization as each
demo role (admin, a manager, an employee), from Today, failing on any 4xx or 5xx, and on any page that shows form
errors though the person has sent nothing (a form bound to a link's query string).

Same-origin GET links only (<a href>, and the icons and manifest of <link href>); the sign-out form and every
other POST are not links and are never followed. The crawl is bounded: one representative per URL pattern and
set of query parameters (metric 7 stands for every metric), and at most MAX_PAGES per role, so it runs in seconds
on the small demo. Django's own admin site is left out (its links are Django's, and its change forms are many).
"""

import io
from collections import deque
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import Resolver404, resolve

from org.models import User

MAX_PAGES = 250
SKIPPED_PREFIXES = ("/admin/", "/accounts/logout/")
PARSED_TYPES = ("text/html",)
# A page opened by a link has sent no form, so it shows no form errors (crispy's markup, and Django's own text).
ERROR_MARKS = ("is-invalid", "invalid-feedback", "This field is required.")
LINK_RELS = {"icon", "manifest", "apple-touch-icon"}


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        followed = tag == "a" or (tag == "link" and attrs.get("rel") in LINK_RELS)
        if followed and attrs.get("href"):
            self.found.append(attrs["href"])


def same_origin(href: str, base: str) -> str | None:
    """The path and query `href` (read on the page at `base`) leads to on this site, or None if elsewhere."""
    if href.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
        return None
    parts = urlsplit(urljoin(f"http://testserver{base}", href))
    if parts.netloc != "testserver":
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def links_of(html: str, base: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return [url for href in parser.found if (url := same_origin(href, base)) is not None]


def pattern_of(url: str) -> tuple:
    """What one representative stands for: the URL pattern (whatever its ids) and the names of the query
    parameters (whatever their values: ?period=day stands for ?period=week)."""
    parts = urlsplit(url)
    try:
        route = resolve(parts.path).route
    except Resolver404:
        route = parts.path
    return route, tuple(sorted({name for name, _value in parse_qsl(parts.query, keep_blank_values=True)}))


def crawl(client, user) -> tuple[list[str], dict[str, tuple[int | str, str]]]:
    """(pages visited, {url: (status, the page that linked to it)}) for every link that answered 4xx or 5xx, or
    ("form errors", referrer) for a page that showed form errors though nothing was sent."""
    client.force_login(user)
    queue = deque([("/", "(start)")])
    seen_patterns: set[tuple] = set()
    visited: list[str] = []
    broken: dict[str, tuple[int | str, str]] = {}
    while queue and len(visited) < MAX_PAGES:
        url, referrer = queue.popleft()
        path = urlsplit(url).path
        if path.startswith(SKIPPED_PREFIXES):
            continue
        if path.startswith("/static/"):
            if finders.find(path.removeprefix("/static/")) is None:
                broken[url] = (404, referrer)
            continue
        key = pattern_of(url)
        if key in seen_patterns:
            continue
        seen_patterns.add(key)
        response = client.get(url)
        visited.append(url)
        if response.status_code in (301, 302, 303, 307, 308):
            if (target := same_origin(response["Location"], url)) is not None:
                queue.append((target, url))
            continue
        if response.status_code >= 400:
            broken[url] = (response.status_code, referrer)
            continue
        if response.get("Content-Type", "").split(";")[0] in PARSED_TYPES and not response.streaming:
            html = response.content.decode()
            if any(mark in html for mark in ERROR_MARKS):
                broken[url] = ("form errors", referrer)
            for link in links_of(html, url):
                queue.append((link, url))
    return visited, broken


@pytest.fixture
def demo(db, settings):
    settings.DEBUG = True  # seed_demo refuses to run otherwise (it adds people with a known password)
    call_command("seed_demo", "--seed", "42", stdout=io.StringIO())
    settings.DEBUG = False


def test_every_link_of_every_page_works_for_every_demo_role(demo, client):
    failures = []
    for username in ("admin", "manager", "employee"):
        visited, broken = crawl(client, User.objects.get(username=username))
        assert len(visited) > 10, f"{username}: the crawl stopped early at {visited}"
        failures += [f"{username}: {url} answered {code} (linked from {ref})" for url, (code, ref) in broken.items()]
    assert not failures, "\n".join(failures)
