"""No input gives a server error: every URL of the project, as every role, with hostile values in every field.

The walk resolves the URLconf, fills each pattern's path parameters with real objects of a small organization
(the `org` fixture plus factories) and then with hostile values, and for each role (outsider charlie, employee
bob, manager alice, admin) opens every page; then it takes every form the page declares (its fields, hidden ones
included, and the query parameters of its links) and sends it back with one field at a time replaced by each
hostile value, the others keeping the page's own values (so that a form is otherwise valid and its service runs).
Each form gets every hostile value in all its fields at once, then one field at a time the values that matter for
the field's kind (FIELD_KINDS). It fails on any 5xx and prints what it tried (about 2,800 requests for the four
roles, under a minute on SQLite with -n 2). A URL pattern the walk cannot fill fails the test: new pages are
covered by adding their objects to PATH_VALUES. Run it on PostgreSQL too (DATABASE_URL): a NUL reaches the
database there.
"""

import ipaddress
import logging
import re
import sys
import time
from collections import Counter
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import got_request_exception
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from api import services as api_services
from core import uploads
from customers.models import Campaign, FollowUp
from metrics.models import Reading, ScorecardExport
from metrics.services import awards, rollups
from metrics.services.readings import ReadingRow, record_readings
from reviews.services import quizzes
from reviews.services import sessions as scheduling
from tests.customers.factories import make_campaign, make_customer, make_recipient, published_definition, respond
from tests.goals.factories import CheckInFactory, GoalCycleFactory, GoalFactory, QualityDefinitionFactory
from tests.helpers import TEST_NOW
from tests.metrics.factories import MetricFactory, TargetFactory
from tests.reviews.factories import ActionItemFactory, RefresherProgrammeFactory, details, make_quiz, quarterly
from tests.webhooks.factories import SubscriptionFactory

HOSTILE = {
    "nul": "a\x00b",
    "huge integer": "99999999999999999999999",
    "huge float": "1e308",
    "far future": "9999-12-31",
    "far past": "0001-01-01",
    "long text": "x" * 10_000,
    "formula": '＝HYPERLINK("http://evil.example","click")',
}
ROLES = ("charlie", "bob", "alice", "admin")
SKIPPED_ACTIONS = ("/accounts/logout/",)  # signing out would end the role's walk
STR_PATH_VALUES = {"nul": "a%00b", "long text": "x" * 2_000, "formula": "%EF%BC%9D1"}  # for <str:>/<slug:> parts


def _no_dns(host: str, port: int) -> list[str]:
    """Webhook targets resolve here without the network: an address is itself, a name is unknown."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        raise OSError(f"{host} is not looked up in tests") from None


@pytest.fixture
def scene(org, monkeypatch):
    """One of each kind of object a URL can name, in Support (alice's), visible to bob, foreign to charlie."""
    monkeypatch.setattr("webhooks.targets.resolve", _no_dns)
    metric = MetricFactory(department=org.support, name="First reply time", code="reply")
    TargetFactory(metric=metric)
    record_readings(
        rows=[
            ReadingRow(metric=metric, person=org.bob, measured_at=TEST_NOW - timedelta(days=20 + n), value=5 + n)
            for n in range(3)
        ],
        recorded_by=org.admin,
        source=Reading.Source.FORM,
    )
    rollups.run()
    closed = awards.close_period(
        department=org.support,
        period="week",
        start=(TEST_NOW - timedelta(days=21)).date(),
        rule="all_on_target",
        top_n=3,
        closed_by=org.alice,
    )
    award = awards.add_award(closed_period=closed, person=org.bob, title="Star of the week", added_by=org.alice)
    export = ScorecardExport.objects.create(
        user=org.alice,
        department=org.support,
        period="week",
        start=closed.start,
        rows="people",
        sort="name",
        name="scorecard-support",
        status=ScorecardExport.Status.DONE,
        content=b"PK",
    )
    definition = published_definition(department=org.support)
    QualityDefinitionFactory(department=org.support, title="A draft")
    cycle = GoalCycleFactory()
    top = GoalFactory(cycle=cycle, title="Delight customers", owner=org.admin)
    goal = GoalFactory(
        cycle=cycle,
        department=org.support,
        owner=org.alice,
        metric=metric,
        baseline=10,
        target=5,
        direction="decrease",
        parents=[top],
        milestones=[("Survey", 1, None)],
    )
    CheckInFactory(goal=goal)
    session = scheduling.schedule_session(
        by=org.admin, details=details(org, people=[org.bob]), starts_at=TEST_NOW + timedelta(days=7)
    )
    ActionItemFactory(session=session, owner=org.bob)
    invitation = session.invitations.get(person=org.bob)
    series = scheduling.create_series(
        by=org.admin, details=details(org), pattern=quarterly((TEST_NOW + timedelta(days=40)).date().replace(day=1))
    )
    RefresherProgrammeFactory(definitions=[definition], departments=[org.support])
    quiz = make_quiz(definition)
    attempt = quizzes.start_attempt(quiz=quiz, person=org.bob)
    customer = make_customer(org.support)
    campaign = make_campaign(org.support, definition=definition)
    draft = make_campaign(org.support, status=Campaign.Status.DRAFT, definition=definition)
    respond(campaign, ["worse", "worse"], comment="Slow")
    _recipient, answer_token = make_recipient(campaign)
    # A receiver that is not there (port 9, discard): a test event fails at once, on this machine.
    subscription = SubscriptionFactory(department=org.support, url="http://127.0.0.1:9/", allow_private_targets=True)
    service_account = api_services.create_service_account(
        by=org.admin, username="erp", description="ERP", departments=[org.sales]
    )
    api_token = api_services.issue_token(
        user=org.bob, by=org.bob, name="Help desk", scope="read_write", expires_at=TEST_NOW + timedelta(days=30)
    ).token
    readings_csv = SimpleUploadedFile("r.csv", b"metric,person,measured_at,value\nreply,bob,2026-11-02,5\n")
    customers_csv = SimpleUploadedFile("c.csv", b"name,email\nHarbour Books,h@example.com\n")
    values = {
        "password_reset_confirm": {
            "uidb64": urlsafe_base64_encode(force_bytes(org.bob.pk)),
            "token": default_token_generator.make_token(org.bob),
        },
        "org:department": {"pk": org.support.pk},
        "goals:definition": {"pk": definition.pk},
        "goals:goal": {"pk": goal.pk},
        "goals:cycle": {"pk": cycle.pk},
        "metrics:department": {"pk": org.support.pk},
        "metrics:metric": {"pk": metric.pk},
        "metrics:import": {"token": uploads.keep(user=org.alice, upload=readings_csv, kind="readings").token},
        "metrics:scorecard": {"pk": org.support.pk},
        "metrics:closed_period": {"pk": closed.pk},
        "metrics:award": {"pk": closed.pk, "award_pk": award.pk},
        "metrics:scorecard_export": {"pk": org.support.pk, "job_pk": export.pk},
        "reviews:session": {"pk": session.pk},
        "reviews:action": {"pk": session.action_items.get().pk},
        "reviews:series": {"pk": series.pk},
        "reviews:answer": {"token": scheduling.response_token(invitation, "accept")},
        "reviews:quiz": {"definition_pk": definition.pk},
        "reviews:attempt": {"nonce": attempt.nonce},
        "reviews:programme": {"pk": quiz.definition.refresher_programmes.get().pk},
        "customers:customer": {"pk": customer.pk},
        "customers:internal": {"department_pk": org.support.pk},
        "customers:import": {
            "token": uploads.keep(
                user=org.alice, upload=customers_csv, kind="customers", data={"department": org.support.pk}
            ).token
        },
        "customers:campaign": {"pk": draft.pk},
        "customers:results": {"pk": campaign.pk},
        "customers:follow_up": {"pk": FollowUp.objects.filter(campaign=campaign).first().pk},
        "respond:answer": {"token": answer_token},
        "webhooks:subscription": {"pk": subscription.pk},
        "api:metric": {"metric_id": metric.pk},
        "api:department": {"department_id": org.support.pk},
        "api:goal": {"goal_id": goal.pk},
        "api:definition": {"definition_id": definition.pk},
        "api:campaign": {"campaign_id": campaign.pk},
        "api:follow_up": {"follow_up_id": FollowUp.objects.filter(campaign=campaign).first().pk},
        "api_pages:token": {"pk": api_token.pk},
        "api_pages:account": {"pk": service_account.pk},
    }
    return org, values


# Which entry of the scene's values fills a URL's parameters: the URL name, or a shorter key its name starts with.
PATH_VALUES = {
    "org:department": "org:department",
    "goals:definition": "goals:definition",
    "goals:goal": "goals:goal",
    "goals:check_in": "goals:goal",
    "goals:cycle_close": "goals:cycle",
    "goals:carry_over": "goals:cycle",
    "metrics:department": "metrics:department",
    "metrics:metric": "metrics:metric",
    "metrics:card": "metrics:metric",
    "metrics:import_": "metrics:import",
    "metrics:scorecard": "metrics:scorecard",
    "metrics:scorecard_export": "metrics:scorecard_export",
    "metrics:scorecard_download": "metrics:scorecard_export",
    "metrics:closed_period": "metrics:closed_period",
    "metrics:award_add": "metrics:closed_period",
    "metrics:award_confirm_all": "metrics:closed_period",
    "metrics:award_tie": "metrics:closed_period",
    "metrics:award_": "metrics:award",
    "reviews:session": "reviews:session",
    "reviews:respond": "reviews:session",
    "reviews:cancel": "reviews:session",
    "reviews:attendance": "reviews:session",
    "reviews:minutes": "reviews:session",
    "reviews:action_add": "reviews:session",
    "reviews:action_done": "reviews:action",
    "reviews:series": "reviews:series",
    "reviews:answer": "reviews:answer",
    "reviews:quiz_edit": "reviews:quiz",
    "reviews:quiz_submit": "reviews:attempt",
    "reviews:quiz_result": "reviews:attempt",
    "reviews:quiz": "reviews:quiz",
    "reviews:programme_edit": "reviews:programme",
    "customers:customer_": "customers:customer",
    "customers:internal": "customers:internal",
    "customers:import_": "customers:import",
    "customers:campaign_results": "customers:results",
    "customers:record_scores": "customers:results",
    "customers:propose_revision": "customers:results",
    "customers:goal_from_gap": "customers:results",
    "customers:campaign": "customers:campaign",
    "customers:follow_up": "customers:follow_up",
    "respond:answer": "respond:answer",
    "password_reset_confirm": "password_reset_confirm",
    "webhooks:": "webhooks:subscription",
    "api:get_metric": "api:metric",
    "api:list_rollups": "api:metric",
    "api:department_": "api:department",
    "api:upsert_customer": "api:department",
    "api:get_goal": "api:goal",
    "api:post_check_in": "api:goal",
    "api:get_definition": "api:definition",
    "api:campaign_results": "api:campaign",
    "api:update_follow_up": "api:follow_up",
    "api_pages:revoke": "api_pages:token",
    "api_pages:service_account": "api_pages:account",
    "api_pages:deactivate_service_account": "api_pages:account",
}


def url_patterns(patterns=None, prefix="", namespace=None):
    """(route, name, converters) of every URL pattern outside the admin, in URLconf order."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if str(pattern.pattern).startswith("admin/"):
                continue
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from url_patterns(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            route = prefix + str(pattern.pattern)
            yield route, name, {key: kind or "str" for kind, key in re.findall(r"<(?:(\w+):)?(\w+)>", route)}


def urls_to_walk(values, *, hostile_paths: bool) -> list[tuple[str, str]]:
    """(url, description) for every pattern: with the scene's objects, then with hostile path values."""
    walked, unfilled = [], []
    for route, name, params in url_patterns():
        if not params:
            walked.append((reverse(name), name))
            continue
        key = next((PATH_VALUES[k] for k in sorted(PATH_VALUES, key=len, reverse=True) if name.startswith(k)), None)
        if key is None or set(values[key]) != set(params):
            unfilled.append(f"{name} ({route})")
            continue
        walked.append((reverse(name, kwargs=values[key]), name))
        for kind, hostile in HOSTILE.items() if hostile_paths else ():
            path = route
            for param, converter in params.items():
                value = hostile if converter == "int" else STR_PATH_VALUES.get(kind)
                if value is None or (converter == "int" and not hostile.isdigit()):
                    path = None
                    break
                path = re.sub(rf"<(?:\w+:)?{param}>", value, path)
            if path is not None:
                walked.append(("/" + path, f"{name} with a {kind} in its path"))
    assert not unfilled, f"URL patterns without objects to fill them (add them to PATH_VALUES): {unfilled}"
    return walked


class Form:
    def __init__(self, method: str, action: str):
        self.method, self.action = method, action
        self.fields: dict[str, list[str]] = {}  # name -> the page's values
        self.files: list[str] = []
        self.choices: dict[str, list[str]] = {}
        self.types: dict[str, str] = {}


class FormParser(HTMLParser):
    """The forms of a page (fields with the values the page gives them) and the query parameters of its links."""

    def __init__(self, page_path: str):
        super().__init__()
        self.page_path = page_path
        self.forms: list[Form] = []
        self.links: dict[str, dict[str, str]] = {}
        self._form: Form | None = None
        self._select: str | None = None
        self._selected = False
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self._form = Form(
                a.get("method", "get").lower(), urlsplit(a.get("action") or self.page_path).path or self.page_path
            )
            self.forms.append(self._form)
        elif tag == "a" and a.get("href", "").startswith(("?", self.page_path + "?")):
            self.links.setdefault(self.page_path, {}).update(dict(parse_qsl(urlsplit(a["href"]).query)))
        form = self._form
        if form is None or not a.get("name"):
            if tag == "option" and form is not None and self._select:
                self._option(a)
            return
        name, kind = a["name"], a.get("type", "text").lower()
        if tag == "input":
            form.types[name] = kind
            if kind == "file":
                form.files.append(name)
            elif kind in ("checkbox", "radio"):
                form.choices.setdefault(name, []).append(a.get("value", "on"))
                if "checked" in a:
                    form.fields.setdefault(name, []).append(a.get("value", "on"))
            elif kind not in ("submit", "button", "image", "reset"):
                form.fields.setdefault(name, []).append(a.get("value", ""))
            elif name not in form.fields:
                form.fields[name] = [a.get("value", "")]
        elif tag == "button" and a.get("type", "submit") == "submit" and name not in form.fields:
            form.fields[name] = [a.get("value", "")]
        elif tag == "select":
            self._select, self._selected = name, False
            form.types[name] = "select"
            form.fields.setdefault(name, [])
        elif tag == "textarea":
            self._textarea = name
            form.types[name] = "textarea"
            form.fields[name] = [""]

    def _option(self, a):
        value = a.get("value", "")
        self._form.choices.setdefault(self._select, []).append(value)
        if "selected" in a:
            self._form.fields[self._select].append(value)

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form.fields[self._textarea][0] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


PLAUSIBLE = {
    "date": (TEST_NOW + timedelta(days=10)).date().isoformat(),
    "datetime-local": (TEST_NOW - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
    "time": "10:00",
    "number": "1",
    "email": "someone@example.com",
    "url": "https://example.com/",
    "month": (TEST_NOW + timedelta(days=40)).strftime("%Y-%m"),
}


def baseline(form: Form) -> dict[str, list[str]]:
    """The page's values, with a plausible value wherever the page leaves a field empty (so that the form can be
    valid apart from the one hostile field)."""
    data = {}
    for name, values in form.fields.items():
        values = [v for v in values if v != ""] or [""]
        if values == [""]:
            kind = form.types.get(name, "text")
            choices = [c for c in form.choices.get(name, []) if c]
            values = [choices[0] if choices else PLAUSIBLE.get(kind, "Hostile input test")]
        data[name] = values
    return data


# The hostile values worth trying one field at a time, by the kind of field (all of them go into every field at
# once as well): a number field takes huge numbers, a date field far dates, a text field long and formula text.
FIELD_KINDS = {
    "number": ("huge integer", "huge float"),
    "date": ("far future", "far past"),
    "datetime-local": ("far future", "far past"),
    "month": ("far future",),
    "time": ("huge integer",),
    "select": ("huge integer",),
    "checkbox": ("huge integer",),
    "radio": ("huge integer",),
    "hidden": ("huge integer", "far future", "long text"),
    "file": ("long text",),
}
TEXT_KINDS = ("long text", "formula", "huge float")


class Walk:
    def __init__(self, client, role: str):
        self.client, self.role = client, role
        self.tried = 0
        self.errors: list[str] = []
        self.exceptions: list[str] = []
        self.seen_forms: set = set()
        self.statuses = Counter()

    def send(self, method: str, url: str, data, what: str):
        before = len(self.exceptions)
        response = self.client.get(url, data) if method == "get" else self.client.post(url, data)
        self.tried += 1
        self.statuses[response.status_code // 100] += 1
        if response.status_code >= 500:
            cause = self.exceptions[-1] if len(self.exceptions) > before else ""
            self.errors.append(f"{response.status_code} {method.upper()} {url} as {self.role}, {what}: {cause}")
        return response

    def forms(self, response, path: str) -> list[Form]:
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            return []
        parser = FormParser(path)
        parser.feed(response.content.decode())
        found = [f for f in parser.forms if not f.action.startswith(SKIPPED_ACTIONS)]
        for page, params in parser.links.items():
            link = Form("get", page)
            link.fields = {k: [v] for k, v in params.items()}
            found.append(link)
        return found

    def attack(self, form: Form):
        """Every hostile value in every field at once, then one field at a time with the values for its kind."""
        key = (form.method, form.action, tuple(sorted(form.fields)), tuple(form.files))
        if key in self.seen_forms:
            return
        self.seen_forms.add(key)
        base = baseline(form)
        names = [n for n in form.fields if n != "csrfmiddlewaretoken"] + form.files
        for kind, hostile in HOSTILE.items():
            self.post(form, base, dict.fromkeys(names, hostile), f"every field = {kind}")
        for name in names:
            field_type = "file" if name in form.files else form.types.get(name, "text")
            for kind in FIELD_KINDS.get(field_type, TEXT_KINDS):
                self.post(form, base, {name: HOSTILE[kind]}, f"{name} = {kind}")

    def post(self, form: Form, base: dict, hostile: dict, what: str):
        data = {**base, **{name: [value] for name, value in hostile.items() if name not in form.files}}
        for name in form.files:
            content = hostile.get(name, "name,email\nHarbour Books,h@example.com\n")
            data[name] = SimpleUploadedFile("hostile.csv", content.encode())
        self.send(form.method, form.action, data, what)


@pytest.mark.parametrize("role", ROLES)
def test_no_hostile_input_gives_a_server_error(scene, role, settings):
    """As one role: every page, every page with hostile path values (admin only: the 404s are the same for all),
    every form and link filter attacked, and every POST-only URL posted to empty."""
    org, values = scene
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"  # one query less a request
    client = Client(raise_request_exception=False)
    client.force_login(org.admin if role == "admin" else getattr(org, role))
    walk = Walk(client, role)
    got_request_exception.connect(
        lambda sender, request=None, **kw: walk.exceptions.append(repr(sys.exc_info()[1])[:300]),
        weak=False,
        dispatch_uid="hostile-walk",
    )
    logger = logging.getLogger("django.request")
    level, logger.level = logger.level, logging.CRITICAL  # each 4xx and 5xx would be logged; they are counted here
    started = time.monotonic()
    try:
        urls = urls_to_walk(values, hostile_paths=role == "admin")
        post_only = []
        for url, name in urls:
            response = walk.send("get", url, {}, f"opening {name}")
            if response.status_code == 405:
                post_only.append((url, name))
            for form in walk.forms(response, urlsplit(url).path):
                walk.attack(form)
        for url, name in post_only:  # last: an empty POST may archive, cancel or send things
            walk.send("post", url, {}, f"posting nothing to {name}")
    finally:
        logger.level = level
        got_request_exception.disconnect(dispatch_uid="hostile-walk")
    seconds = time.monotonic() - started
    print(
        f"\nhostile input as {role}: {len(urls)} URLs, {len(walk.seen_forms)} forms and filters attacked, "
        f"{walk.tried} requests in {seconds:.1f}s, by status class {dict(sorted(walk.statuses.items()))}, "
        f"{len(walk.errors)} 5xx"
    )
    assert walk.tried > 200
    assert walk.errors == [], "\n".join(walk.errors[:40]) + f"\n({len(walk.errors)} in all)"
