"""Knobs: the job queue: attempts, time limits, concurrency, scheduling."""

from __future__ import annotations

from foundation.config import LIMIT_PAIRS, NUMBER, PAIRS, WHOLE, WHOLE_PAIRS, optional
from foundation.knobs.registry import JOBS, declare

# --- Job queue --------------------------------------------------------------------------------

JOB_MAX_ATTEMPTS = declare(
    "ANCHORBOARD_JOB_MAX_ATTEMPTS", WHOLE, 3,
    "starts per job, including starts cut short by a dead worker, before transient failures "
    "are final",
    JOBS,
)  # fmt: skip
JOB_USER_CONCURRENCY = declare(
    "ANCHORBOARD_JOB_USER_CONCURRENCY", WHOLE, 2,
    "running interactive jobs per person, across all workers (bulk jobs — batches — are not "
    "counted: see ANCHORBOARD_JOB_BULK_USER_CONCURRENCY)",
    JOBS,
)  # fmt: skip
JOB_BULK_USER_CONCURRENCY = declare(
    "ANCHORBOARD_JOB_BULK_USER_CONCURRENCY", optional(WHOLE), None,
    "running bulk jobs (batches) per person, across all workers; by default none of its own: "
    "bulk work is held by the provider and engine limits and shared fairly between people",
    JOBS, shown_default="none",
)  # fmt: skip
ENGINE_CONCURRENCY = declare(
    "ANCHORBOARD_ENGINE_CONCURRENCY", WHOLE_PAIRS, {},
    "`local=4,openai=8` (a dict in settings): running jobs per engine across all workers; wins "
    "over the engine's own limit",
    JOBS, shown_default="none",
)  # fmt: skip
PROVIDER_LIMITS = declare(
    "ANCHORBOARD_PROVIDER_LIMITS", LIMIT_PAIRS, {},
    "`gemini=4/60,openai=8` (a dict in settings): per provider, calls at once across all "
    "workers and, after the slash, calls per minute; a job holds its provider's slot only "
    "while it calls the provider, and the next jobs are prepared meanwhile",
    JOBS, shown_default="none",
)  # fmt: skip
JOB_HEARTBEAT_SECONDS = declare(
    "ANCHORBOARD_JOB_HEARTBEAT_SECONDS", NUMBER, 2.0,
    "how often a running job renews its lease (at most a third of the lease)", JOBS,
)  # fmt: skip
JOB_LEASE_SECONDS = declare(
    "ANCHORBOARD_JOB_LEASE_SECONDS", optional(NUMBER), None,
    "claim validity without a heartbeat; a dead worker's job is requeued within one lease + "
    "one poll",
    JOBS, shown_default="3 × heartbeat (6)",
)  # fmt: skip
JOB_RETRY_BASE_SECONDS = declare(
    "ANCHORBOARD_JOB_RETRY_BASE_SECONDS", NUMBER, 5.0,
    "first retry delay after a transient failure (doubles per attempt, plus jitter)", JOBS,
)  # fmt: skip
JOB_POLL_SECONDS = declare(
    "ANCHORBOARD_JOB_POLL_SECONDS", NUMBER, 1.0,
    "idle worker poll interval; upkeep period of every worker process (recovery, lost "
    "announcements)",
    JOBS,
)  # fmt: skip
JOB_PROGRESS_INTERVAL = declare(
    "ANCHORBOARD_JOB_PROGRESS_INTERVAL", NUMBER, 0.5,
    "minimum seconds between two progress writes/broadcasts of a job", JOBS,
)  # fmt: skip
DECODED_CACHE_MB = declare(
    "ANCHORBOARD_DECODED_CACHE_MB", NUMBER, 128.0,
    "decoded originals each process keeps in memory (by content hash) for the next job, "
    "composite or export that reads them; 0 keeps none",
    JOBS,
)  # fmt: skip
JOB_TIME_LIMIT_SECONDS = declare(
    "ANCHORBOARD_JOB_TIME_LIMIT_SECONDS", NUMBER, 1800.0,
    "one attempt's running time before the engine is asked to stop (`timed_out`); also the "
    "default limit of one ComfyUI/A1111 call",
    JOBS,
)  # fmt: skip

EXPORT_LINK_SECONDS = declare(
    "ANCHORBOARD_EXPORT_LINK_SECONDS", WHOLE, 3600,
    "how long a download link of an export works after it was handed out (the API's "
    "download_url); a new link is handed out at every read",
    JOBS,
)  # fmt: skip
EXPORT_KEEP_DAYS = declare(
    "ANCHORBOARD_EXPORT_KEEP_DAYS", NUMBER, 7.0,
    "how long a finished export's file is kept; then it is deleted and the exports page "
    "offers to export again",
    JOBS,
)  # fmt: skip
EXPORT_USER_CONCURRENCY = declare(
    "ANCHORBOARD_EXPORT_USER_CONCURRENCY", WHOLE, 3,
    "exports one person may have queued or running at once, across all boards; one more is "
    "refused with \"You already have N exports running\"",
    JOBS,
)  # fmt: skip
EXPORT_TIME_LIMIT_SECONDS = declare(
    "ANCHORBOARD_EXPORT_TIME_LIMIT_SECONDS", WHOLE, 3600,
    "how long one run of an export may take; past it the run stops, its partial files are "
    "deleted and the export fails with `export_timed_out`",
    JOBS,
)  # fmt: skip
BATCH_MAX_JOBS = declare(
    "ANCHORBOARD_BATCH_MAX_JOBS", WHOLE, 2000,
    "the most jobs one batch may expand into (values × anchor sets × seeds × engines × targets)",
    JOBS,
)  # fmt: skip
ENGINE_PRICES = declare(
    "ANCHORBOARD_ENGINE_PRICES", PAIRS, {},
    "price table for batch estimates: `engine-or-provider=0.039 USD/image` or `…=0.02 USD/mp` "
    "pairs (a dict in settings); no price = the estimate says unknown",
    JOBS, shown_default="none",
)  # fmt: skip
BATCH_DEFAULT_JOB_SECONDS = declare(
    "ANCHORBOARD_BATCH_DEFAULT_JOB_SECONDS", NUMBER, 30.0,
    "seconds per job a batch estimate assumes for an engine with no finished jobs yet", JOBS,
)  # fmt: skip
PILOT_STAGE_DEADLINE_SECONDS = declare(
    "ANCHORBOARD_PILOT_STAGE_DEADLINE_SECONDS", NUMBER, 1800.0,
    "how long one test of a pilot run (consistency, latency, export) may take; past it the "
    "test's unfinished jobs and exports are cancelled, its report says what had not "
    "answered, its verdict is ideation and the next test starts",
    JOBS,
)  # fmt: skip
