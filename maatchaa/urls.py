from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from maatchaa.signin import AdminSignInForm

# /admin/login/ under the same lockout as /accounts/login/, and saying so when an email is locked.
admin.site.login_form = AdminSignInForm

urlpatterns = [
    path("", RedirectView.as_view(url="/dashboard/products", permanent=False), name="home"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # GET only: DRF's OPTIONS rendered the docs page's description without a template (a 500).
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema", http_method_names=["get", "head"]),
        name="api-docs",
    ),
    path("shopify/", include("shopify_app.urls")),
    path("accounts/", include("maatchaa.accounts")),
    path("dashboard/", include("matches.urls")),
    # The API keeps the worker guide's paths: /products, /products/{id}/creators, ...
    path("", include("discovery.api_urls")),
    path("", include("matches.api_urls")),
]
