"""Existing answers keep their meaning when the two answers per criterion become one 1-7 scale (migration 0002)."""

import importlib
from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("customers", "0001_initial")]
AFTER = [("customers", "0002_one_scale_per_criterion")]
migration = importlib.import_module("customers.migrations.0002_one_scale_per_criterion")


@pytest.mark.parametrize(
    ("comparison", "rating", "expected"),
    [
        ("worse", 2, 2),
        ("worse", 7, 3),
        ("as_promised", 2, 4),
        ("as_promised", 6, 4),
        ("better", 6, 6),
        ("better", 1, 5),
        ("worse", None, 2),
        ("better", None, 6),
    ],
)
def test_each_old_pair_maps_onto_the_side_its_comparison_chose(comparison, rating, expected):
    assert migration.one_rating(comparison, rating) == expected


@pytest.mark.django_db(transaction=True)
def test_the_migration_maps_answers_and_drafts():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    Department = apps.get_model("org", "Department")
    department = Department.objects.create(name="Support", code="support", path="/1/")
    definition = apps.get_model("goals", "QualityDefinition").objects.create(department=department, title="Tickets")
    version = apps.get_model("goals", "DefinitionVersion").objects.create(
        definition=definition, major=1, promise="Quick replies.", published_at=timezone.now()
    )
    today = date(2026, 11, 1)
    campaign = apps.get_model("customers", "Campaign").objects.create(
        department=department,
        definition=definition,
        version=version,
        title="Check",
        starts_on=today,
        ends_on=today + timedelta(days=7),
        status="sent",
    )
    question = apps.get_model("customers", "CampaignQuestion").objects.create(
        campaign=campaign, promise="Quick", prompt="How?"
    )
    Customer, Recipient = apps.get_model("customers", "Customer"), apps.get_model("customers", "Recipient")
    answers = {}
    for n, (comparison, rating) in enumerate([("worse", 7), ("as_promised", 2), ("better", 6), ("worse", 2)]):
        customer = Customer.objects.create(department=department, name=f"C{n}", email=f"c{n}@example.com")
        recipient = Recipient.objects.create(
            campaign=campaign,
            customer=customer,
            token_hash=f"h{n}",
            expires_at=timezone.now(),
            submitted_at=timezone.now(),
        )
        response = apps.get_model("customers", "Response").objects.create(
            recipient=recipient, campaign=campaign, submitted_at=timezone.now()
        )
        answers[(comparison, rating)] = (
            apps.get_model("customers", "Answer")
            .objects.create(response=response, question=question, comparison=comparison, rating=rating)
            .pk
        )
    drafting = Recipient.objects.create(
        campaign=campaign,
        token_hash="draft",
        expires_at=timezone.now(),
        customer=Customer.objects.create(department=department, name="D", email="d@example.com"),
        draft={f"q{question.pk}_comparison": "better", f"q{question.pk}_rating": "2", "comment": "Hi"},
    )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    Answer = apps.get_model("customers", "Answer")
    ratings = {pair: Answer.objects.get(pk=pk).rating for pair, pk in answers.items()}
    assert ratings == {("worse", 7): 3, ("as_promised", 2): 4, ("better", 6): 6, ("worse", 2): 2}
    draft = apps.get_model("customers", "Recipient").objects.get(pk=drafting.pk).draft
    assert draft == {f"q{question.pk}_rating": 5, "comment": "Hi"}
