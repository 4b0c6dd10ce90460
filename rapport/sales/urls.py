from django.urls import path

from rapport.sales import views

app_name = "sales"
urlpatterns = [
    path("clients/<int:pk>/purchase/", views.purchase_new, name="purchase_new"),
    path("clients/<int:pk>/visit/", views.visit_new, name="visit_new"),
    path("purchases/<int:pk>/return/", views.return_new, name="return_new"),
    path("imports/", views.imports, name="imports"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/rejects.csv", views.import_rejects, name="import_rejects"),
    path("exports/<str:what>.<str:fmt>", views.export, name="export"),
]
