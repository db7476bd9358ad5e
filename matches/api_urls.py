"""The DRF API at the worker guide's paths (/products, /products/{id}/creators, ...)."""

from django.urls import path

urlpatterns: list = []
