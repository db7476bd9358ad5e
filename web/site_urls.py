"""The site's own pages outside the dashboard: the start page at / and the favicon browsers ask for."""

from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from web import site_views

urlpatterns = [
    path("", site_views.landing, name="home"),
    path("favicon.ico", RedirectView.as_view(url=static("dashboard/favicon.svg"), permanent=True)),
]
