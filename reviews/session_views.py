"""Pages of review sessions: scheduling, invitations, attendance, minutes and action items."""

from django.shortcuts import render


def index(request):
    return render(request, "reviews/index.html")
