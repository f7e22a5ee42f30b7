"""figures(): exactly the buckets and owners asked for, whichever way the query reads them."""

from datetime import date

from django.urls import reverse

from core import periods
from metrics.models import Metric
from metrics.selectors.figures import DEPARTMENT, PERSON, figure_values, figures
from tests.metrics.factories import MetricFactory, RollupFactory

WEEKS = [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 23)]


def rollup(metric, owner, start, total, *, n=1, period=periods.WEEK):
    owner_type, owner_id = owner
    return RollupFactory(
        metric=metric, period=period, start=start, owner_type=owner_type, owner_id=owner_id, n=n, total=total
    )


def test_it_reads_only_the_buckets_asked_for(org):
    metric = MetricFactory(department=org.support)
    for number, start in enumerate(WEEKS):
        rollup(metric, (PERSON, org.bob.pk), start, number)
    found = figures(metrics=[metric], owners=[(PERSON, org.bob.pk)], period=periods.WEEK, starts=WEEKS[::2])
    assert found == {(metric.pk, PERSON, org.bob.pk, WEEKS[0]): 0, (metric.pk, PERSON, org.bob.pk, WEEKS[2]): 2}


def test_it_reads_only_the_owners_asked_for(org):
    metric = MetricFactory(department=org.support)
    person, department = (PERSON, 11), (DEPARTMENT, 22)  # a rollup's owner is an id, checked by no key
    rollup(metric, person, WEEKS[0], 1)
    rollup(metric, department, WEEKS[0], 2)
    # Each owner's id under the other owner type: not asked for, so not found
    rollup(metric, (DEPARTMENT, 11), WEEKS[0], 3)
    rollup(metric, (PERSON, 22), WEEKS[0], 4)
    found = figures(metrics=[metric], owners=[person, department], period=periods.WEEK, starts=WEEKS)
    assert found == {(metric.pk, *person, WEEKS[0]): 1, (metric.pk, *department, WEEKS[0]): 2}


def test_it_reads_only_the_period_and_metrics_asked_for(org):
    metric, other = MetricFactory(department=org.support), MetricFactory(department=org.support)
    owner = (PERSON, org.bob.pk)
    rollup(metric, owner, WEEKS[0], 1)
    rollup(metric, owner, WEEKS[0], 5, period=periods.DAY)
    rollup(other, owner, WEEKS[0], 6)
    assert figures(metrics=[metric], owners=[owner], period=periods.WEEK, starts=WEEKS) == {
        (metric.pk, *owner, WEEKS[0]): 1
    }


def test_it_gives_each_metric_its_aggregation(org):
    mean = MetricFactory(department=org.support, aggregation=Metric.Aggregation.MEAN)
    total = MetricFactory(department=org.support, aggregation=Metric.Aggregation.SUM)
    owner = (DEPARTMENT, org.support.pk)
    rollup(mean, owner, WEEKS[1], 30, n=4)
    rollup(total, owner, WEEKS[1], 30, n=4)
    assert figures(metrics=[mean, total], owners=[owner], period=periods.WEEK, starts=WEEKS) == {
        (mean.pk, *owner, WEEKS[1]): 7.5,
        (total.pk, *owner, WEEKS[1]): 30,
    }
    assert figure_values(metrics=[mean, total], owners=[owner], period=periods.WEEK, start=WEEKS[1]) == {
        (mean.pk, *owner): 7.5,
        (total.pk, *owner): 30,
    }


def test_a_bucket_without_readings_has_no_figure(org):
    metric = MetricFactory(department=org.support)
    owner = (PERSON, org.bob.pk)
    rollup(metric, owner, WEEKS[3], 0, n=0)
    assert figures(metrics=[metric], owners=[owner], period=periods.WEEK, starts=WEEKS) == {
        (metric.pk, *owner, WEEKS[3]): None
    }


def test_it_asks_nothing_of_the_database_without_metrics_owners_or_buckets(org, django_assert_num_queries):
    metric = MetricFactory(department=org.support)
    with django_assert_num_queries(0):
        assert figures(metrics=[], owners=[(PERSON, org.bob.pk)], period=periods.WEEK, starts=WEEKS) == {}
        assert figures(metrics=[metric], owners=[], period=periods.WEEK, starts=WEEKS) == {}
        assert figures(metrics=[metric], owners=[(PERSON, org.bob.pk)], period=periods.WEEK, starts=[]) == {}


def test_owners_beside_are_read_for_their_one_bucket_only(org):
    metric = MetricFactory(department=org.support)
    own, child = (DEPARTMENT, org.support.pk), (DEPARTMENT, org.front_line.pk)
    for number, start in enumerate(WEEKS):
        rollup(metric, own, start, number)
        rollup(metric, child, start, 10 + number)
    found = figures(metrics=[metric], owners=[own], period=periods.WEEK, starts=WEEKS, beside=([child], WEEKS[2]))
    assert found == {
        **{(metric.pk, *own, start): number for number, start in enumerate(WEEKS)},
        (metric.pk, *child, WEEKS[2]): 12,
    }


def test_owners_beside_alone_are_read_too(org, django_assert_num_queries):
    metric = MetricFactory(department=org.support)
    child = (DEPARTMENT, org.front_line.pk)
    rollup(metric, child, WEEKS[1], 4)
    with django_assert_num_queries(1):
        found = figures(metrics=[metric], owners=[], period=periods.WEEK, starts=WEEKS, beside=([child], WEEKS[1]))
    assert found == {(metric.pk, *child, WEEKS[1]): 4}


def test_the_department_dashboard_compares_sub_departments_on_the_last_complete_week(client, org):
    metric = MetricFactory(department=org.support, name="Resolution")
    this_week = periods.bucket_start(periods.today(), periods.WEEK)
    last_week, before = periods.shift(this_week, periods.WEEK, -1), periods.shift(this_week, periods.WEEK, -2)
    for start, value in [(before, 50), (last_week, 70), (this_week, 90)]:
        rollup(metric, (DEPARTMENT, org.support.pk), start, value)
        rollup(metric, (DEPARTMENT, org.front_line.pk), start, value + 1)
    client.force_login(org.alice)
    response = client.get(reverse("metrics:department", args=[org.support.pk]) + "?period=week")
    [card] = response.context["cards"]
    assert card.trend["values"][-3:] == [50, 70, 90]
    [row] = response.context["children"]
    assert (row.department, [cell.value for cell in row.cells]) == (org.front_line, [71])
