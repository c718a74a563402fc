"""Logging in and out with Django's auth, in both languages; a wrong password says so."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.urls import reverse
from portal_world import client


def test_login_form_is_labelled_and_wrong_password_says_so() -> None:
    from django.db import transaction

    with transaction.atomic():
        User.objects.create_user("tester-login", password="a long enough password")
        c = client(lang="fr")
        html = c.get(reverse("login")).content.decode()
        assert '<label for="id_username">Identifiant</label>' in html and 'lang="fr"' in html
        bad = c.post(reverse("login"), {"username": "tester-login", "password": "nope"})
        assert "Identifiant ou mot de passe incorrect" in bad.content.decode()
        good = c.post(reverse("login"), {"username": "tester-login", "password": "a long enough password"})
        assert good.status_code == 302 and good["Location"] == reverse("pages:dashboard")
        out = c.post(reverse("logout"))
        assert out.status_code == 302 and out["Location"] == reverse("pages:verify")
        transaction.set_rollback(True)
