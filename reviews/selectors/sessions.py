"""Reads of review sessions for their lists: each session with the person's own answer and its invitation counts."""

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from reviews.models import Invitation


def _invitation_count(response: str | None = None):
    """The session's invitations (with that response, if given) as a subquery: 0 rather than NULL when none."""
    rows = Invitation.objects.filter(session=OuterRef("pk"))
    if response:
        rows = rows.filter(response=response)
    return Coalesce(Subquery(rows.order_by().values("session").annotate(n=Count("pk")).values("n")[:1],
                             output_field=IntegerField()), Value(0))


def with_my_answer(sessions, user):
    """The sessions with their facilitator and, as subqueries (no query per session): my_response (the person's
    answer, None when not invited), invited (how many were) and accepted (how many accepted)."""
    mine = Invitation.objects.filter(session=OuterRef("pk"), person=user)
    return sessions.select_related("facilitator").annotate(
        my_response=Subquery(mine.values("response")[:1]), invited=_invitation_count(),
        accepted=_invitation_count(Invitation.Response.ACCEPTED))
