from django.apps import AppConfig


class CanvasConfig(AppConfig):
    name = "canvas"
    verbose_name = "Canvas"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connects the signals that close board sockets when someone's access is removed.
        # The board socket's handlers join canvas.boardsocket.routes' table: sync, ops,
        # presence and ping (consumer) and the job requests (job_requests; the consumer
        # reads the table and does not import them: no import cycle). Both are imported here
        # so the table is complete in every process, whether or not routing was imported.
        from canvas import realtime  # noqa: F401

        # Registers the atlas rebuild task (a board's sheets of tiny thumbnails).
        from canvas.atlas import tasks as atlas_tasks  # noqa: F401

        # A batch hears its jobs change (counts, live progress, batch.completed).
        from canvas.batches import runs  # noqa: F401

        # A video job's clip lands on its board as a video item.
        from canvas.boards import video_items  # noqa: F401
        from canvas.boardsocket import consumer, job_requests  # noqa: F401

        # Remote provider engines register with the engine registry on its first read.
        from canvas.engines import providers  # noqa: F401

        # Scores job results against the board's anchors when they land.
        from canvas.governance import tasks as governance_tasks  # noqa: F401

        # Registers the job queue's background tasks with foundation.background.
        from canvas.jobs import tasks  # noqa: F401

        # A new asset makes the first one its board's cover and touches the board.
        from canvas.library import boards  # noqa: F401

        # Review acts on drift flags as results are scored: tells the board, triages.
        from canvas.review import drift  # noqa: F401
