from django.apps import AppConfig


class SalesConfig(AppConfig):
    """Products, purchases, returns and visits."""

    name = "rapport.sales"
    label = "sales"
