"""Demo data of reviews: a quarterly review series with its past sessions, and refresher training."""

import random
from datetime import date, time, timedelta

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from core import demo, periods
from goals.models import DefinitionVersion, QualityDefinition
from org.models import Department, User
from reviews.models import (
    ActionItem,
    Answer,
    Completion,
    Invitation,
    Quiz,
    QuizAttempt,
    RefresherProgramme,
    ReviewSeries,
    ReviewSession,
)
from reviews.services import quizzes, training
from reviews.services import sessions as scheduling
from reviews.services.sessions import Details, Pattern

# --- review sessions ---------------------------------------------------------------------------------------------

DEMO_TITLE = "Quality review"
DEMO_DIVISION = "customer-service"
DEMO_AGENDA = (
    "1. Where our figures stand against each promise\n2. What customers told us since the last review\n"
    "3. Actions from last time\n4. New actions"
)
DEMO_MINUTES = [
    "First-contact resolution is up two points; reply times slipped during the holiday weeks. The team agreed to "
    "review the reply templates and to share the best answers of the quarter.",
    "Customers still ask twice about refunds: the help article is unclear. CSAT is steady. Escalations want a "
    "shorter hand-over note.",
    "Good quarter: every promise met except first reply within four hours on Mondays. The rota changes next month.",
    "We looked at ten real tickets against the definition; most met it. Two misunderstandings of 'solved' were "
    "discussed and the definition's wording will be clarified.",
]
DEMO_ACTIONS = [
    "Review the reply templates against the four-hour promise",
    "Rewrite the refund help article",
    "Shorter hand-over note for escalations",
    "Share the best answers of the quarter",
    "Monday rota: one more person on the early shift",
    "Clarify what 'solved' means in the definition",
]
DEMO_EMPLOYEE = "employee"


def _first_tuesday_months_back(today: date, months: int) -> date:
    index = today.year * 12 + today.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


@transaction.atomic
def seed_review_sessions(*, rng: random.Random, size: str, stdout=None) -> str:
    """A quarterly "Quality review" series for Customer Service on its definitions: the year's past sessions with
    answers, attendance, minutes and action items (one open for the demo employee), and the sessions ahead."""
    if ReviewSeries.objects.filter(title=DEMO_TITLE).exists():
        return "review sessions: already there"
    division = Department.objects.filter(code=DEMO_DIVISION).first()
    admin = User.objects.filter(username="admin").first()
    definitions = (
        list(
            QualityDefinition.objects.active()
            .filter(department__in=Department.objects.subtree_of(division))
            .order_by("title")
        )
        if division
        else []
    )
    if division is None or admin is None or not definitions:
        return "review sessions: no demo organization or definitions yet"
    facilitator = division.managers.order_by("username").first() or admin
    now = timezone.now()
    day = periods.today()
    details = Details(
        title=DEMO_TITLE,
        facilitator=facilitator,
        time_zone=periods.organization_zone().key,
        duration_minutes=90,
        place="Training room 2, head office",
        video_link="https://meet.example/meridian-quality-review",
        agenda=DEMO_AGENDA,
        definitions=definitions,
        departments=[division],
    )
    pattern = Pattern(
        week_of_month=1,
        weekday=1,
        every_months=3,
        first_month=_first_tuesday_months_back(day, 12),
        local_time=time(10, 0),
    )
    series = scheduling.create_series(by=admin, details=details, pattern=pattern, now=now)
    # The demo pretends the invitations to the sessions ahead went out when they were made: seeding should not
    # e-mail hundreds of made-up addresses.
    Invitation.objects.filter(session__series=series).update(sent_at=now)
    past_days = scheduling.occurrence_days(series, start=pattern.first_month, end=day)
    people = list(scheduling.invitees(departments=[division]).order_by("username"))
    made_actions = 0
    for n, occurrence in enumerate(
        d for d in past_days if scheduling.local_start(d, series.local_time, series.time_zone) < now
    ):
        session = ReviewSession.objects.create(
            series=series,
            occurrence=occurrence,
            title=series.title,
            agenda=series.agenda,
            starts_at=scheduling.local_start(occurrence, series.local_time, series.time_zone),
            time_zone=series.time_zone,
            duration_minutes=series.duration_minutes,
            place=series.place,
            video_link=series.video_link,
            facilitator=facilitator,
            created_by=admin,
            minutes=DEMO_MINUTES[n % len(DEMO_MINUTES)],
        )
        session.definitions.set(definitions)
        invited_at = session.starts_at - timedelta(days=21)
        rows = []
        for person in people:
            response = rng.choices(["accepted", "declined", "pending"], weights=[80, 12, 8])[0]
            rows.append(
                Invitation(
                    session=session,
                    person=person,
                    response=response,
                    sent_at=invited_at,
                    responded_at=invited_at + timedelta(days=rng.randint(1, 10)) if response != "pending" else None,
                )
            )
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
            ActionItem.objects.create(
                session=session,
                title=title,
                owner=owner,
                due_date=due,
                done_at=None if due >= day else session.starts_at + timedelta(days=10),
            )
            made_actions += 1
    last = series.sessions.filter(starts_at__lt=now).order_by("-starts_at").first()
    employee = User.objects.filter(username=DEMO_EMPLOYEE).first()
    if last and employee:
        ActionItem.objects.create(
            session=last,
            title="Read the updated “Support tickets” definition with the team",
            owner=employee,
            due_date=max(day + timedelta(days=7), last.starts_at.date()),
        )
        made_actions += 1
    sessions = series.sessions.count()
    return (
        f"review sessions: series “{DEMO_TITLE}” with {sessions} sessions "
        f"({sessions - series.sessions.filter(starts_at__gt=now).count()} past), {made_actions} action items"
    )


# --- refresher training ------------------------------------------------------------------------------------------

TF, MC = "true_false", "choice"
# definition title -> [(kind, text, explanation, [(option, correct)])]; true/false options are True, False.
DEMO_QUIZZES = {
    "Support tickets": [
        (
            MC,
            "How soon must a customer get a first reply?",
            "Since version 2 the promise is four business hours, for 95% of tickets.",
            [("Within 4 business hours", True), ("Within one working day", False), ("Within 8 business hours", False)],
        ),
        (
            TF,
            "A first reply that only says “we received your message” keeps the promise.",
            "The promise asks for a helpful first reply, one that moves the problem forward.",
            [("True", False), ("False", True)],
        ),
        (
            MC,
            "What does first-contact resolution measure?",
            "Problems solved in that first contact, without the customer having to come back.",
            [
                ("Problems solved in the first contact", True),
                ("Tickets answered on the first day", False),
                ("Customers who contact us only once a year", False),
            ],
        ),
        (
            TF,
            "Customer satisfaction is part of the definition since version 2.",
            "Version 2 added customer satisfaction with the answer (CSAT, target 85%).",
            [("True", True), ("False", False)],
        ),
        (
            MC,
            "Which tickets does the 4-hour promise cover?",
            "Phone, e-mail and chat alike: every customer who contacts us.",
            [("Phone, e-mail and chat", True), ("Only e-mail", False), ("Only urgent tickets", False)],
        ),
    ],
    "Service desk": [
        (
            MC,
            "What does the service desk promise when a tool you need breaks?",
            "You are working again the same day, and told what happens next.",
            [
                ("Working again the same day", True),
                ("A reply within a week", False),
                ("A replacement next month", False),
            ],
        ),
        (
            TF,
            "Outages must be acknowledged within 15 minutes.",
            "It is one of the acceptance criteria.",
            [("True", True), ("False", False)],
        ),
        (
            MC,
            "Who are the service desk's internal customers?",
            "Customer Service and Operations are named as the departments it serves.",
            [("Customer Service and Operations", True), ("Only IT", False), ("External shoppers", False)],
        ),
        (
            TF,
            "The person reporting a problem needs to chase the desk for news.",
            "The desk tells you what happens next; nobody should have to chase.",
            [("True", False), ("False", True)],
        ),
    ],
    "Order delivery": [
        (
            MC,
            "What share of orders must arrive on the promised day?",
            "Version 2 tightened it to 95%.",
            [("95%", True), ("90%", False), ("80%", False)],
        ),
        (
            TF,
            "A customer whose delivery will be late hears it from us first.",
            "Since version 2, within an hour.",
            [("True", True), ("False", False)],
        ),
        (
            MC,
            "How many defective units per 1,000 shipped are acceptable?",
            "Fewer than 2 since version 2.",
            [("Fewer than 2", True), ("Fewer than 5", False), ("Up to 10", False)],
        ),
        (
            TF,
            "An order that arrives complete but a day late keeps the promise.",
            "The promise is complete, undamaged and on the day we promised.",
            [("True", False), ("False", True)],
        ),
    ],
    "Invoicing": [
        (
            MC,
            "What makes an invoice correct for the customer?",
            "Correct the first time: no correction needed.",
            [("It needs no correction", True), ("It is sent by post", False), ("It has a logo", False)],
        ),
        (
            TF,
            "An invoice corrected after the customer called still counts as accurate.",
            "Accuracy counts invoices needing no correction.",
            [("True", False), ("False", True)],
        ),
        (
            MC,
            "What is the accuracy target?",
            "99% of invoices need no correction.",
            [("99%", True), ("90%", False), ("75%", False)],
        ),
        (
            TF,
            "Invoices must be easy to read.",
            "Version 1.1 says so in plain words.",
            [("True", True), ("False", False)],
        ),
    ],
}
# name, division code, definition titles, every months, window, fixed date (month, day) or None
DEMO_PROGRAMMES = [
    ("Customer service: every 6 months", "customer-service", ["Support tickets", "Service desk"], 6, "rolling", None),
    ("IT: yearly, by the end of January", "it", ["Service desk"], 12, "fixed", (1, 31)),
]


def _demo_quiz(definition, spec) -> None:
    rows = [
        quizzes.QuestionRow(kind=kind, text=text, explanation=why, options=list(options))
        for kind, text, why, options in spec
    ]
    quizzes.save_quiz(definition=definition, pass_mark=75, published=True, questions=rows)


def first_publications(definitions) -> dict:
    """{definition id: when its first version was published}."""
    rows = (
        DefinitionVersion.objects.filter(definition__in=definitions, published_at__isnull=False)
        .values("definition")
        .annotate(first=Min("published_at"))
    )
    return {row["definition"]: row["first"] for row in rows}


def _demo_history(*, programme, definitions, rng, now) -> tuple[int, int]:
    """Attempts (some failed) and completions of various ages, so people are in every state; the demo employee
    failed the first definition's check a few days ago, so a refresher is due. Bulk writes: thousands of people."""
    paths = list(programme.departments.values_list("path", flat=True))
    people = list(
        User.objects.filter(is_active=True, department__in=Department.objects.subtree_of(paths[0])).order_by("username")
    )
    quizzes_ = {d.pk: d.quiz for d in definitions if hasattr(d, "quiz")}
    published = first_publications(definitions)
    questions = {q: list(quiz.questions.prefetch_related("options")) for q, quiz in quizzes_.items()}
    attempts, answers, completions = [], [], []
    for person in people:
        for definition in definitions:
            draw = rng.random()
            if person.username == "employee" and definition == definitions[0]:
                draw = 0.95
            if draw < 0.15:
                continue  # never completed: due or overdue from the programme's start
            days = (
                rng.randint(1, 10)
                if draw < 0.45
                else rng.randint(150, 178)
                if draw < 0.6
                else rng.randint(190, 420)
                if draw < 0.8
                else rng.randint(2, 9)
            )
            at = now - timedelta(days=days, hours=rng.randint(0, 8))
            if at <= published[definition.pk]:  # nobody completes a refresher on a definition not yet published
                at = min(published[definition.pk] + timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 8)), now)
            fail = draw >= 0.8
            quiz_questions = questions.get(definition.pk)
            if not quiz_questions or (not fail and draw >= 0.6):
                completions.append(
                    Completion(person=person, definition=definition, completed_at=at, source=Completion.Source.SESSION)
                )
                continue
            # The second question is the one people miss most, so the report has a weak question to show.
            weights = [3 if n == 1 else 1 for n in range(len(quiz_questions))]
            wrong = set()
            for _ in range(rng.randint(2, 3) if fail else rng.choice([0, 0, 1])):
                wrong.add(rng.choices(range(len(quiz_questions)), weights)[0])
            score = round(100 * (len(quiz_questions) - len(wrong)) / len(quiz_questions), 1)
            attempt = QuizAttempt(
                quiz=quizzes_[definition.pk],
                person=person,
                nonce=f"demo-{rng.getrandbits(96):x}",
                submitted_at=at,
                score=score,
                passed=score >= 75,
            )
            attempts.append(attempt)
            for n, question in enumerate(quiz_questions):
                options = list(question.options.all())
                pick = next(o for o in options if o.correct != (n in wrong))
                answers.append((attempt, Answer(question=question, option=pick, correct=pick.correct)))
            if attempt.passed:
                completions.append(
                    Completion(
                        person=person,
                        definition=definition,
                        completed_at=at,
                        source=Completion.Source.QUIZ,
                        score=score,
                        attempt=attempt,
                    )
                )
    QuizAttempt.objects.bulk_create(attempts, batch_size=1000)
    for attempt in attempts:  # started_at is set on insert; the demo's attempts began minutes before submission
        attempt.started_at = attempt.submitted_at - timedelta(minutes=rng.randint(3, 12))
    QuizAttempt.objects.bulk_update(attempts, ["started_at"], batch_size=1000)
    for attempt, answer in answers:
        answer.attempt = attempt
    Answer.objects.bulk_create([a for _attempt, a in answers], batch_size=2000)
    for completion in completions:
        completion.attempt_id = completion.attempt.pk if completion.attempt else None
    Completion.objects.bulk_create(completions, batch_size=1000)
    return len(attempts), len(completions)


@transaction.atomic
def seed_refresher_training(*, rng, size: str, stdout=None) -> str:
    """Quizzes for the demo definitions, two programmes, and attempts and completions in every state."""
    by_title = {
        d.title: d
        for d in QualityDefinition.objects.active().filter(title__in=DEMO_QUIZZES).select_related("department")
    }
    for title, spec in DEMO_QUIZZES.items():
        if title in by_title and not Quiz.objects.filter(definition=by_title[title]).exists():
            _demo_quiz(by_title[title], spec)
    now = timezone.now()
    new_programmes = attempts = completions = 0
    for name, code, titles, every, window, fixed in DEMO_PROGRAMMES:
        division = Department.objects.filter(code=code).first()
        definitions = [by_title[t] for t in titles if t in by_title]
        if division is None or not definitions or RefresherProgramme.objects.filter(name=name).exists():
            continue
        fixed_date = date(now.year, *fixed) if fixed else None
        programme = RefresherProgramme.objects.create(
            name=name, every_months=every, window=window, fixed_date=fixed_date
        )
        # The programme started once its definitions were published, so nobody is due before they existed.
        started = max(first_publications(definitions).values()) + timedelta(days=1)
        RefresherProgramme.objects.filter(pk=programme.pk).update(created_at=min(started, now))
        programme.departments.add(division)
        programme.definitions.add(*definitions)
        definitions = list(
            QualityDefinition.objects.filter(pk__in=[d.pk for d in definitions])
            .select_related("quiz")
            .order_by("title")
        )
        definitions.sort(key=lambda d: titles.index(d.title))
        made = _demo_history(programme=programme, definitions=definitions, rng=rng, now=now)
        attempts, completions = attempts + made[0], completions + made[1]
        new_programmes += 1
    states = training.due_states()
    counts = {s: sum(1 for row in states if row.state == s) for s in training.STATES}
    return (
        f"refresher-training: {RefresherProgramme.objects.count()} programmes ({new_programmes} new), "
        f"{Quiz.objects.count()} quizzes, {attempts} attempts and {completions} completions added; "
        f"{counts['current']} current, {counts['due']} due, {counts['overdue']} overdue"
    )


def register() -> None:
    demo.register(name="review-sessions", order=40, run=seed_review_sessions)
    demo.register(name="refresher-training", order=45, run=seed_refresher_training)
