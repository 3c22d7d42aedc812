from django.urls import path

from workspace import goals, import_job_views, import_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path("accounts/<int:pk>/check-ins/", views.checkin_create, name="checkin_create"),
    path("accounts/<int:pk>/sentiment/", views.sentiment_create, name="sentiment_create"),
    path("accounts/<int:pk>/override/", views.override_create, name="override_create"),
    path("accounts/<int:pk>/override/remove/", views.override_delete, name="override_delete"),
    path("accounts/<int:pk>/reassign/", views.account_reassign, name="account_reassign"),
    path("accounts/<int:pk>/contacts/", views.contact_create, name="contact_create"),
    path("accounts/<int:pk>/contacts/<int:contact_pk>/", views.contact_edit, name="contact_edit"),
    path("accounts/<int:pk>/timeline/", views.account_timeline, name="account_timeline"),
    path("accounts/<int:pk>/goals/", goals.goal_create, name="goal_create"),
    path("accounts/<int:pk>/goals/<int:goal_pk>/", goals.goal_update, name="goal_update"),
    path("accounts/<int:pk>/referrals/", goals.referral_create, name="referral_create"),
    path("tasks/", views.task_list, name="task_list"),
    path("tasks/<int:pk>/done/", views.task_done, name="task_done"),
    path("tasks/<int:pk>/snooze/", views.task_snoozed, name="task_snooze"),
    path("import/", import_views.csv_import_page, name="csv_import"),
    path("import/<int:job_id>/", import_job_views.job_page, name="import_job"),
    path("import/<int:job_id>/map/", import_job_views.mapping_page, name="import_mapping"),
    path("import/<int:job_id>/progress/", import_job_views.job_progress, name="import_progress"),
    path("import/<int:job_id>/errors.csv", import_job_views.job_errors, name="import_errors"),
    path("import/<int:job_id>/cancel/", import_job_views.job_cancel, name="import_cancel"),
]
