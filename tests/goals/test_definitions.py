"""Quality definition services: drafts, immutable versions, acknowledgements, retirement, diffs and coverage."""

import pytest
from django.utils import timezone

from core.exceptions import RuleViolation
from goals.models import Acknowledgement, DefinitionVersion, QualityDefinition
from goals.services import definitions
from goals.services.definitions import CriterionRow
from tests.goals.factories import AcceptanceCriterionFactory, DefinitionVersionFactory
from tests.metrics.factories import MetricFactory
from tests.org.factories import DepartmentFactory, UserFactory

PROMISE = "Every customer who writes to us gets a helpful first reply quickly."


def new_definition(org, *, by=None, department=None, criteria=None, **details):
    return definitions.create_definition(
        by=by or org.alice,
        department=department or org.support,
        title=details.pop("title", "Support tickets"),
        promise=details.pop("promise", PROMISE),
        criteria=criteria if criteria is not None else [CriterionRow(text="First reply within 4 business hours")],
        **details,
    )


def published(org, **kwargs):
    definition = new_definition(org, **kwargs)
    definitions.publish(definition=definition, major=True, change_summary="", by=kwargs.get("by") or org.alice)
    return definition


def edit(org, definition, promise, criteria=None, *, by=None):
    return definitions.save_draft(
        definition=definition,
        by=by or org.alice,
        promise=promise,
        criteria=criteria or [CriterionRow(text="First reply within 4 business hours")],
    )


def asked(definition, major):
    return set(
        Acknowledgement.objects.filter(definition=definition, major=major).values_list("person__username", flat=True)
    )


# --- creating and drafting ---------------------------------------------------------------------------------------


def test_a_manager_creates_a_definition_with_its_first_draft(org):
    metric = MetricFactory(department=org.support, name="First reply time", unit="h")
    definition = new_definition(
        org,
        external_customers="People who e-mail us",
        criteria=[
            CriterionRow(text="First reply within 4 business hours", metric=metric, threshold=4),
            CriterionRow(text="Friendly tone"),
        ],
    )
    assert definition.created_by == org.alice and definition.external_customers == "People who e-mail us"
    [draft] = definition.versions.all()
    assert draft.is_draft and draft.promise == PROMISE
    assert [(c.position, c.text, c.metric, c.threshold) for c in draft.criteria.all()] == [
        (0, "First reply within 4 business hours", metric, 4),
        (1, "Friendly tone", None, None),
    ]


def test_an_admin_writes_an_organization_wide_definition(org):
    definition = new_definition(org, by=org.admin, department=org.acme, title="Answering the phone")
    assert definition.department == org.acme


def test_a_manager_cannot_write_one_for_another_department(org):
    with pytest.raises(RuleViolation, match="Only managers of Support"):
        new_definition(org, by=org.charlie)
    assert not QualityDefinition.objects.exists()


def test_an_employee_cannot_write_one(org):
    with pytest.raises(RuleViolation):
        new_definition(org, by=org.bob, department=org.front_line)
    assert not QualityDefinition.objects.exists()


def test_the_title_is_unique_in_a_department_whatever_its_case(org):
    new_definition(org)
    with pytest.raises(RuleViolation, match="already has a definition called") as error:
        new_definition(org, title="SUPPORT tickets")
    assert error.value.field == "title"
    new_definition(org, by=org.charlie, department=org.sales, title="Support tickets")  # another department: fine


@pytest.mark.parametrize(
    ("criterion", "message"),
    [
        (CriterionRow(text="", threshold=None), "describe it in words"),
        (CriterionRow(text="95% of tickets", threshold=95), "a threshold needs the metric"),
    ],
)
def test_a_wrong_criterion_saves_nothing(org, criterion, message):
    with pytest.raises(RuleViolation, match=message) as error:
        new_definition(org, criteria=[CriterionRow(text="Fine"), criterion])
    assert error.value.field == "criteria" and "Criterion 2" in error.value.message
    assert not QualityDefinition.objects.exists() and not DefinitionVersion.objects.exists()


def test_a_metric_the_person_cannot_see_is_refused(org):
    sales_metric = MetricFactory(department=org.sales, name="Deals closed")
    with pytest.raises(RuleViolation, match="you cannot link the metric “Deals closed”"):
        new_definition(org, criteria=[CriterionRow(text="Close deals", metric=sales_metric)])


def test_a_metric_an_admin_linked_stays_when_a_manager_edits(org):
    sales_metric = MetricFactory(department=org.sales, name="Deals closed")
    definition = new_definition(org, by=org.admin, criteria=[CriterionRow(text="Deals", metric=sales_metric)])
    edit(org, definition, "Reworded", [CriterionRow(text="Deals", metric=sales_metric, threshold=3)])
    assert definitions.draft_of(definition).criteria.get().threshold == 3


def test_saving_a_draft_replaces_the_criteria_as_a_set_in_the_order_given(org):
    definition = new_definition(org, criteria=[CriterionRow(text="A"), CriterionRow(text="B")])
    edit(org, definition, "New promise", [CriterionRow(text="C"), CriterionRow(text="A")])
    draft = definitions.draft_of(definition)
    assert draft.promise == "New promise"
    assert list(draft.criteria.values_list("text", "position")) == [("C", 0), ("A", 1)]
    assert DefinitionVersion.objects.count() == 1


# --- publishing --------------------------------------------------------------------------------------------------


def test_the_first_publication_is_v1_0_and_asks_the_owning_departments_people(org):
    definition = new_definition(org)
    publication = definitions.publish(definition=definition, major=False, change_summary="", by=org.alice)
    version = publication.version
    assert (version.label, version.change_summary, version.published_by) == ("v1.0", "First version.", org.alice)
    assert publication.asked == 2
    assert asked(definition, 1) == {"alice", "bob"}  # Support and Front Line; not Sales, not the admin


def test_the_publisher_has_read_what_they_publish(org):
    definition = published(org)
    alice = Acknowledgement.objects.get(definition=definition, person=org.alice)
    assert alice.acknowledged_at is not None
    assert list(definitions.pending_acknowledgements(org.alice)) == []
    assert [a.definition for a in definitions.pending_acknowledgements(org.bob)] == [definition]


def test_a_major_version_is_the_next_major_and_asks_again(org):
    definition = published(org)
    edit(org, definition, "A new promise")
    publication = definitions.publish(definition=definition, major=True, change_summary="Faster", by=org.alice)
    assert publication.version.label == "v2.0" and publication.asked == 2
    assert asked(definition, 2) == {"alice", "bob"}


def test_a_minor_version_is_the_next_minor_and_asks_nobody_again(org):
    definition = published(org)
    edit(org, definition, PROMISE + " Really.")
    publication = definitions.publish(definition=definition, major=False, change_summary="Wording", by=org.alice)
    assert publication.version.label == "v1.1" and publication.asked == 0
    assert Acknowledgement.objects.filter(definition=definition).count() == 2


def test_a_published_version_never_changes_and_the_next_draft_starts_from_it(org):
    definition = published(org, criteria=[CriterionRow(text="A"), CriterionRow(text="B")])
    v1 = definitions.current_version(definition)
    edit(org, definition, "Rewritten", [CriterionRow(text="Z")])
    v1.refresh_from_db()
    assert v1.promise == PROMISE and list(v1.criteria.values_list("text", flat=True)) == ["A", "B"]
    draft = definitions.draft_of(definition)
    assert draft.pk != v1.pk and (draft.major, draft.minor) == (1, 0)  # based on v1.0


def test_a_draft_the_same_as_the_current_version_is_not_kept(org):
    definition = published(org)
    edit(org, definition, "Changed")
    assert definitions.draft_of(definition) is not None
    assert edit(org, definition, PROMISE) is None  # back to v1.0's content
    assert definitions.draft_of(definition) is None


@pytest.mark.parametrize(
    ("promise", "criteria", "message"),
    [
        ("  ", [CriterionRow(text="A")], "no promise yet"),
        (PROMISE, [], "no acceptance criteria yet"),
    ],
)
def test_an_incomplete_draft_is_not_published(org, promise, criteria, message):
    definition = new_definition(org, promise=promise, criteria=criteria)
    with pytest.raises(RuleViolation, match=message):
        definitions.publish(definition=definition, major=True, change_summary="", by=org.alice)
    assert definitions.current_version(definition) is None and not Acknowledgement.objects.exists()


def test_publishing_without_a_draft_is_refused(org):
    definition = published(org)
    with pytest.raises(RuleViolation, match="no draft to publish"):
        definitions.publish(definition=definition, major=True, change_summary="Again", by=org.alice)


def test_a_later_version_says_what_changed(org):
    definition = published(org)
    edit(org, definition, "Changed")
    with pytest.raises(RuleViolation, match="what changed") as error:
        definitions.publish(definition=definition, major=True, change_summary=" ", by=org.alice)
    assert error.value.field == "change_summary"
    assert definitions.draft_of(definition) is not None


def test_a_manager_of_another_department_cannot_publish(org):
    definition = new_definition(org)
    with pytest.raises(RuleViolation):
        definitions.publish(definition=definition, major=True, change_summary="", by=org.charlie)
    assert definitions.current_version(definition) is None


def test_served_departments_are_asked_when_chosen(org):
    definition = published(org, served_departments=[org.sales], ask_served_departments=True)
    assert asked(definition, 1) == {"alice", "bob", "charlie"}


def test_served_departments_are_not_asked_unless_chosen(org):
    definition = published(org, served_departments=[org.sales])
    assert asked(definition, 1) == {"alice", "bob"}


def test_people_who_left_are_not_asked(org):
    UserFactory(username="gone", department=org.front_line, is_active=False)
    assert asked(published(org), 1) == {"alice", "bob"}


def test_people_of_departments_below_are_asked(org):
    night = DepartmentFactory(name="Night shift", parent=org.front_line)
    UserFactory(username="owl", department=night)
    assert asked(published(org), 1) == {"alice", "bob", "owl"}


# --- acknowledging -----------------------------------------------------------------------------------------------


def test_a_person_acknowledges_the_current_version(org):
    definition = published(org)
    row = definitions.acknowledge(definition=definition, person=org.bob)
    assert row.acknowledged_at is not None and row.major == 1
    assert list(definitions.pending_acknowledgements(org.bob)) == []


def test_acknowledging_twice_changes_nothing(org):
    definition = published(org)
    first = definitions.acknowledge(definition=definition, person=org.bob).acknowledged_at
    again = definitions.acknowledge(definition=definition, person=org.bob, at=timezone.now())
    assert again.acknowledged_at == first


def test_a_person_with_nothing_to_acknowledge_is_told_so(org):
    definition = published(org)
    with pytest.raises(RuleViolation, match="You are not asked to acknowledge “Support tickets” version 1"):
        definitions.acknowledge(definition=definition, person=org.charlie)


def test_a_definition_never_published_has_nothing_to_acknowledge(org):
    with pytest.raises(RuleViolation, match="no version to acknowledge"):
        definitions.acknowledge(definition=new_definition(org), person=org.bob)


def test_a_new_major_version_replaces_the_old_request(org):
    definition = published(org)
    edit(org, definition, "New promise")
    definitions.publish(definition=definition, major=True, change_summary="New", by=org.alice)
    [pending] = definitions.pending_acknowledgements(org.bob)
    assert pending.major == 2
    definitions.acknowledge(definition=definition, person=org.bob)
    assert Acknowledgement.objects.get(definition=definition, person=org.bob, major=1).acknowledged_at is None
    assert list(definitions.pending_acknowledgements(org.bob)) == []


def test_a_minor_version_keeps_an_acknowledgement(org):
    definition = published(org)
    definitions.acknowledge(definition=definition, person=org.bob)
    edit(org, definition, PROMISE + " Truly.")
    definitions.publish(definition=definition, major=False, change_summary="Wording", by=org.alice)
    assert list(definitions.pending_acknowledgements(org.bob)) == []


# --- retiring ----------------------------------------------------------------------------------------------------


def test_a_retired_definition_keeps_its_history_and_asks_nothing(org):
    definition = published(org)
    definitions.retire(definition=definition, by=org.alice)
    definition.refresh_from_db()
    assert definition.is_retired and definition.retired_by == org.alice
    assert definitions.current_version(definition).label == "v1.0"
    assert list(definitions.pending_acknowledgements(org.bob)) == []
    with pytest.raises(RuleViolation, match="no version to acknowledge"):
        definitions.acknowledge(definition=definition, person=org.bob)


def test_a_retired_definition_cannot_change(org):
    definition = published(org)
    edit(org, definition, "Pending changes")
    definitions.retire(definition=definition, by=org.alice)
    with pytest.raises(RuleViolation, match="is retired"):
        edit(org, definition, "More changes")
    with pytest.raises(RuleViolation, match="is retired"):
        definitions.publish(definition=definition, major=True, change_summary="x", by=org.alice)
    with pytest.raises(RuleViolation, match="is retired"):
        definitions.retire(definition=definition, by=org.alice)


def test_only_its_managers_retire_a_definition(org):
    definition = published(org)
    with pytest.raises(RuleViolation):
        definitions.retire(definition=definition, by=org.bob)
    definition.refresh_from_db()
    assert not definition.is_retired


# --- differences -------------------------------------------------------------------------------------------------


def version(promise, *lines):
    v = DefinitionVersionFactory(promise=promise)
    for text in lines:
        AcceptanceCriterionFactory(version=v, text=text)
    return v


def test_the_diff_marks_removed_and_added_words(org):
    diff = definitions.diff_versions(version("We reply within 8 hours."), version("We reply within 4 hours."))
    assert diff.promise == "We reply within <del>8</del><ins>4</ins> hours."


def test_the_diff_escapes_what_people_wrote(org):
    diff = definitions.diff_versions(version("a <b>"), version("a <script>x</script>", "<i>"))
    assert diff.promise == "a &lt;<del>b</del><ins>script</ins>&gt;<ins>x&lt;/script&gt;</ins>"
    assert [line.html for line in diff.criteria] == ["<ins>&lt;i&gt;</ins>"]


def test_the_diff_shows_added_removed_and_reworded_criteria(org):
    diff = definitions.diff_versions(
        version("p", "Reply fast", "Be polite", "Close tickets"),
        version("p", "Reply very fast", "Close tickets", "Follow up"),
    )
    assert [(line.kind, line.html) for line in diff.criteria] == [
        ("changed", "Reply <ins>very </ins>fast"),
        ("removed", "<del>Be polite</del>"),
        ("same", "Close tickets"),
        ("added", "<ins>Follow up</ins>"),
    ]
    assert not diff.unchanged
    assert definitions.diff_versions(version("p", "A"), version("p", "A")).unchanged


def test_a_criterion_line_reads_its_metric_and_threshold(org):
    metric = MetricFactory(department=org.support, name="First reply time", unit="h", direction="lower")
    criterion = definitions.AcceptanceCriterion(text="Reply fast", metric=metric, threshold=4)
    assert definitions.criterion_line(criterion) == "Reply fast — First reply time at most 4 h"


# --- coverage ----------------------------------------------------------------------------------------------------


def test_coverage_counts_each_department_in_one_query(org, django_assert_num_queries):
    for n in range(3):
        UserFactory(username=f"fl{n}", department=org.front_line)
    definition = published(org, served_departments=[org.sales], ask_served_departments=True)
    for person in (org.bob, org.charlie):
        definitions.acknowledge(definition=definition, person=person)
    # the current major version, newcomers to the audience (none here), the counts grouped by department
    with django_assert_num_queries(3):
        rows = definitions.coverage(definition=definition, major=1)
    assert sorted((r.name, r.asked, r.acknowledged, r.percent) for r in rows) == [
        ("Front Line", 4, 1, 25),
        ("Sales", 1, 1, 100),
        ("Support", 1, 1, 100),
    ]
    names = [r.name for r in rows]
    assert names.index("Support") < names.index("Front Line")  # a department before those below it


def test_missing_acknowledgements_list_who_has_not_read_it(org):
    UserFactory(username="zed", last_name="Zulu", department=org.front_line)
    definition = published(org)
    assert [a.person.username for a in definitions.missing_acknowledgements(definition=definition, major=1)] == [
        "bob",
        "zed",
    ]
    definitions.acknowledge(definition=definition, person=org.bob)
    assert [
        a.person.username
        for a in definitions.missing_acknowledgements(definition=definition, major=1, department_id=org.front_line.pk)
    ] == ["zed"]
