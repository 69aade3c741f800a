"""What a claim reads from the queue: the first job of each lane, not the queue itself.

A claim chooses the highest priority with claimable work, then a person, then one of that
person's lanes (each batch, and their jobs outside one), then that lane's first job
(docs/jobs.md "Claiming"). Every one of those choices needs only the *head* of each
(priority, person, lane, engine): the caps hold a person by kind, an engine and its
provider, never one job more than another of the same group. So the database picks the
heads (``ROW_NUMBER() OVER (PARTITION BY …)``) and a claim reads a handful of rows where it
used to read up to ``CLAIM_WINDOW`` whole queued rows into Python and filter them there
(bench/README.md, "jobs_bench.py": the claim).

The heads come from a window of the queue — its first ``CLAIM_WINDOW`` due jobs in claim
order — from which what the caps already block is left out in SQL (``Caps.blocked_people``,
``Caps.blocked_engines``),
so a provider at its limit with a thousand queued jobs no longer hides the work of other
providers behind it. ``Caps.allows`` still judges each head (an engine no longer
registered is only known to it). This module reads; canvas.jobs.queue decides and claims.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

from canvas.jobs.claim_caps import Caps
from canvas.models import Batch, BatchState, Board
from canvas.models.jobs import Job, JobPriority, JobState

# How many queued jobs (the claimable ones, in claim order) the heads are taken from; work
# beyond it waits for a later claim.
CLAIM_WINDOW = 500
HEAD_FIELDS = ("id", "created_by_id", "engine", "priority", "position", "batch_id")


def due(now: datetime) -> QuerySet[Job]:
    """Queued jobs a claim may consider: due, on a board whose queue runs, not in a paused
    batch (``heads`` says the same in SQL)."""
    return (
        Job.objects.filter(state=JobState.QUEUED, board__queue_paused=False)
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .filter(Q(batch__isnull=True) | Q(batch__state=BatchState.RUNNING))
    )


def heads(now: datetime, caps: Caps) -> list[dict[str, Any]]:
    """The first due job of each (priority, person, batch, engine) in the window, that the
    caps allow, in claim order (highest priority, then position).

    Written as SQL rather than built by the ORM: building this query (a window function
    filtered in an outer query) cost Django more CPU per claim than reading the 500 rows
    it replaces; the text below is the same on SQLite and PostgreSQL.
    """
    sql, params = _heads_sql(now, caps)
    key, lane = Job._meta.pk, Job._meta.get_field("batch").target_field
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = [
            {
                "id": key.to_python(job_id),
                "created_by_id": person,
                "engine": engine,
                "priority": priority,
                "position": position,
                "batch_id": lane.to_python(batch) if batch is not None else None,
            }
            for job_id, person, engine, priority, position, batch in cursor.fetchall()
        ]
    return [row for row in rows if caps.allows(row)]


def _heads_sql(now: datetime, caps: Caps) -> tuple[str, list[Any]]:
    quote = connection.ops.quote_name

    def column(model: Any, name: str) -> str:
        return quote(model._meta.get_field(name).column)

    job, board, batch = (quote(m._meta.db_table) for m in (Job, Board, Batch))
    state, priority, person = (column(Job, n) for n in ("state", "priority", "created_by"))
    not_before, batch_id, engine = (column(Job, n) for n in ("not_before", "batch", "engine"))
    where = [
        f"j.{state} = %s",
        f"b.{column(Board, 'queue_paused')} = %s",
        f"(j.{not_before} IS NULL OR j.{not_before} <= %s)",
        f"(j.{batch_id} IS NULL OR t.{column(Batch, 'state')} = %s)",
    ]
    params: list[Any] = [
        JobState.QUEUED.value,
        False,
        connection.ops.adapt_datetimefield_value(now),
        BatchState.RUNNING.value,
    ]
    # What the caps block now is left out of the window (``Caps.allows`` judges the rest).
    for bulk, kind in ((False, ">"), (True, "<=")):
        people = caps.blocked_people(bulk)
        if people:
            marks = ", ".join(["%s"] * len(people))
            where.append(
                f"(j.{person} IS NULL OR NOT (j.{person} IN ({marks}) AND j.{priority} {kind} %s))"
            )
            params += [*people, int(JobPriority.BULK)]
    engines = caps.blocked_engines()
    if engines:
        where.append(f"j.{engine} NOT IN ({', '.join(['%s'] * len(engines))})")
        params += engines
    fields = ", ".join(f"j.{column(Job, n)} AS {quote(n)}" for n in (*HEAD_FIELDS, "queued_at"))
    names = ", ".join(quote(n) for n in HEAD_FIELDS)
    order = f"{quote('priority')} DESC, {quote('position')}, {quote('queued_at')}"
    partition = ", ".join(quote(n) for n in ("priority", "created_by_id", "batch_id", "engine"))
    # Only quoted names from the models and placeholders are put into the text.
    window = (
        f"SELECT {fields} FROM {job} j "  # noqa: S608
        f"INNER JOIN {board} b ON b.{column(Board, 'id')} = j.{column(Job, 'board')} "
        f"LEFT OUTER JOIN {batch} t ON t.{column(Batch, 'id')} = j.{batch_id} "
        f"WHERE {' AND '.join(where)} ORDER BY j.{priority} DESC, "
        f"j.{column(Job, 'position')}, j.{column(Job, 'queued_at')} "
        "LIMIT %s"
    )
    params.append(CLAIM_WINDOW)
    sql = (
        f"SELECT {names} FROM (SELECT {names}, {quote('queued_at')}, ROW_NUMBER() OVER ("  # noqa: S608
        f"PARTITION BY {partition} ORDER BY {quote('position')}, {quote('queued_at')}) AS head "
        f"FROM ({window}) w) h WHERE head = 1 ORDER BY {order}"
    )
    return sql, params
