"""Sign in with a username or an e-mail address."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Q


class UsernameOrEmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        User = get_user_model()
        login = username.strip()
        user = User.objects.filter(Q(username__iexact=login) | Q(email__iexact=login)).first()
        if user is None:
            User().set_password(password)  # same work as a real check, so timing does not reveal accounts
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def account_key(request, credentials) -> str:
    """What django-axes counts failures against: the account's username when the login names one (by username or
    e-mail, in any case), so every spelling of one account shares one count; the typed login otherwise."""
    login = str((credentials or {}).get("username") or "").strip()
    User = get_user_model()
    username = (
        User.objects.filter(Q(username__iexact=login) | Q(email__iexact=login))
        .values_list("username", flat=True)
        .first()
    )
    return username or login.lower()
