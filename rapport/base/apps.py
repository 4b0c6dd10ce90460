from django.apps import AppConfig


class BaseConfig(AppConfig):
    """The shell shared by every page: layout, static assets, formatting and the commands."""

    name = "rapport.base"
    label = "base"
