"""Pages of the goals app: quality definitions and S.M.A.R.T. goals."""

from django.shortcuts import render


def definitions(request):
    return render(request, "goals/definitions.html")


def index(request):
    return render(request, "goals/index.html")
