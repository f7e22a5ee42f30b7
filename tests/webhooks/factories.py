"""Subscriptions made directly (the service checks are tested on their own)."""

import factory

from webhooks.events import Event
from webhooks.models import Subscription
from webhooks.signatures import new_secret


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    name = factory.Sequence(lambda n: f"Receiver {n}")
    url = "https://hooks.example.com/keel"
    events = factory.LazyFunction(lambda: [e for e in Event.values if e != Event.TEST])
    format = Subscription.Format.STANDARD
    secret = factory.LazyFunction(new_secret)
