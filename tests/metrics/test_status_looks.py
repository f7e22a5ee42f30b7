"""Status symbols: one per status, each a shape of its own, so colour is never the only signal."""

from metrics.selectors.scorecards import NOT_APPLICABLE_LOOK
from metrics.status import LOOKS

LOOKALIKES = [{"–", "·", "-", "—", "."}, {"▲", "▼", "△", "▽"}]  # dashes and dots; arrows read as a direction


def test_every_status_has_its_own_symbol():
    symbols = [look.symbol for look in (*LOOKS.values(), NOT_APPLICABLE_LOOK)]
    assert len(set(symbols)) == len(symbols)


def test_no_two_symbols_are_lookalikes_and_none_is_an_arrow():
    symbols = {look.symbol for look in (*LOOKS.values(), NOT_APPLICABLE_LOOK)}
    assert len(symbols & LOOKALIKES[0]) <= 1
    assert not symbols & LOOKALIKES[1]


def test_the_legend_shows_every_symbol(client, org):
    from tests.helpers import signed_in

    page = signed_in(client, org.alice).get(f"/metrics/scorecards/{org.support.pk}/").content.decode()
    for look in (*LOOKS.values(), NOT_APPLICABLE_LOOK):
        assert f"{look.symbol}</span> {look.label}" in page
