"""Who sees which customers, campaigns and follow-ups: managers their departments', admins all (org.access)."""

from django.db.models import Q

from customers.models import Campaign, Customer, FollowUp
from org import access


def visible_customers(user):
    return Customer.objects.filter(department__in=access.managed_departments(user))


def visible_campaigns(user):
    return Campaign.objects.filter(department__in=access.managed_departments(user))


def visible_follow_ups(user):
    """Follow-ups of the departments the user manages, and those assigned to them; none of an internal campaign below
    the anonymity minimum (its answers' ratings, texts and dates would point at the few who answered)."""
    return FollowUp.objects.filter(Q(department__in=access.managed_departments(user)) | Q(owner=user)).shown()
