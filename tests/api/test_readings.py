"""POST /api/v1/readings: the one write path, per-row messages, modes, idempotency, the 10,000 cap."""

from metrics.models import Reading, Rollup, RollupQueue
from tests.api.conftest import reading


def test_it_records_a_reading(org, support_metrics, as_token):
    answer = as_token(org.bob).post("/readings", {"readings": [reading()]})
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"created": 1, "updated": 0, "rejected": []}
    stored = Reading.objects.get()
    assert (stored.person, stored.value, stored.source, stored.recorded_by) == (org.bob, 87.5, "api", org.bob)
    assert RollupQueue.objects.exists()  # rolls up as readings of any other source


def test_the_same_reading_again_updates_it(org, support_metrics, as_token):
    api = as_token(org.bob)
    api.post("/readings", {"readings": [reading()]})
    answer = api.post("/readings", {"readings": [reading(value=91)]})
    assert answer.json()["updated"] == 1
    assert Reading.objects.get().value == 91


def test_all_or_nothing_stores_nothing_and_says_which_row(org, support_metrics, as_token):
    answer = as_token(org.bob).post(
        "/readings", {"readings": [reading(), reading(value=150, measured_at="2026-11-21")]}
    )
    assert answer.status_code == 422
    assert answer["Content-Type"] == "application/problem+json"
    problem = answer.json()
    assert problem["status"] == 422 and problem["type"].endswith("/readings-rejected")
    assert problem["errors"][0]["pointer"] == "/readings/1/value"
    assert "above the highest valid value" in problem["errors"][0]["detail"]
    assert not Reading.objects.exists()


def test_valid_rows_only_stores_the_good_ones(org, support_metrics, as_token):
    rows = [reading(), reading(metric="nope"), reading(person="charlie", measured_at="2026-11-19")]
    answer = as_token(org.bob).post("/readings", {"mode": "valid_rows_only", "readings": rows})
    assert answer.status_code == 200
    body = answer.json()
    assert body["created"] == 1
    assert [(e["index"], e["field"]) for e in body["rejected"]] == [(1, "metric"), (2, "person")]


def test_the_same_reading_twice_in_one_request_is_refused(org, support_metrics, as_token):
    answer = as_token(org.bob).post("/readings", {"readings": [reading(), reading(value=1)]})
    assert answer.status_code == 422
    assert "Same reading as item 0" in answer.json()["errors"][0]["detail"]


def test_a_read_token_cannot_write(org, support_metrics, as_token):
    answer = as_token(org.bob, scope="read").post("/readings", {"readings": [reading()]})
    assert answer.status_code == 403
    assert answer.json()["status"] == 403
    assert not Reading.objects.exists()


def test_bob_cannot_record_for_charlie_nor_for_sales(org, support_metrics, as_token):
    rows = [reading(metric="deliveries", person=None)]
    answer = as_token(org.bob).post("/readings", {"readings": rows})
    assert answer.status_code == 422
    assert "You may not record readings" in answer.json()["errors"][0]["detail"]


def test_an_idempotency_key_stores_once_and_answers_the_same(org, support_metrics, as_token):
    api = as_token(org.bob)
    body = {"readings": [reading()]}
    first = api.post("/readings", body, headers={"Idempotency-Key": "k-1"})
    again = api.post("/readings", body, headers={"Idempotency-Key": "k-1"})
    assert first.json() == again.json() == {"created": 1, "updated": 0, "rejected": []}
    assert Reading.objects.count() == 1
    assert Reading.objects.get().updated_at == Reading.objects.get().created_at  # not written twice


def test_the_same_key_with_another_body_is_refused(org, support_metrics, as_token):
    api = as_token(org.bob)
    api.post("/readings", {"readings": [reading()]}, headers={"Idempotency-Key": "k-1"})
    answer = api.post("/readings", {"readings": [reading(value=3)]}, headers={"Idempotency-Key": "k-1"})
    assert answer.status_code == 422
    assert answer.json()["type"].endswith("/idempotency-key-reused")
    assert Reading.objects.get().value == 87.5


def test_a_rejected_request_does_not_use_up_its_key(org, support_metrics, as_token):
    api = as_token(org.bob)
    assert (
        api.post("/readings", {"readings": [reading(value=500)]}, headers={"Idempotency-Key": "k"}).status_code == 422
    )
    assert api.post("/readings", {"readings": [reading(value=50)]}, headers={"Idempotency-Key": "k"}).status_code == 200


def test_more_than_10000_readings_are_refused(org, support_metrics, as_token):
    rows = [reading(measured_at=f"2026-11-20T10:00:{n % 60:02d}") for n in range(10_001)]
    answer = as_token(org.bob).post("/readings", {"readings": rows})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["pointer"] == "/readings"
    assert not Reading.objects.exists()


def test_bad_input_is_a_problem_never_a_500(org, support_metrics, as_token):
    api = as_token(org.bob)
    cases = [
        {"readings": [reading(note="a\x00b")]},
        {"readings": [reading(value=1e308 * 10)]},
        {"readings": [reading(value=10**400)]},
        {"readings": [reading(measured_at="99999-01-01")]},
        {"readings": [reading(measured_at="0001-01-01T00:00:00")]},
        {"readings": [reading(measured_at="2999-01-01")]},
        {"readings": [reading(metric="x" * 5000)]},
        {"readings": []},
        {"readings": "nope"},
        {},
    ]
    for body in cases:
        answer = api.post("/readings", body)
        assert answer.status_code == 422, (body, answer.content)
        assert answer["Content-Type"] == "application/problem+json"
    assert api.post("/readings", raw="{not json").status_code == 400
    assert api.post("/readings", raw='{"readings": [{"value": 1e999999}]}').status_code == 422


def test_a_nul_in_any_text_is_a_field_problem(org, support_metrics, as_token):
    api = as_token(org.bob)
    for field in ("metric", "person", "measured_at"):
        answer = api.post("/readings", {"readings": [reading(**{field: "a\x00b"})]})
        assert answer.status_code == 422, field
        assert answer.json()["errors"][0]["pointer"] == f"/readings/0/{field}"


def test_a_posted_reading_is_rolled_up_at_once_when_the_lock_is_free(
    org, support_metrics, as_token, django_capture_on_commit_callbacks
):
    """As after the form: the figures a dashboard reads exist when the answer arrives (no worker needed)."""
    with django_capture_on_commit_callbacks(execute=True):
        answer = as_token(org.bob).post("/readings", {"readings": [reading()]})
    assert answer.status_code == 200, answer.content
    assert not RollupQueue.objects.exists()
    assert Rollup.objects.filter(metric=support_metrics[0], owner_type="p", owner_id=org.bob.pk).exists()
