from django.urls import path

app_name = "shopify_app"
urlpatterns: list = []
