"""Every refresher-training page: who may open it, who may not, and what writing through it does."""

import pytest
from django.urls import reverse

from reviews.models import Completion, Quiz, QuizAttempt, RefresherProgramme
from tests.goals.factories import QualityDefinitionFactory
from tests.helpers import signed_in
from tests.reviews.factories import RefresherProgrammeFactory, answers_for, make_quiz, take


@pytest.fixture
def scene(org):
    definition = QualityDefinitionFactory(department=org.support, title="Support tickets")
    quiz = make_quiz(definition, pass_mark=75)
    programme = RefresherProgrammeFactory(name="Customer service", definitions=[definition], departments=[org.support])
    return org, definition, quiz, programme


def get(client, user, name, *args, **query):
    return signed_in(client, user).get(reverse(f"reviews:{name}", args=args), query)


def test_it_needs_sign_in_everywhere(scene, client):
    org, definition, quiz, programme = scene
    attempt = take(quiz, org.bob)
    for name, args in [
        ("training", []),
        ("quiz", [definition.pk]),
        ("quiz_result", [attempt.nonce]),
        ("programmes", []),
        ("programme_create", []),
        ("programme_edit", [programme.pk]),
        ("quiz_edit", [definition.pk]),
        ("compliance", []),
        ("compliance_csv", []),
        ("compliance_xlsx", []),
    ]:
        response = client.get(reverse(f"reviews:{name}", args=args))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name


def test_an_employee_sees_their_status_and_the_check(scene, client):
    org, definition, *_ = scene
    response = get(client, org.bob, "training")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Support tickets" in html and 'data-status="due"' in html
    assert reverse("reviews:quiz", args=[definition.pk]) in html


def test_an_employee_takes_the_check_fails_and_sees_what_they_missed(scene, client):
    org, definition, quiz, _ = scene
    get(client, org.bob, "quiz", definition.pk)
    attempt = QuizAttempt.objects.get(person=org.bob)
    data = {f"q{q}": o for q, o in answers_for(quiz, wrong=2).items()}
    response = client.post(reverse("reviews:quiz_submit", args=[attempt.nonce]), data)
    assert response.status_code == 302
    result = client.get(response["Location"])
    html = result.content.decode()
    assert 'data-result="failed"' in html
    assert "A refresher on Support tickets is due" in html
    assert "The promise says four business hours." in html  # the explanation of a missed question


def test_reloading_the_quiz_keeps_the_same_attempt(scene, client):
    org, definition, *_ = scene
    get(client, org.bob, "quiz", definition.pk)
    get(client, org.bob, "quiz", definition.pk)
    assert QuizAttempt.objects.filter(person=org.bob).count() == 1


def test_a_second_submission_shows_the_result_and_changes_nothing(scene, client):
    org, definition, quiz, _ = scene
    get(client, org.bob, "quiz", definition.pk)
    attempt = QuizAttempt.objects.get(person=org.bob)
    url = reverse("reviews:quiz_submit", args=[attempt.nonce])
    client.post(url, {f"q{q}": o for q, o in answers_for(quiz, wrong=4).items()})
    response = client.post(url, {f"q{q}": o for q, o in answers_for(quiz).items()}, follow=True)
    assert "already submitted" in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.score == 0.0 and not Completion.objects.exists()


def test_an_unanswered_question_re_renders_the_form_with_a_message(scene, client):
    org, definition, quiz, _ = scene
    get(client, org.bob, "quiz", definition.pk)
    attempt = QuizAttempt.objects.get(person=org.bob)
    answers = {f"q{q}": o for q, o in answers_for(quiz).items()}
    answers.pop(next(iter(answers)))
    response = client.post(reverse("reviews:quiz_submit", args=[attempt.nonce]), answers)
    assert response.status_code == 422
    assert "Choose an answer to this question." in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.submitted_at is None


def test_nobody_sees_or_submits_someone_elses_attempt(scene, client):
    org, _definition, quiz, _ = scene
    attempt = take(quiz, org.bob, wrong=1)
    for user in (org.alice, org.admin):
        assert get(client, user, "quiz_result", attempt.nonce).status_code == 404
    open_attempt = QuizAttempt.objects.create(quiz=quiz, person=org.bob, nonce="bob-open")
    client.force_login(org.alice)
    response = client.post(
        reverse("reviews:quiz_submit", args=[open_attempt.nonce]), {f"q{q}": o for q, o in answers_for(quiz).items()}
    )
    assert response.status_code == 404
    open_attempt.refresh_from_db()
    assert open_attempt.submitted_at is None


def test_a_check_of_a_definition_the_person_may_not_see_is_a_404(scene, client):
    org, *_ = scene
    hidden = QualityDefinitionFactory(department=org.sales, title="Sales promise")
    make_quiz(hidden)
    assert get(client, org.bob, "quiz", hidden.pk).status_code == 404


def test_an_unpublished_check_is_a_404(scene, client):
    org, *_ = scene
    draft = make_quiz(QualityDefinitionFactory(department=org.support), published=False)
    assert get(client, org.bob, "quiz", draft.definition_id).status_code == 404


@pytest.mark.parametrize("name", ["programmes", "programme_create", "programme_edit", "quiz_edit"])
def test_only_admins_open_programmes_and_quiz_editing(scene, client, name):
    org, definition, _quiz, programme = scene
    args = {"programme_edit": [programme.pk], "quiz_edit": [definition.pk]}.get(name, [])
    for user in (org.bob, org.alice, org.charlie):
        assert get(client, user, name, *args).status_code == 404, user
    assert get(client, org.admin, name, *args).status_code == 200


def test_non_admins_cannot_post_programmes_or_quizzes(scene, client):
    org, definition, *_ = scene
    client.force_login(org.alice)
    assert client.post(reverse("reviews:programme_create"), {"name": "Sneaky"}).status_code == 404
    assert client.post(reverse("reviews:quiz_edit", args=[definition.pk]), {"pass_mark": 1}).status_code == 404
    assert not RefresherProgramme.objects.filter(name="Sneaky").exists()


def test_an_admin_creates_a_fixed_programme_and_needs_its_date(scene, client):
    org, definition, *_ = scene
    client.force_login(org.admin)
    data = {
        "name": "IT yearly",
        "departments": [org.sales.pk],
        "definitions": [definition.pk],
        "every_months": 12,
        "window": "fixed",
        "active": "on",
    }
    response = client.post(reverse("reviews:programme_create"), data)
    assert response.status_code == 422
    assert "A fixed window needs its first deadline" in response.content.decode()
    response = client.post(reverse("reviews:programme_create"), data | {"fixed_date": "2027-03-31"})
    assert response.status_code == 302
    assert RefresherProgramme.objects.get(name="IT yearly").departments.get() == org.sales


def quiz_post(pass_mark=80, questions=()):
    data = {
        "pass_mark": pass_mark,
        "published": "on",
        "questions-TOTAL_FORMS": len(questions),
        "questions-INITIAL_FORMS": 0,
    }
    for n, q in enumerate(questions):
        data |= {f"questions-{n}-{k}": v for k, v in q.items()}
    return data


def test_an_admin_writes_a_quiz(scene, client):
    org, *_ = scene
    definition = QualityDefinitionFactory(department=org.support, title="Returns")
    client.force_login(org.admin)
    response = client.post(
        reverse("reviews:quiz_edit", args=[definition.pk]),
        quiz_post(
            questions=[
                {
                    "kind": "choice",
                    "text": "Refund within?",
                    "explanation": "The promise.",
                    "option_1": "5 days",
                    "correct_1": "on",
                    "option_2": "5 weeks",
                },
                {"kind": "true_false", "text": "Returns are free.", "explanation": "They are.", "correct_1": "on"},
            ]
        ),
    )
    assert response.status_code == 302
    quiz = definition.quiz
    assert [q.text for q in quiz.questions.all()] == ["Refund within?", "Returns are free."]
    assert [(o.text, o.correct) for o in quiz.questions.last().options.all()] == [("True", True), ("False", False)]


@pytest.mark.parametrize(
    "pass_mark, question, message",
    [
        (
            80,
            {"kind": "choice", "text": "Q?", "explanation": "E", "option_1": "A", "option_2": "B"},
            "has no correct answer",
        ),
        (
            120,
            {"kind": "choice", "text": "Q?", "explanation": "E", "option_1": "A", "correct_1": "on", "option_2": "B"},
            "from 0 to 100 (not 120)",
        ),
    ],
)
def test_a_quiz_without_a_right_answer_or_with_a_bad_pass_mark_is_refused_whole(
    scene, client, pass_mark, question, message
):
    org, *_ = scene
    definition = QualityDefinitionFactory(department=org.support, title="Returns")
    client.force_login(org.admin)
    response = client.post(
        reverse("reviews:quiz_edit", args=[definition.pk]), quiz_post(pass_mark=pass_mark, questions=[question])
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Quiz.objects.filter(definition=definition).exists()


def test_employees_cannot_open_the_compliance_report_or_its_exports(scene, client):
    org, *_ = scene
    for name in ("compliance", "compliance_csv", "compliance_xlsx"):
        assert get(client, org.bob, name).status_code == 404


def test_managers_see_the_report_of_their_departments_only(scene, client):
    org, *_ = scene
    alice_page = get(client, org.alice, "compliance").content.decode()
    assert "Bob Baker" in alice_page
    charlie_page = get(client, org.charlie, "compliance").content.decode()
    assert "Bob Baker" not in charlie_page
    # a department outside their scope in the filter is ignored, never shown
    charlie_page = get(client, org.charlie, "compliance", department=org.support.pk).content.decode()
    assert "Bob Baker" not in charlie_page
    assert "Bob Baker" not in get(client, org.charlie, "compliance_csv", department=org.support.pk).content.decode()


def test_today_shows_the_refreshers_due_with_a_link_to_the_check(scene, client):
    org, definition, *_ = scene
    client.force_login(org.bob)
    html = client.get(reverse("today")).content.decode()
    assert "Refresher training" in html
    assert reverse("reviews:quiz", args=[definition.pk]) in html
    client.force_login(org.charlie)
    assert "Refresher training" not in client.get(reverse("today")).content.decode()
