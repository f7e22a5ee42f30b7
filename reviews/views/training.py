"""Pages of refresher training: my training, taking a comprehension check and its result, programmes and quiz
editing (admins), and the compliance report with its exports (managers for their departments, admins for all)."""

import io

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.exceptions import RuleViolation
from core.forms import form_errors_from
from goals.models import QualityDefinition
from org import access
from reviews.forms.training import (
    ComplianceFilterForm,
    ProgrammeForm,
    QuestionForm,
    QuestionFormSet,
    QuizAnswerForm,
    QuizForm,
)
from reviews.models import Quiz, QuizAttempt, RefresherProgramme
from reviews.selectors import compliance
from reviews.selectors.quizzes import definitions_with_quiz_size, open_quizzes
from reviews.services import quizzes, training

PAGE_SIZE = 50


def _require_admin(user) -> None:
    access.require(access.is_admin(user), "Only administrators write refresher programmes and quizzes.")


def _require_manager(user) -> None:
    access.require(access.manages_any(user), "The compliance report is for managers of departments and administrators.")


def _quiz_for(user, definition_pk) -> Quiz:
    """The open quiz of a definition the user may take; 404 otherwise."""
    # definition__pk, not definition_id: Django turns an id too big for the column into "not found" only there
    return access.get_visible_or_404(
        open_quizzes(user), "No open comprehension check on this definition.", definition__pk=definition_pk
    )


def _attempt_for(user, nonce) -> QuizAttempt:
    """The user's own attempt; anyone else's is a 404."""
    return access.get_visible_or_404(
        QuizAttempt.objects.select_related("quiz__definition").filter(person=user), "No such attempt.", nonce=nonce
    )


def my_training(request):
    user = request.user
    states = training.due_states(person_id=user.pk)
    takeable = {q.definition_id: q for q in open_quizzes(user).order_by("definition__title")}
    attempts = (
        QuizAttempt.objects.filter(person=user, submitted_at__isnull=False)
        .select_related("quiz__definition")
        .order_by("-submitted_at")[:10]
    )
    return render(
        request,
        "reviews/training_my.html",
        {
            "states": states,
            "quizzes": takeable,
            "attempts": attempts,
            "other_quizzes": [q for d, q in takeable.items() if d not in {s.definition_id for s in states}],
            "can_report": access.manages_any(user),
            "is_admin": access.is_admin(user),
        },
    )


def _render_quiz(request, attempt, form=None, status=200):
    shown = quizzes.shuffled(attempt)
    form = form or QuizAnswerForm(shown=shown)
    return render(
        request,
        "reviews/quiz_take.html",
        {"attempt": attempt, "quiz": attempt.quiz, "form": form, "definition": attempt.quiz.definition},
        status=status,
    )


def take_quiz(request, definition_pk):
    quiz = _quiz_for(request.user, definition_pk)
    return _render_quiz(request, quizzes.open_attempt(quiz=quiz, person=request.user))


@require_POST
def submit_quiz(request, nonce):
    attempt = _attempt_for(request.user, nonce)
    if attempt.submitted_at:
        messages.warning(request, "You already submitted this quiz; your result is below. Nothing was changed.")
        return redirect("reviews:quiz_result", nonce=nonce)
    form = QuizAnswerForm(request.POST, shown=quizzes.shuffled(attempt))
    if not form.is_valid():
        return _render_quiz(request, attempt, form, status=422)
    try:
        quizzes.submit_attempt(nonce=nonce, person=request.user, answers=form.answers())
    except RuleViolation as error:
        attempt.refresh_from_db()
        if attempt.submitted_at:
            messages.warning(request, error.message)
            return redirect("reviews:quiz_result", nonce=nonce)
        form.add_error(None, error.message)
        return _render_quiz(request, attempt, form, status=422)
    return redirect("reviews:quiz_result", nonce=nonce)


def quiz_result(request, nonce):
    attempt = _attempt_for(request.user, nonce)
    if attempt.submitted_at is None:
        return redirect("reviews:quiz", definition_pk=attempt.quiz.definition_id)
    state = next(
        (s for s in training.due_states(person_id=request.user.pk, definition_ids=[attempt.quiz.definition_id])), None
    )
    return render(
        request,
        "reviews/quiz_result.html",
        {
            "attempt": attempt,
            "quiz": attempt.quiz,
            "definition": attempt.quiz.definition,
            "missed": quizzes.missed_points(attempt),
            "state": state,
        },
    )


def programmes(request):
    _require_admin(request.user)
    rows = RefresherProgramme.objects.prefetch_related("definitions", "departments").order_by("-active", "name")
    return render(
        request, "reviews/training_programmes.html", {"programmes": rows, "definitions": definitions_with_quiz_size()}
    )


def programme_form(request, pk=None):
    _require_admin(request.user)
    programme = access.get_visible_or_404(RefresherProgramme.objects.all(), "No such programme.", pk=pk) if pk else None
    form = ProgrammeForm(request.POST or None, instance=programme)
    if request.method == "POST" and form.is_valid():
        programme = form.save()
        messages.success(request, f"Saved “{programme.name}”.")
        return redirect("reviews:programmes")
    return render(
        request,
        "reviews/training_programme_form.html",
        {"form": form, "programme": programme},
        status=422 if form.errors else 200,
    )


def quiz_edit(request, definition_pk):
    _require_admin(request.user)
    definition = access.get_visible_or_404(QualityDefinition.objects.active(), "No such definition.", pk=definition_pk)
    quiz = Quiz.objects.filter(definition=definition).first()
    if request.method == "POST":
        form = QuizForm(request.POST)
        questions = QuestionFormSet(request.POST, prefix="questions")
        if form.is_valid() and questions.is_valid():
            rows = [row for row in (f.to_row() for f in questions.forms) if row is not None]
            with form_errors_from(form) as refused:
                quizzes.save_quiz(
                    definition=definition,
                    pass_mark=form.cleaned_data["pass_mark"],
                    published=form.cleaned_data["published"],
                    questions=rows,
                )
            if not refused:
                messages.success(request, f"Saved the comprehension check of “{definition}”.")
                return redirect("reviews:programmes")
    else:
        form = QuizForm(
            initial={"pass_mark": quiz.pass_mark if quiz else 80, "published": quiz.published if quiz else False}
        )
        questions = QuestionFormSet(
            prefix="questions", initial=[QuestionForm.initial_for(row) for row in quizzes.rows_of(quiz)]
        )
    return render(
        request,
        "reviews/quiz_edit.html",
        {
            "definition": definition,
            "quiz": quiz,
            "form": form,
            "questions": questions,
        },
        status=422 if form.errors or questions.total_error_count() else 200,
    )


def _narrowing(request) -> tuple[ComplianceFilterForm, dict]:
    _require_manager(request.user)
    filters = ComplianceFilterForm(request.GET or None, user=request.user)
    definition = filters.value("definition")
    return filters, {
        "user": request.user,
        "department": filters.value("department"),
        "definition_id": definition.pk if definition else None,
        "state": filters.value("state"),
    }


def _report(request):
    filters, narrowing = _narrowing(request)
    return filters, compliance.build_report(**narrowing)


def compliance_report(request):
    """The report's totals, one page of its rows and the weak questions; only that page is fetched."""
    filters, narrowing = _narrowing(request)
    found = compliance.build_report_page(**narrowing, page=request.GET.get("page"), per_page=PAGE_SIZE)
    return render(
        request,
        "reviews/compliance.html",
        {"filters": filters, "report": found.report, "page": found.page, "page_rows": found.rows_html},
    )


def compliance_csv(request):
    _filters, report = _report(request)
    out = io.StringIO()
    compliance.write_csv(out, report)
    return HttpResponse(
        out.getvalue(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="refresher-compliance.csv"'},
    )


def compliance_xlsx(request):
    _filters, report = _report(request)
    return HttpResponse(
        compliance.xlsx_bytes(report),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="refresher-compliance.xlsx"'},
    )
