from django.urls import path

from signals import views

urlpatterns = [path("", views.csv_import_page, name="csv_import")]
