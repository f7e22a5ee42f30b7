"""Who sees which review sessions, built on org.access; used by every reviews view and export."""

from django.db.models import Exists, OuterRef, Q

from org import access
from reviews.models import Invitation, ReviewSession


def visible_sessions(user):
    """Admins: all. Others: sessions they are invited to, facilitate, or whose invitees they manage."""
    if access.is_admin(user):
        return ReviewSession.objects.all()
    managed_invitees = Invitation.objects.filter(
        session=OuterRef("pk"), person__department__in=access.managed_departments(user)
    )
    return ReviewSession.objects.filter(
        Q(invitations__person=user) | Q(facilitator=user) | Exists(managed_invitees)
    ).distinct()


def editable_sessions(user):
    """Admins schedule and edit every session; facilitators edit their own (minutes, attendance, actions)."""
    if access.is_admin(user):
        return ReviewSession.objects.all()
    return ReviewSession.objects.filter(facilitator=user)
