"""What a delivery's body is, by the subscription's format: Standard Webhooks JSON, or a Slack or Teams message.

Bodies are built from the stored event alone, the same bytes on every attempt.
"""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext as _

from webhooks.models import Subscription, WebhookEvent


def standard(event: WebhookEvent) -> dict:
    """{"type": "campaign.closed", "timestamp": "2026-11-25T10:30:00Z", "data": {...}}: Standard Webhooks' shape."""
    return {
        "type": event.type,
        "timestamp": event.created_at.isoformat().replace("+00:00", "Z"),
        "data": {**event.payload, "summary": event.summary, "url": event.url},
    }


def _slack_escape(text: str) -> str:
    # Slack's mrkdwn gives &, < and > a meaning; everything else is text.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack(event: WebhookEvent) -> dict:
    """{"text": ...} for a Slack incoming webhook: the summary, and a link into Keel."""
    text = _slack_escape(event.summary)
    if event.url:
        text += f" <{event.url}|{_slack_escape(_('Open in Keel'))}>"
    return {"text": text}


def _teams_escape(text: str) -> str:
    # Teams renders Markdown in a text message: keep Keel's words literal.
    for mark in "\\`*_[]<>#":
        text = text.replace(mark, "\\" + mark)
    return text


def teams(event: WebhookEvent) -> dict:
    """{"text": ...} for a Microsoft Teams incoming webhook: the summary, and a Markdown link into Keel."""
    text = _teams_escape(event.summary)
    if event.url:
        text += f" [{_teams_escape(_('Open in Keel'))}]({event.url})"
    return {"text": text}


SHAPES = {Subscription.Format.STANDARD: standard, Subscription.Format.SLACK: slack, Subscription.Format.TEAMS: teams}


def body(event: WebhookEvent, *, format: str) -> bytes:
    """The UTF-8 JSON body of a delivery in the subscription's format."""
    shape = SHAPES.get(format, standard)
    return json.dumps(shape(event), cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")).encode()
