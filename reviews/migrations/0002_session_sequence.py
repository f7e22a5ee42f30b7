"""ReviewSession.sequence: the SEQUENCE every calendar file of a session carries.

Until now the SEQUENCE was computed only for the e-mail that announced a change (seconds since 2020-01-01 at
the moment of the change), and every later file said 0. The backfill gives each session the highest SEQUENCE
already sent for it (update e-mails' dedup keys hold it; a cancellation's is that of its cancelled_at), so the
files sent from now on never fall behind the ones people already have.
"""

from datetime import UTC, datetime

from django.db import migrations, models

SEQUENCE_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)  # the epoch of the sequences sent before this migration


def _seconds(moment) -> int:
    return max(0, int((moment - SEQUENCE_EPOCH).total_seconds()))


def backfill(apps, schema_editor):
    ReviewSession = apps.get_model("reviews", "ReviewSession")
    Invitation = apps.get_model("reviews", "Invitation")
    OutgoingEmail = apps.get_model("outbox", "OutgoingEmail")
    sent: dict[int, int] = {}
    for pk, cancelled_at in ReviewSession.objects.filter(cancelled_at__isnull=False).values_list("pk",
                                                                                                 "cancelled_at"):
        sent[pk] = _seconds(cancelled_at)
    by_invitation: dict[int, int] = {}
    for key in OutgoingEmail.objects.filter(dedup_key__startswith="review-update:").values_list("dedup_key",
                                                                                                 flat=True):
        _prefix, invitation, sequence = key.split(":")
        by_invitation[int(invitation)] = max(by_invitation.get(int(invitation), 0), int(sequence))
    for invitation, session in Invitation.objects.filter(pk__in=by_invitation).values_list("pk", "session_id"):
        sent[session] = max(sent.get(session, 0), by_invitation[invitation])
    for session, sequence in sent.items():
        ReviewSession.objects.filter(pk=session).update(sequence=sequence)


class Migration(migrations.Migration):

    dependencies = [
        ("reviews", "0001_initial"),
        ("outbox", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="reviewsession",
            name="sequence",
            field=models.PositiveIntegerField(
                default=0,
                help_text="The calendar files' SEQUENCE (RFC 5545): raised by every change sent to invitees (moved, "
                          "cancelled), and carried by every later file of the session."),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
