from django.urls import path

from shopify_app import views

app_name = "shopify_app"
urlpatterns = [
    path("install", views.install, name="install"),
    path("install/resume", views.install_resume, name="install_resume"),
    path("connect", views.connect, name="connect"),
    path("callback", views.callback, name="callback"),
    path("disconnect", views.disconnect, name="disconnect"),
    path("webhooks", views.webhooks, name="webhooks"),
]
