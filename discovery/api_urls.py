"""API endpoints for discovery: the guide's trigger and the state of discovery runs."""

from django.urls import path

from discovery import api

urlpatterns = [
    path("products/trigger-discovery", api.DiscoveryTriggerApi.as_view(), name="api-trigger-discovery"),
    path("discovery/runs", api.DiscoveryRunListApi.as_view(), name="api-discovery-runs"),
    path("discovery/runs/<int:run_id>", api.DiscoveryRunDetailApi.as_view(), name="api-discovery-run"),
]
