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
