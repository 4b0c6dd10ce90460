from django.urls import include, path
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from rapport.api import pages, views

app_name = "api"

v1 = [
    path("clients/lookup/", views.ClientLookupView.as_view(), name="client_lookup"),
    path("clients/", views.ClientListView.as_view(), name="client_list"),
    path("clients/<int:pk>/", views.ClientDetailView.as_view(), name="client_detail"),
    path("purchases/", views.PurchaseListView.as_view(), name="purchase_list"),
    path(
        "purchases/<str:receipt_number>/returns/",
        views.ReturnListView.as_view(),
        name="return_list",
    ),
    path("products/<str:sku>/", views.ProductDetailView.as_view(), name="product_detail"),
]

urlpatterns = [
    path("v1/", include(v1)),
    path(
        "schema/",
        SpectacularAPIView.as_view(permission_classes=[AllowAny], authentication_classes=[]),
        name="schema",
    ),
    path(
        "docs/",
        csp_override(pages.DOCS_CSP)(
            SpectacularSwaggerSplitView.as_view(
                url_name="api:schema",
                permission_classes=[AllowAny],
                authentication_classes=[],
                template_name="api/swagger_ui.html",
            )
        ),
        name="docs",
    ),
    path("tokens/", pages.token_list, name="tokens"),
    path("tokens/<int:pk>/revoke/", pages.token_revoke_view, name="token_revoke"),
]
