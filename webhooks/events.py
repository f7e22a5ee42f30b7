"""The events Keel sends to webhooks: their names (part of the contract with receivers) and labels."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.TextChoices):
    READING_BELOW_TARGET = "reading.below_target", _("A reading is below its metric's target")
    FOLLOW_UP_OPENED = "follow_up.opened", _("A customer follow-up is opened")
    FOLLOW_UP_OVERDUE = "follow_up.overdue", _("A customer follow-up is overdue")
    AWARD_CONFIRMED = "award.confirmed", _("An award is confirmed")
    DEFINITION_VERSION_PUBLISHED = "definition.version_published", _("A quality definition version is published")
    CAMPAIGN_CLOSED = "campaign.closed", _("A reality-check campaign is closed")
    # Sent only by the "Send a test event" button, to the one subscription it is pressed on.
    TEST = "webhook.test", _("Test event")


SUBSCRIBABLE = [choice for choice in Event.choices if choice[0] != Event.TEST]
