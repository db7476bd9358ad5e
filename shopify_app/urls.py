from django.urls import path

from shopify_app import views

app_name = "shopify_app"
urlpatterns = [
    path("connect", views.connect, name="connect"),
    path("callback", views.callback, name="callback"),
    path("disconnect", views.disconnect, name="disconnect"),
    path("webhooks", views.webhooks, name="webhooks"),
]
