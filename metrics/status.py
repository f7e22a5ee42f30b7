"""On track, at risk or off track: one rule for every page, export and award.

A figure meets a threshold (a target, a warning level, a goal's target, a criterion's threshold) when it does
so as people see it: both are rounded to the metric's declared decimals, the way the pages print them, and
compared as Decimals. Binary arithmetic must not decide: a ratio of 7 in 100, scaled by 100, is
7.000000000000001 in floating point, and shown as "7.0 %" it is on a target of 7. Every comparison of a figure
with a threshold goes through meets() (status(), goal progress, S.M.A.R.T. checks), and exports write shown().
"""

from dataclasses import dataclass
from decimal import Decimal

NOISE_DECIMALS = 9  # without a declared precision: enough places for any figure, few enough to drop float noise

ON_TRACK, AT_RISK, OFF_TRACK, NO_DATA, NO_TARGET = "on_track", "at_risk", "off_track", "no_data", "no_target"


@dataclass(frozen=True)
class Look:
    label: str
    css: str  # Bootstrap colour name
    symbol: str  # so colour is never the only signal


# Five shapes nobody confuses, even in black and white: an arrow would read as "going up" (at risk used to be ▲),
# and a dash and a dot look alike at table size (no data was "–", does not apply "·").
LOOKS = {
    ON_TRACK: Look("On track", "success", "●"),
    AT_RISK: Look("At risk", "warning", "◆"),
    OFF_TRACK: Look("Off track", "danger", "✖"),
    NO_DATA: Look("No data", "secondary", "?"),
    NO_TARGET: Look("No target", "light", "○"),
}


def shown(value: float, decimals: int | None = None) -> Decimal:
    """A figure as the pages show it: rounded to `decimals` places exactly as f"{value:.{decimals}f}" prints it
    (or to NOISE_DECIMALS places when no precision is declared)."""
    places = NOISE_DECIMALS if decimals is None else max(0, int(decimals))
    return Decimal(f"{value:.{places}f}")


def rounded(value: float | None, decimals: int | None = None) -> float | None:
    """shown() as a float, for exports and stored figures; None stays None."""
    return None if value is None else float(shown(value, decimals))


def meets(value: float, threshold: float, *, higher_is_better: bool, decimals: int | None = None) -> bool:
    """Whether a figure is at least as good as a threshold (at least it when higher is better, at most it when
    lower is), both compared as shown at the metric's `decimals`. The one comparison of a figure with a
    threshold in Keel."""
    figure, bound = shown(value, decimals), shown(threshold, decimals)
    return figure >= bound if higher_is_better else figure <= bound


def status(value: float | None, target, *, higher_is_better: bool, decimals: int | None = None) -> str:
    """Compare a figure with a Target (target and optional warning threshold), at the metric's `decimals`."""
    if value is None:
        return NO_DATA
    if target is None:
        return NO_TARGET
    if meets(value, target.target, higher_is_better=higher_is_better, decimals=decimals):
        return ON_TRACK
    if target.warning is not None and meets(
        value, target.warning, higher_is_better=higher_is_better, decimals=decimals
    ):
        return AT_RISK
    return OFF_TRACK


def look(state: str) -> Look:
    return LOOKS[state]
