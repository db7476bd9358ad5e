from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    # The start page (signed out) or the products (signed in), and /favicon.ico.
    path("", include("web.site_urls")),
    # The admin pages of models that moved app keep answering at their old addresses (bookmarks, links).
    re_path(
        r"^admin/shopify_app/(?P<model>company|membership|apitoken|signinfailure)/(?P<rest>.*)$",
        RedirectView.as_view(url="/admin/accounts/%(model)s/%(rest)s", permanent=True, query_string=True),
    ),
    re_path(
        r"^admin/discovery/(?P<model>discoveryrun)/(?P<rest>.*)$",
        RedirectView.as_view(url="/admin/pipeline/%(model)s/%(rest)s", permanent=True, query_string=True),
    ),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # GET only: DRF's OPTIONS rendered the docs page's description without a template (a 500).
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema", http_method_names=["get", "head"]),
        name="api-docs",
    ),
    path("shopify/", include("shopify_app.urls")),
    path("accounts/", include("accounts.urls")),
    path("dashboard/", include("web.urls")),
    # The API keeps the worker guide's paths: /products, /products/{id}/creators, ...
    path("", include("web.api_urls")),
]
