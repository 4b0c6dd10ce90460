from django.urls import path

from rapport.clients import views

app_name = "clients"
urlpatterns = [
    path("", views.book, name="book"),
    path("new/", views.client_new, name="new"),
    path("reassign/", views.reassign, name="reassign"),
    path("handover/", views.handover, name="handover"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/settings/", views.dedupe_settings, name="dedupe_settings"),
    path("duplicates/<int:pk>/merge/", views.duplicate_merge, name="duplicate_merge"),
    path("duplicates/<int:pk>/dismiss/", views.duplicate_dismiss, name="duplicate_dismiss"),
    path("merges/", views.merges, name="merges"),
    path("merges/<int:pk>/undo/", views.merge_undo, name="merge_undo"),
    path("<int:pk>/", views.card, name="card"),
    path("<int:pk>/edit/", views.client_edit, name="edit"),
    path("<int:pk>/blacklist/", views.blacklist, name="blacklist"),
    path("<int:pk>/contacts/add/", views.contact_add, name="contact_add"),
    path("<int:pk>/consents/", views.consent_edit, name="consent_edit"),
    path("<int:pk>/preferences/add/", views.preference_add, name="preference_add"),
    path("<int:pk>/relatives/add/", views.relative_add, name="relative_add"),
    path("<int:pk>/relatives/<int:relative_pk>/", views.relative_edit, name="relative_edit"),
    path("<int:pk>/dates/add/", views.key_date_add, name="key_date_add"),
    path("<int:pk>/notes/add/", views.note_add, name="note_add"),
    path("<int:pk>/notes/<int:note_pk>/pin/", views.note_pin, name="note_pin"),
    path("<int:pk>/<str:kind>/<int:item_pk>/remove/", views.item_remove, name="item_remove"),
]
