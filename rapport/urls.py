from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("rapport.base.urls")),
    path("", include("rapport.accounts.urls")),
    path("clients/", include("rapport.clients.urls")),
    path("", include("rapport.sales.urls")),
    path("", include("rapport.outreach.urls")),
    path("", include("rapport.insights.urls")),
    path("api/", include("rapport.api.urls")),
    path("admin/", admin.site.urls),
]
