from django.urls import path

from rapport.outreach.views import feeds, plan, standard, today

app_name = "outreach"
urlpatterns = [
    path("today/", today.today, name="today"),
    path("touchpoints/<int:pk>/more/", today.touchpoint_menu, name="touchpoint_menu"),
    path("touchpoints/<int:pk>/draft/", today.draft_save, name="draft_save"),
    path("touchpoints/<int:pk>/log/", today.outcome_log, name="outcome_log"),
    path("touchpoints/<int:pk>/snooze/", today.snooze, name="snooze"),
    path("touchpoints/<int:pk>/email/", today.email_send, name="email_send"),
    path("touchpoints/<int:pk>/move/", plan.touchpoint_move, name="touchpoint_move"),
    path("touchpoints/<int:pk>/cancel/", plan.touchpoint_cancel, name="touchpoint_cancel"),
    path("clients/<int:pk>/plan/add/", plan.touchpoint_add, name="touchpoint_add"),
    path("calendar/", feeds.calendar_settings, name="calendar_settings"),
    path("calendar/<str:token>.ics", feeds.calendar_feed, name="calendar_feed"),
    path("clients/<int:pk>/vcard/", feeds.client_vcard, name="client_vcard"),
    path("standard/", standard.standard_edit, name="standard_edit"),
    path("standard/templates/", standard.templates_edit, name="templates_edit"),
]
