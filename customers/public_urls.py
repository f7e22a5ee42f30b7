"""The customer's answer page: no account, a single-use expiring link (served at /r/<token>/)."""

app_name = "respond"
urlpatterns = []
