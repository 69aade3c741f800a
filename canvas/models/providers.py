"""Remote image providers: one row per call made (ProviderCall), one row per provider's
circuit breaker (ProviderHealth), and a board's opt-in to fallback engines.

The breaker state lives here, in the database, so every worker process and host sees the
same circuit. Rows are written by ``canvas.engines.providers.resilience`` only; nothing
else changes breaker state.
"""

from __future__ import annotations

from django.db import models


class CallOutcome(models.TextChoices):
    SUCCESS = "success", "Succeeded"
    TRANSIENT = "transient", "Temporary failure"
    PERMANENT = "permanent", "Refused or failed"
    CANCELLED = "cancelled", "Cancelled"


class ProviderCall(models.Model):
    """One HTTP call to a provider: what, for which job, how it ended, how long, cost.

    Written once, when the call ends (``created_at`` is its end; ``started_at`` its start),
    by canvas.engines.providers.resilience.recorded_call. The operations dashboard
    (canvas.ops) rolls these rows up per hour; see docs/dashboard.md.
    """

    provider = models.CharField(max_length=40, db_index=True)
    model = models.CharField(max_length=120, blank=True)
    engine = models.CharField(max_length=120, blank=True)
    job = models.ForeignKey(
        "canvas.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attempt = models.PositiveIntegerField(default=1)
    outcome = models.CharField(max_length=16, choices=CallOutcome.choices)
    http_status = models.PositiveIntegerField(null=True, blank=True)
    error_code = models.CharField(max_length=80, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    # An estimate (USD) from usage or a per-image price; None when not known.
    cost_usd = models.DecimalField(max_digits=10, decimal_places=5, null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # Ran on a fallback engine while the job's own provider was down (not the job's engine).
    fallback = models.BooleanField(default=False)
    # What a successful call delivered, and what that costs by the operator's price table
    # (canvas.engines.prices; None: the engine has no price there), in ``currency``.
    images = models.PositiveIntegerField(default=0)
    megapixels = models.FloatField(default=0)
    cost = models.DecimalField(max_digits=12, decimal_places=5, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["provider", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.provider}/{self.model} {self.outcome}"


class BreakerState(models.TextChoices):
    CLOSED = "closed", "Working"
    OPEN = "open", "Paused after failures"
    HALF_OPEN = "half_open", "Testing recovery"


class ProviderHealth(models.Model):
    """The circuit breaker of one provider, shared by all processes."""

    provider = models.CharField(max_length=40, unique=True)
    state = models.CharField(
        max_length=16, choices=BreakerState.choices, default=BreakerState.CLOSED
    )
    consecutive_failures = models.PositiveIntegerField(default=0)
    opened_at = models.DateTimeField(null=True, blank=True)
    # Open: when one probe may go through. Half-open: when the running probe's turn ends
    # (a probe whose process died must not keep the circuit half-open forever).
    next_probe_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "provider health"
        verbose_name_plural = "provider health"

    def __str__(self) -> str:
        return f"{self.provider}: {self.state}"


class BoardEngineFallbacks(models.Model):
    """A board's opt-in to running jobs on another engine while a provider is down.

    ``chains`` maps an engine name to the engines to try next, in order; an engine missing
    from it uses the server's chain (ANCHORBOARD_ENGINE_FALLBACKS).
    """

    board = models.OneToOneField(
        "canvas.Board", on_delete=models.CASCADE, related_name="engine_fallbacks"
    )
    enabled = models.BooleanField(default=True)
    chains = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "board engine fallback chain"
        verbose_name_plural = "board engine fallback chains"

    def __str__(self) -> str:
        return f"fallbacks for {self.board_id}"
