"""Discovery runs: one company's discovery, from the trigger (schedule, sync, API, admin, command) to its outcome."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from accounts.models import Company
from maatchaa.models import TimestampedModel
from shopify_app.models import Product


class DiscoveryRun(TimestampedModel):
    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        IMMEDIATE = "immediate", "Immediate (after product sync)"
        MANUAL = "manual", "Manual"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        # Some products discovered, others not because YouTube failed them (they keep their turn).
        PARTIAL = "partial", "Partial"
        FAILED = "failed", "Failed"
        ABANDONED = "abandoned", "Abandoned"

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="discovery_runs")
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    products = models.ManyToManyField(Product, blank=True, related_name="discovery_runs")
    products_planned = models.PositiveIntegerField(default=0)
    products_done = models.PositiveIntegerField(default=0)
    search_calls = models.PositiveIntegerField(default=0)
    cached_searches = models.PositiveIntegerField(default=0)
    units = models.PositiveIntegerField(default=0)
    videos_found = models.PositiveIntegerField(default=0)
    matches_made = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    message = models.CharField(max_length=500, blank=True, default="")
    worker_pid = models.IntegerField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # Born in discovery; moved here with its table and rows (migrations discovery/0003, pipeline/0001).
        db_table = "discovery_discoveryrun"
        ordering = ["-created_at"]
        constraints = [
            # One discovery per company at a time, enforced by the database whatever races the triggers run.
            models.UniqueConstraint(
                fields=["company"],
                condition=Q(status__in=["queued", "running"]),
                name="discoveryrun_one_active_per_company",
            ),
        ]
        indexes = [
            # The runs page and "latest run" lookups: a company's runs, newest first.
            models.Index(fields=["company", "-created_at"], name="discoveryrun_company_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_trigger_display()} run for {self.company} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES
