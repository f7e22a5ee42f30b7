"""Series of figures inside windows of days: windows that share their days share nothing else."""

from datetime import date

from core import periods
from metrics.models import Rollup
from metrics.selectors.windows import Window, series
from tests.metrics.factories import MetricFactory, RollupFactory

# A window from Wednesday 4 November to Wednesday 25 November 2026: a cut first week, two whole, a cut last.
FIRST, LAST = date(2026, 11, 4), date(2026, 11, 25)
ON = date(2026, 11, 30)


def days(metric, owner_id, first, last, value):
    day = first
    while day <= last:
        RollupFactory(metric=metric, owner_id=owner_id, period=periods.DAY, start=day, total=value)
        day = periods.shift(day, periods.DAY, 1)


def week(metric, owner_id, start, value):
    RollupFactory(metric=metric, owner_id=owner_id, period=periods.WEEK, start=start, total=value, n=7)


def test_windows_with_the_same_days_each_get_their_own_figures(org):
    one, other = MetricFactory(department=org.support), MetricFactory(department=org.support)
    for metric, owner_id, base in [(one, org.support.pk, 10), (one, org.sales.pk, 20), (other, org.support.pk, 30)]:
        days(metric, owner_id, date(2026, 11, 2), date(2026, 11, 8), base)  # only 4..8 lie in the window
        week(metric, owner_id, date(2026, 11, 9), base * 7 + 7)
        week(metric, owner_id, date(2026, 11, 16), base * 7 + 14)
        days(metric, owner_id, date(2026, 11, 23), date(2026, 11, 29), base + 3)  # only 23..25 lie in it
    windows = [
        Window(metric=one, owner_id=org.support.pk, period=periods.WEEK, first=FIRST, last=LAST),
        Window(metric=one, owner_id=org.sales.pk, period=periods.WEEK, first=FIRST, last=LAST),
        Window(metric=other, owner_id=org.support.pk, period=periods.WEEK, first=FIRST, last=LAST),
    ]
    found = series(windows, on=ON)
    assert [[point.value for point in found[w]] for w in windows] == [
        [10, 11, 12, 13],
        [20, 21, 22, 23],
        [30, 31, 32, 33],
    ]
    assert [(p.piece.first, p.piece.last) for p in found[windows[0]]] == [
        (date(2026, 11, 4), date(2026, 11, 8)),
        (date(2026, 11, 9), date(2026, 11, 15)),
        (date(2026, 11, 16), date(2026, 11, 22)),
        (date(2026, 11, 23), date(2026, 11, 25)),
    ]
    assert {w: series([w], on=ON)[w] for w in windows} == found  # as if each were asked for alone


def test_windows_cut_at_different_days_keep_their_own_pieces(org):
    metric = MetricFactory(department=org.support)
    days(metric, org.support.pk, date(2026, 11, 2), date(2026, 11, 29), 5)
    for start in (date(2026, 11, 9), date(2026, 11, 16)):
        week(metric, org.support.pk, start, 35)
    whole = Window(metric=metric, owner_id=org.support.pk, period=periods.WEEK, first=FIRST, last=LAST)
    shorter = Window(metric=metric, owner_id=org.support.pk, period=periods.WEEK, first=FIRST, last=date(2026, 11, 18))
    found = series([whole, shorter], on=ON)
    assert [p.piece.last for p in found[whole]] == [date(2026, 11, 8), date(2026, 11, 15), date(2026, 11, 22), LAST]
    assert [p.piece.last for p in found[shorter]] == [date(2026, 11, 8), date(2026, 11, 15), date(2026, 11, 18)]
    assert [p.piece.whole for p in found[shorter]] == [False, True, False]
    assert Rollup.objects.filter(period=periods.WEEK, start=date(2026, 11, 16)).exists()  # yet its week is cut
