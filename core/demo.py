"""The registry of demo data: each app adds its steps, and `seed_demo` runs them in order.

An app adds its steps from its own demo.py, whose register() its AppConfig.ready() calls:

    demo.register(name="metrics", order=10, run=seed_metrics)

Each step is a function `step(*, rng, size, stdout) -> str` returning a one-line summary; org's step runs first.
Each step gets a generator of its own, seeded from the command's seed and the step's name. Steps must be
deterministic for a given rng and idempotent (a second run changes nothing).
"""

from collections.abc import Callable
from dataclasses import dataclass

DEMO_PASSWORD = "keel-demo"  # noqa: S105  (the documented demo password, refused outside DEBUG)
DEMO_LOGINS = ("admin", "manager", "employee")


@dataclass(frozen=True)
class Step:
    name: str
    order: int
    run: Callable[..., str]


_steps: dict[str, Step] = {}


def register(*, name: str, order: int, run: Callable[..., str]) -> None:
    """Add a demo step (called from an app's demo.register()); org's own step has order 0, later apps 10, 20, ..."""
    _steps[name] = Step(name=name, order=order, run=run)


def steps() -> list[Step]:
    return sorted(_steps.values(), key=lambda s: (s.order, s.name))
