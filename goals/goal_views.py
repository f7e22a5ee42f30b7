"""Pages of S.M.A.R.T. goals."""

from django.shortcuts import render


def index(request):
    return render(request, "goals/index.html")
