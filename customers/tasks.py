"""Reality-check jobs from beat (config.settings): thin wrappers around customers' services, each safe to run twice.

The services re-derive their work from the database and claim every row with a conditional UPDATE, so a run
repeated, retried or racing another does nothing twice.
"""

from celery import shared_task

from customers.services import campaigns, invitations, results


@shared_task
def send_invitations_and_reminders() -> str:
    invited = invitations.send_invitations()
    reminded = invitations.send_reminders()
    return f"{invited} invitations, {reminded} reminders"


@shared_task
def close_ended_campaigns() -> int:
    return campaigns.close_ended_campaigns()


@shared_task
def announce_overdue_follow_ups() -> int:
    """Hourly from beat: the "follow_up.overdue" webhook event, once per follow-up and due date."""
    return results.announce_overdue_follow_ups()
