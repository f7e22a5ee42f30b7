"""The one project exception for a broken business rule; views turn it into a form error."""


class RuleViolation(Exception):
    """A request a person can fix: the message says how. `field` names the form field it concerns, if any."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
