"""API endpoints for discovery: the guide's trigger and the state of discovery runs."""

from django.urls import path

urlpatterns: list = []
