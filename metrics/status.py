"""On track, at risk or off track: one rule for every page, export and award."""

from dataclasses import dataclass

ON_TRACK, AT_RISK, OFF_TRACK, NO_DATA, NO_TARGET = "on_track", "at_risk", "off_track", "no_data", "no_target"


@dataclass(frozen=True)
class Look:
    label: str
    css: str  # Bootstrap colour name
    symbol: str  # so colour is never the only signal


LOOKS = {
    ON_TRACK: Look("On track", "success", "●"),
    AT_RISK: Look("At risk", "warning", "▲"),
    OFF_TRACK: Look("Off track", "danger", "▼"),
    NO_DATA: Look("No data", "secondary", "–"),
    NO_TARGET: Look("No target", "light", "○"),
}


def status(value: float | None, target, *, higher_is_better: bool) -> str:
    """Compare a figure with a Target (target and optional warning threshold)."""
    if value is None:
        return NO_DATA
    if target is None:
        return NO_TARGET

    def at_least_as_good(a: float, b: float) -> bool:
        return a >= b if higher_is_better else a <= b

    if at_least_as_good(value, target.target):
        return ON_TRACK
    if target.warning is not None and at_least_as_good(value, target.warning):
        return AT_RISK
    return OFF_TRACK


def look(state: str) -> Look:
    return LOOKS[state]
