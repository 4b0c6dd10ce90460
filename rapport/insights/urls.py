from django.urls import path

from rapport.insights import views

app_name = "insights"
urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/settings/", views.settings_edit, name="settings"),
]
