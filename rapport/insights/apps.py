from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    """Client scores (rhythm, churn signals, BG/NBD, lifetime value), KPIs and dashboards."""

    name = "rapport.insights"
    label = "insights"
    verbose_name = _("Insights")
