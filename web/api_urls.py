"""The DRF API at the worker guide's paths (/products, /products/{id}/creators, /products/trigger-discovery, ...)."""

from django.urls import path

from web import api, own_channels_api, resync_api, runs_api

urlpatterns = [
    path("products", api.ProductListApi.as_view(), name="api-products"),
    path("products/resync", resync_api.ProductResyncApi.as_view(), name="api-products-resync"),
    path("products/trigger-discovery", runs_api.DiscoveryTriggerApi.as_view(), name="api-trigger-discovery"),
    path("products/<int:product_id>/creators", api.ProductCreatorsApi.as_view(), name="api-product-creators"),
    path(
        "products/<int:product_id>/trigger-discovery",
        api.ProductDiscoveryApi.as_view(),
        name="api-product-trigger-discovery",
    ),
    path(
        "products/<int:product_id>/creators.csv",
        api.ProductCreatorsCsvApi.as_view(),
        {"format": "csv"},
        name="api-product-creators-csv",
    ),
    path(
        "products/<int:product_id>/creators/<str:channel_id>/decision",
        api.CreatorDecisionApi.as_view(),
        name="api-creator-decision",
    ),
    path("own-channels", own_channels_api.OwnChannelsApi.as_view(), name="api-own-channels"),
    path(
        "own-channels/<str:channel_id>",
        own_channels_api.OwnChannelDecisionApi.as_view(),
        name="api-own-channel-decision",
    ),
    path("discovery/runs", runs_api.DiscoveryRunListApi.as_view(), name="api-discovery-runs"),
    path("discovery/runs/<int:run_id>", runs_api.DiscoveryRunDetailApi.as_view(), name="api-discovery-run"),
]
