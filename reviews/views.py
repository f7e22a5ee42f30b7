"""Pages of the reviews app."""

from django.shortcuts import render


def index(request):
    return render(request, "reviews/index.html")
