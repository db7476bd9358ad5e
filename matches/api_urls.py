"""The DRF API at the worker guide's paths (/products, /products/{id}/creators, ...)."""

from django.urls import path

from matches import api
from shopify_app.api import ProductResyncApi

urlpatterns = [
    path("products", api.ProductListApi.as_view(), name="api-products"),
    path("products/resync", ProductResyncApi.as_view(), name="api-products-resync"),
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
]
