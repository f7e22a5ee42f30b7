"""Follow-ups opened one per low answer are merged into one per response (migrations 0003 and 0004)."""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("customers", "0002_one_scale_per_criterion")]
AFTER = [("customers", "0004_follow_up_once_per_response")]


@pytest.mark.django_db(transaction=True)
def test_the_follow_ups_of_a_response_become_one():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    department = apps.get_model("org", "Department").objects.create(name="Support", code="support", path="/1/")
    definition = apps.get_model("goals", "QualityDefinition").objects.create(department=department, title="Tickets")
    version = apps.get_model("goals", "DefinitionVersion").objects.create(
        definition=definition, major=1, promise="Quick replies.", published_at=timezone.now()
    )
    today = date(2026, 11, 1)
    campaign = apps.get_model("customers", "Campaign").objects.create(
        department=department, definition=definition, version=version, title="Check", starts_on=today,
        ends_on=today + timedelta(days=7), status="sent",
    )  # fmt: skip
    Question = apps.get_model("customers", "CampaignQuestion")
    questions = [Question.objects.create(campaign=campaign, position=n, promise=f"P{n}", prompt="?") for n in range(3)]
    Customer, Recipient = apps.get_model("customers", "Customer"), apps.get_model("customers", "Recipient")
    Response, FollowUp = apps.get_model("customers", "Response"), apps.get_model("customers", "FollowUp")
    responses = []
    for n in range(2):
        customer = Customer.objects.create(department=department, name=f"C{n}", email=f"c{n}@example.com")
        recipient = Recipient.objects.create(
            campaign=campaign, customer=customer, token_hash=f"h{n}", expires_at=timezone.now(),
            submitted_at=timezone.now(),
        )  # fmt: skip
        responses.append(Response.objects.create(recipient=recipient, campaign=campaign, submitted_at=timezone.now()))
    closed_at = timezone.now()
    common = {"campaign": campaign, "department": department}
    FollowUp.objects.create(**common, response=responses[0], question=questions[0], reason="A", status="closed",
                            resolution="Called", closed_at=closed_at, due_date=today + timedelta(days=9))  # fmt: skip
    FollowUp.objects.create(**common, response=responses[0], question=questions[1], reason="B", status="open",
                            due_date=today + timedelta(days=5))  # fmt: skip
    FollowUp.objects.create(**common, response=responses[0], question=None, reason="Low NPS", status="closed",
                            resolution="Wrote", closed_at=closed_at)  # fmt: skip
    single = FollowUp.objects.create(**common, response=responses[1], question=questions[2], reason="C")

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    FollowUp = apps.get_model("customers", "FollowUp")
    assert FollowUp.objects.count() == 2
    merged = FollowUp.objects.get(response_id=responses[0].pk)
    assert merged.reason == "A; B; Low NPS"
    assert merged.status == "open" and merged.closed_at is None  # one of them was still open
    assert merged.due_date == today + timedelta(days=5)  # the earliest
    assert merged.resolution == "Called\nWrote"  # no note is lost
    assert FollowUp.objects.get(pk=single.pk).reason == "C"
    assert apps.get_model("customers", "Campaign").objects.get().customer_title == "Support: how did we do?"
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUp.objects.create(
            campaign_id=campaign.pk, department_id=department.pk, response_id=responses[1].pk, reason="D"
        )
