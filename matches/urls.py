"""The dashboard's HTML pages (/dashboard/...)."""

from django.urls import path

app_name = "dashboard"
urlpatterns: list = []
