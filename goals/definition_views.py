"""Pages of quality definitions."""

from django.shortcuts import render


def index(request):
    return render(request, "goals/definitions.html")
