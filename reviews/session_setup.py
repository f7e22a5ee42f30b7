"""Registers the review sessions' home page section and demo step (imported by ReviewsConfig.ready)."""

import random
from datetime import date, time, timedelta

from django.db import transaction
from django.utils import timezone

from core import demo, periods, today
from goals.models import QualityDefinition
from org.models import Department, User
from reviews.models import ActionItem, Invitation, ReviewSeries, ReviewSession
from reviews.services import sessions as scheduling
from reviews.services.sessions import Details, Pattern

TODAY_LIMIT = 6


def review_sessions(request) -> dict | None:
    """Today's "Review sessions": invitations the person has not answered and the actions they own that are open.
    Two queries; nothing to say when both are empty."""
    now = timezone.now()
    invitations = list(Invitation.objects.filter(person=request.user, response=Invitation.Response.PENDING,
                                                 session__starts_at__gt=now, session__cancelled_at__isnull=True)
                       .select_related("session").order_by("session__starts_at")[:TODAY_LIMIT])
    actions = list(ActionItem.objects.filter(owner=request.user, done_at__isnull=True)
                   .select_related("session").order_by("due_date", "pk")[:TODAY_LIMIT])
    if not invitations and not actions:
        return None
    return {"invitations": invitations, "actions": actions, "today": periods.today()}


today.register(key="reviews", title="Review sessions", order=30, template="reviews/_session_today.html",
               context=review_sessions)


# --- demo data ---------------------------------------------------------------------------------------------------

DEMO_TITLE = "Quality review"
DEMO_DIVISION = "customer-service"
DEMO_AGENDA = ("1. Where our figures stand against each promise\n2. What customers told us since the last review\n"
               "3. Actions from last time\n4. New actions")
DEMO_MINUTES = [
    "First-contact resolution is up two points; reply times slipped during the holiday weeks. The team agreed to "
    "review the reply templates and to share the best answers of the quarter.",
    "Customers still ask twice about refunds: the help article is unclear. CSAT is steady. Escalations want a "
    "shorter hand-over note.",
    "Good quarter: every promise met except first reply within four hours on Mondays. The rota changes next month.",
    "We looked at ten real tickets against the definition; most met it. Two misunderstandings of 'solved' were "
    "discussed and the definition's wording will be clarified.",
]
DEMO_ACTIONS = ["Review the reply templates against the four-hour promise", "Rewrite the refund help article",
                "Shorter hand-over note for escalations", "Share the best answers of the quarter",
                "Monday rota: one more person on the early shift", "Clarify what 'solved' means in the definition"]
DEMO_EMPLOYEE = "employee"


def _first_tuesday_months_back(today: date, months: int) -> date:
    index = today.year * 12 + today.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


@demo.register(name="review-sessions", order=40)
@transaction.atomic
def seed_review_sessions(*, rng: random.Random, size: str, stdout=None) -> str:
    """A quarterly "Quality review" series for Customer Service on its definitions: the year's past sessions with
    answers, attendance, minutes and action items (one open for the demo employee), and the sessions ahead."""
    if ReviewSeries.objects.filter(title=DEMO_TITLE).exists():
        return "review sessions: already there"
    division = Department.objects.filter(code=DEMO_DIVISION).first()
    admin = User.objects.filter(username="admin").first()
    definitions = list(QualityDefinition.objects.active().filter(
        department__in=Department.objects.subtree_of(division))
                       .order_by("title")) if division else []
    if division is None or admin is None or not definitions:
        return "review sessions: no demo organization or definitions yet"
    facilitator = division.managers.order_by("username").first() or admin
    now = timezone.now()
    day = periods.today()
    details = Details(title=DEMO_TITLE, facilitator=facilitator, time_zone=periods.organization_zone().key,
                      duration_minutes=90, place="Training room 2, head office",
                      video_link="https://meet.example/meridian-quality-review", agenda=DEMO_AGENDA,
                      definitions=definitions, departments=[division])
    pattern = Pattern(week_of_month=1, weekday=1, every_months=3, first_month=_first_tuesday_months_back(day, 12),
                      local_time=time(10, 0))
    series = scheduling.create_series(by=admin, details=details, pattern=pattern, now=now)
    # The demo pretends the invitations to the sessions ahead went out when they were made: seeding should not
    # e-mail hundreds of made-up addresses.
    Invitation.objects.filter(session__series=series).update(sent_at=now)
    past_days = scheduling.occurrence_days(series, start=pattern.first_month, end=day)
    people = list(scheduling.invitees(departments=[division]).order_by("username"))
    made_actions = 0
    for n, occurrence in enumerate(d for d in past_days
                                   if scheduling.local_start(d, series.local_time, series.time_zone) < now):
        session = ReviewSession.objects.create(
            series=series, occurrence=occurrence, title=series.title, agenda=series.agenda,
            starts_at=scheduling.local_start(occurrence, series.local_time, series.time_zone),
            time_zone=series.time_zone, duration_minutes=series.duration_minutes, place=series.place,
            video_link=series.video_link, facilitator=facilitator, created_by=admin,
            minutes=DEMO_MINUTES[n % len(DEMO_MINUTES)])
        session.definitions.set(definitions)
        invited_at = session.starts_at - timedelta(days=21)
        rows = []
        for person in people:
            response = rng.choices(["accepted", "declined", "pending"], weights=[80, 12, 8])[0]
            rows.append(Invitation(session=session, person=person, response=response, sent_at=invited_at,
                                   responded_at=invited_at + timedelta(days=rng.randint(1, 10))
                                   if response != "pending" else None))
        Invitation.objects.bulk_create(rows, batch_size=1000)
        attended = [i.person_id for i in rows if i.response == "accepted" and rng.random() < 0.9]
        scheduling.take_attendance(session=session, by=facilitator, attended_ids=attended, now=now)
        present = set(attended)
        owners = [p for p in people if p.pk in present] or [facilitator]
        session_day = session.starts_at.date()
        for k in range(2):
            title = DEMO_ACTIONS[(2 * n + k) % len(DEMO_ACTIONS)]
            owner = rng.choice(owners)
            due = session_day + timedelta(days=rng.randint(14, 45))
            ActionItem.objects.create(session=session, title=title, owner=owner, due_date=due,
                                      done_at=None if due >= day else session.starts_at + timedelta(days=10))
            made_actions += 1
    last = series.sessions.filter(starts_at__lt=now).order_by("-starts_at").first()
    employee = User.objects.filter(username=DEMO_EMPLOYEE).first()
    if last and employee:
        ActionItem.objects.create(session=last, title="Read the updated “Support tickets” definition with the team",
                                  owner=employee, due_date=max(day + timedelta(days=7), last.starts_at.date()))
        made_actions += 1
    sessions = series.sessions.count()
    return (f"review sessions: series “{DEMO_TITLE}” with {sessions} sessions "
            f"({sessions - series.sessions.filter(starts_at__gt=now).count()} past), {made_actions} action items")
