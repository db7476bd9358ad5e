"""The DRF API at the worker guide's paths (/products, /products/{id}/creators, /products/trigger-discovery, ...)."""

from django.urls import path

from web import api, creators_api, own_channels_api, resync_api, runs_api

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
    # Creators as relationships (creators/): a creator's page, notes, recent uploads.
    path("creators/<str:channel_id>", creators_api.CreatorDetailApi.as_view(), name="api-creator"),
    path(
        "creators/<str:channel_id>/recent-uploads",
        creators_api.CreatorRecentUploadsApi.as_view(),
        name="api-creator-recent-uploads",
    ),
    path("creators/<str:channel_id>/notes", creators_api.CreatorNotesApi.as_view(), name="api-creator-notes"),
    path(
        "creators/<str:channel_id>/notes/<int:note_id>", creators_api.CreatorNoteApi.as_view(), name="api-creator-note"
    ),
    path("lists", creators_api.ListsApi.as_view(), name="api-lists"),
    path("lists/<int:list_id>", creators_api.ListDetailApi.as_view(), name="api-list"),
    path("lists/<int:list_id>/entries", creators_api.ListEntriesApi.as_view(), name="api-list-entries"),
    path(
        "lists/<int:list_id>/entries.csv",
        creators_api.ListEntriesCsvApi.as_view(),
        {"format": "csv"},
        name="api-list-entries-csv",
    ),
    path("lists/<int:list_id>/entries/<int:entry_id>", creators_api.ListEntryApi.as_view(), name="api-list-entry"),
    path("creators/<str:channel_id>/draft", creators_api.CreatorDraftApi.as_view(), name="api-creator-draft"),
    path(
        "creators/<str:channel_id>/contacted", creators_api.CreatorContactedApi.as_view(), name="api-creator-contacted"
    ),
    path("outreach-template", creators_api.OutreachTemplateApi.as_view(), name="api-outreach-template"),
    path(
        "creators/<str:channel_id>/lookalikes",
        creators_api.CreatorLookalikesApi.as_view(),
        name="api-creator-lookalikes",
    ),
    path("whats-new", creators_api.WhatsNewApi.as_view(), name="api-whats-new"),
]
