from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Users, stores and who works where in which role."""

    name = "rapport.accounts"
    label = "accounts"
