"""The commands: ``login``, ``boards``, ``upload``, ``export``,
``batch run|status|results|pause|resume|cancel``, ``pilot run|show|cancel``.

Exit codes: 0 done; 1 the server refused or a followed batch did not fully succeed (failed
or cancelled jobs); 2 a usage error or a spec file that cannot be read. Errors go to stderr
as one sentence, the API's own message included (docs/api.md "Errors").
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from anchorboard.cli import config, exports, results
from anchorboard.cli.client import ApiError, Client
from anchorboard.cli.specs import SpecError, load_spec

app = typer.Typer(help="Drive an Anchorboard server from scripts.", no_args_is_help=True)
batch_app = typer.Typer(help="Run and follow batches (docs/batches.md).", no_args_is_help=True)
app.add_typer(batch_app, name="batch")
pilot_app = typer.Typer(help="Pilot a provider: three tests (docs/pilot.md).", no_args_is_help=True)
app.add_typer(pilot_app, name="pilot")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

FINAL_STATES = ("completed", "cancelled")

Server = Annotated[
    str | None, typer.Option("--server", envvar="ANCHORBOARD_SERVER", help="Server URL.")
]
Token = Annotated[
    str | None, typer.Option("--token", envvar="ANCHORBOARD_TOKEN", help="API token (ab_…).")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the API's JSON answer.")]

# Tests swap in an httpx transport (httpx.MockTransport) here.
make_client: Callable[[str, str], Client] = Client


def fail(message: str, code: int = 1) -> typer.Exit:
    # One line however narrow the terminal: scripts grep stderr for the API's code.
    err.print(f"Error: {message}", markup=False, soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def connected(server: str | None, token: str | None) -> Iterator[Client]:
    """A client for the configured server; config and API errors end the command."""
    try:
        creds = config.load(server, token)
    except config.ConfigError as exc:
        raise fail(str(exc)) from exc
    try:
        with make_client(creds.server, creds.token) as client:
            yield client
    except ApiError as exc:
        raise fail(str(exc)) from exc


def print_json(data: Any) -> None:
    out.print_json(json.dumps(data))


@app.command()
def login(
    server: Annotated[str, typer.Option("--server", help="Server URL, e.g. https://ab.example")],
    token: Annotated[str, typer.Option("--token", help="An API token (POST /api/v1/auth/token).")],
) -> None:
    """Check the token against the server and store both (mode 0600)."""
    server = config.normalise_server(server)
    try:
        with make_client(server, token) as client:
            client.get("/boards", page_size=1)
    except ApiError as exc:
        raise fail(f"login refused by {server}: {exc}") from exc
    path = config.save(server, token)
    out.print(f"Logged in to {server} (saved in {path}).", markup=False)


@app.command()
def boards(server: Server = None, token: Token = None, as_json: AsJson = False) -> None:
    """List the boards you can see."""
    with connected(server, token) as client:
        rows = client.pages("/boards")
    if as_json:
        print_json(rows)
        return
    for row in rows:
        out.print(
            f"{row['id']}  {row['role']:<8}  {row['team']['name']} / {row['name']}", markup=False
        )
    if not rows:
        out.print("No boards.")


@app.command()
def upload(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, readable=True)],
    board: Annotated[str, typer.Option("--board", help="Board id.")],
    server: Server = None,
    token: Token = None,
    as_json: AsJson = False,
) -> None:
    """Upload image files to a board (POST /boards/{id}/assets)."""
    with connected(server, token) as client:
        handles = [path.open("rb") for path in files]
        try:
            body = client.request(
                "POST",
                f"/boards/{board}/assets",
                files=[("file", (path.name, fh)) for path, fh in zip(files, handles, strict=True)],
            )
        finally:
            for fh in handles:
                fh.close()
    if as_json:
        print_json(body)
        return
    for item in body.get("items", []):
        out.print(f"uploaded {item.get('id')}", markup=False)
    for problem in body.get("errors", []):
        err.print(f"not uploaded: {problem}", markup=False)
    if body.get("errors"):
        raise typer.Exit(1)


def download_bar() -> Progress:
    """Bytes written, total, speed: one bar per file, on stderr."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=err,
    )


@app.command("export")
def export(
    board: Annotated[str, typer.Option("--board", help="Board id.")],
    kind: Annotated[str, typer.Option("--kind", help="psd, png, tiff16, zip or pdf.")],
    frame: Annotated[str | None, typer.Option("--frame", help="A frame's item id.")] = None,
    items: Annotated[
        list[str] | None, typer.Option("--item", help="An image item's id (repeatable).")
    ] = None,
    batch: Annotated[
        str | None,
        typer.Option("--batch", help="A batch id: its approved results (--option results=all)."),
    ] = None,
    job: Annotated[
        str | None,
        typer.Option("--job", help="A job id: its region's history as a layered PSD (--kind psd)."),
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option("--option", help="name=value, e.g. scale=0.5 or template={seed}."),
    ] = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="A folder (the export's file name) or a file.")
    ] = Path("."),
    download: Annotated[
        bool, typer.Option("--download/--no-download", help="Save the file when ready.")
    ] = True,
    interval: Annotated[float, typer.Option(help="Seconds between polls.", min=0.1)] = 1.0,
    server: Server = None,
    token: Token = None,
    as_json: AsJson = False,
) -> None:
    """Export a frame, items, a batch or a job's region history (POST /boards/{id}/exports),
    follow it, download."""
    try:
        options = exports.parse_options(option or [])
    except exports.OptionError as exc:
        raise fail(str(exc), code=2) from exc
    body = exports.export_request(
        kind, frame=frame, items=items or [], batch=batch, job=job, options=options
    )
    with connected(server, token) as client:
        export_id = client.post(f"/boards/{board}/exports", body)["export"]
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}% {task.fields[detail]}"),
            TimeElapsedColumn(),
            console=err,
        ) as bar:
            task = bar.add_task(f"export {kind}", total=1.0, detail="")

            def show(state: dict[str, Any]) -> None:
                bar.update(
                    task,
                    completed=1.0 if state["state"] == "ready" else state["progress"],
                    description=f"export {kind} [{state['state']}]",
                    detail=state.get("progress_message") or "",
                )

            state = exports.wait_for_export(client, export_id, interval, show)
        saved = None
        if state["state"] == "ready" and download and state.get("download_url"):
            target = output / state["file_name"] if output.is_dir() else output
            with download_bar() as bar:
                task = bar.add_task(state["file_name"], total=state.get("size"))
                client.download(
                    state["download_url"],
                    target,
                    api=False,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
            saved = target
    if as_json:
        print_json({**state, "saved_to": str(saved) if saved else None})
    elif state["state"] == "ready":
        where = f", saved to {saved}" if saved else ""
        out.print(
            f"Export {state['id']} ready: {state['file_name']} ({state['size']} bytes){where}",
            markup=False,
        )
    if state["state"] != "ready":
        error = state.get("error") or {}
        raise fail(f"export {state['id']} failed: {error.get('code')}: {error.get('message')}")


def print_summary(summary: dict[str, Any]) -> None:
    """The expansion a dry run or a start answers: counts, engines with estimates, refusals."""
    head = "Dry run" if summary.get("dry_run") else f"Batch {summary.get('batch')}"
    out.print(
        f"{head}: {summary['name']} — {summary['jobs']} jobs, {summary['accepted']} accepted, "
        f"{summary['refused']} refused (seed {summary.get('seed')})",
        markup=False,
    )
    for row in summary.get("engines", []):
        cost = row.get("cost")
        price = f"{cost['amount']} {cost['currency']}" if isinstance(cost, dict) else "cost unknown"
        out.print(
            f"  {row['engine']}: {row['jobs']} jobs, {price}, ~{row.get('seconds')} s "
            f"({row.get('seconds_per_job')} s/job, {row.get('time_basis')}, "
            f"{row.get('parallel')} at a time)",
            markup=False,
        )
    for refusal in summary.get("refusals", []):
        out.print(
            f"  refused {refusal['jobs']}: {refusal['code']} — {refusal['message']}", markup=False
        )
    for job in summary.get("first_jobs", []) if summary.get("dry_run") else []:
        out.print(
            f"  #{job['index']} {job['engine']} seed {job['seed']}: {job['prompt']}", markup=False
        )


def follow(client: Client, batch_id: str, interval: float) -> dict[str, Any]:
    """Poll GET /batches/{id} with a progress bar until the batch is completed or cancelled."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err) as bar:
        task = bar.add_task("batch", total=None, detail="")
        while True:
            state = client.get(f"/batches/{batch_id}")
            counts = state["counts"]
            ended = counts["succeeded"] + counts["failed"] + counts["cancelled"]
            eta = state.get("eta_seconds")
            detail = (
                f"{counts['failed']} failed, {counts['running']} running, "
                f"{counts['queued']} queued" + (f", ETA {eta:.0f} s" if eta else "")
            )
            bar.update(
                task,
                total=state["jobs"],
                completed=ended,
                detail=detail,
                description=f"{state['name']} [{state['state']}]",
            )
            if state["state"] in FINAL_STATES:
                return state
            time.sleep(interval)


def print_state(state: dict[str, Any]) -> None:
    counts = state["counts"]
    eta = state.get("eta_seconds")
    out.print(
        f"{state['id']}  {state['name']}  {state['state']}: {counts['succeeded']} succeeded, "
        f"{counts['failed']} failed, {counts['cancelled']} cancelled, {counts['running']} "
        f"running, {counts['queued']} queued of {state['jobs']}"
        + (f" (ETA {eta:.0f} s)" if eta else ""),
        markup=False,
    )


def all_succeeded(state: dict[str, Any]) -> bool:
    counts = state["counts"]
    return state["state"] == "completed" and counts["succeeded"] == state["jobs"]


@batch_app.command("run")
def batch_run(
    spec: Annotated[Path, typer.Argument(help="The batch spec, YAML or JSON.")],
    board: Annotated[str, typer.Option("--board", help="Board id.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the expansion only.")] = False,
    follow_: Annotated[
        bool, typer.Option("--follow", help="Show progress until the batch ends.")
    ] = False,
    interval: Annotated[float, typer.Option(help="Seconds between polls.", min=0.1)] = 2.0,
    server: Server = None,
    token: Token = None,
    as_json: AsJson = False,
) -> None:
    """Post a batch spec to a board: preview it (--dry-run) or start it (and --follow it)."""
    try:
        body = load_spec(spec)
    except SpecError as exc:
        raise fail(str(exc), code=2) from exc
    with connected(server, token) as client:
        params = {"dry_run": 1} if dry_run else {}
        summary = client.post(f"/boards/{board}/batches", body, **params)
        if as_json:
            print_json(summary)
        else:
            print_summary(summary)
        if dry_run or not follow_:
            return
        state = follow(client, summary["batch"], interval)
    if as_json:
        print_json(state)
    else:
        print_state(state)
    if not all_succeeded(state):
        raise typer.Exit(1)


@batch_app.command("status")
def batch_status(
    batch_id: Annotated[str, typer.Argument(help="Batch id.")],
    server: Server = None,
    token: Token = None,
    as_json: AsJson = False,
) -> None:
    """A batch's state and counts (GET /batches/{id})."""
    with connected(server, token) as client:
        state = client.get(f"/batches/{batch_id}")
    if as_json:
        print_json(state)
    else:
        print_state(state)


class ResultsFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def print_results_table(rows: list[dict[str, Any]]) -> None:
    table = Table(show_edge=False, pad_edge=False, highlight=False)
    _, names, metrics = results.columns(rows)
    for title in ("result", "job", "seed", *names, "decision", "drift", *metrics):
        table.add_column(title, overflow="fold")
    for row in rows:
        line = results.flat(row, names, metrics)
        table.add_row(
            line["result"][:8],
            line["job"][:8],
            str(line["seed"]),
            *(str(line[f"var:{n}"]) for n in names),
            str(line["decision"]),
            "drifted" if line["drift"] else "-",
            *(str(line[f"score:{m}"]) for m in metrics),
        )
    out.print(table)
    out.print(f"{len(rows)} results", markup=False)


@batch_app.command("results")
def batch_results(
    batch_id: Annotated[str, typer.Argument(help="Batch id.")],
    var: Annotated[
        list[str] | None,
        typer.Option("--var", help="name:value (repeatable; values of one name are OR)."),
    ] = None,
    decision: Annotated[
        str | None,
        typer.Option(help="approved, rejected, needs_changes or undecided."),
    ] = None,
    drift: Annotated[
        bool | None, typer.Option("--drift/--no-drift", help="Only drifted / not drifted.")
    ] = None,
    fmt: Annotated[ResultsFormat, typer.Option("--format", help="Output.")] = ResultsFormat.table,
    download: Annotated[
        Path | None,
        typer.Option("--download", help="Save each result's original file in this folder."),
    ] = None,
    server: Server = None,
    token: Token = None,
    as_json: AsJson = False,
) -> None:
    """A batch's results with their values, decision and drift (GET /batches/{id}/results)."""
    filters = {
        "var": var or None,
        "decision": decision,
        "drift": None if drift is None else str(drift).lower(),
    }
    with connected(server, token) as client:
        rows = client.pages(f"/batches/{batch_id}/results", **filters)
        if download is not None:
            save_results(client, rows, download)
    if as_json or fmt is ResultsFormat.json:
        print_json(rows)
    elif fmt is ResultsFormat.csv:
        sys.stdout.write(results.to_csv(rows))  # plain text: no console wrapping
    else:
        print_results_table(rows)


def save_results(client: Client, rows: list[dict[str, Any]], folder: Path) -> None:
    """Each result's original in ``folder``, named by position, values, seed and id."""
    folder.mkdir(parents=True, exist_ok=True)
    with Progress(TextColumn("downloading"), BarColumn(), MofNCompleteColumn(), console=err) as bar:
        task = bar.add_task("files", total=len(rows))
        for position, row in enumerate(rows, start=1):
            stem = folder / results.file_stem(row, position)
            _, content_type = client.download(f"/assets/{row['asset']}/file", stem)
            stem.replace(stem.with_name(f"{stem.name}.{results.extension(content_type)}"))
            bar.advance(task)
    err.print(f"saved {len(rows)} files in {folder}", markup=False)


def _steer(action: str, batch_id: str, server: str | None, token: str | None) -> None:
    with connected(server, token) as client:
        print_state(client.post(f"/batches/{batch_id}/{action}"))


@batch_app.command("pause")
def batch_pause(batch_id: str, server: Server = None, token: Token = None) -> None:
    """Stop claiming the batch's queued jobs (running ones finish)."""
    _steer("pause", batch_id, server, token)


@batch_app.command("resume")
def batch_resume(batch_id: str, server: Server = None, token: Token = None) -> None:
    """Let a paused batch's jobs be claimed again."""
    _steer("resume", batch_id, server, token)


@batch_app.command("cancel")
def batch_cancel(batch_id: str, server: Server = None, token: Token = None) -> None:
    """Cancel the queued jobs and ask the running ones to stop."""
    _steer("cancel", batch_id, server, token)


PILOT_ENDED = ("succeeded", "failed", "cancelled")


def follow_pilot(client: Client, run_id: str, interval: float) -> dict[str, Any]:
    """Poll GET /pilots/{id} with a progress bar until the run has ended."""
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err) as bar:
        task = bar.add_task("pilot", total=1.0)
        while True:
            state = client.get(f"/pilots/{run_id}")
            text = f"{state['engine']}: {state['progress_message'] or state['state']}"
            bar.update(task, completed=state["progress"], description=text)
            if state["state"] in PILOT_ENDED:
                return state
            time.sleep(interval)


def print_pilot(state: dict[str, Any]) -> None:
    """The run's verdict and each test's, with the reason and the numbers that decided."""
    verdict = state.get("verdict") or "not yet"
    out.print(
        f"{state['id']}  {state['engine']} on {state['board_name']}  {state['state']}: {verdict}",
        markup=False,
    )
    if state.get("reason"):
        out.print(f"  {state['reason']}", markup=False)
    for name, test in (state.get("report") or {}).get("tests", {}).items():
        out.print(
            f"  {name}: {test.get('verdict') or test.get('status')} — {test.get('reason')}",
            markup=False,
        )


@pilot_app.command("run")
def pilot_run(
    board: Annotated[str, typer.Option("--board", help="Board id (with anchors).")],
    engine: Annotated[str, typer.Option("--engine", help="The engine under test.")],
    jobs: Annotated[int, typer.Option("--jobs", help="Latency test: N jobs.")] = 20,
    concurrency: Annotated[int, typer.Option("--concurrency", help="At most C at once.")] = 4,
    burst: Annotated[bool, typer.Option("--burst", help="Submit all N at once (peak).")] = False,
    prompt: Annotated[str | None, typer.Option("--prompt", help="The jobs' prompt.")] = None,
    follow_: Annotated[bool, typer.Option("--follow", help="Show progress until it ends.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between polls.", min=0.1)] = 2.0,
    server: Server = None,
    token: Token = None,
    as_json: AsJson = False,
) -> None:
    """Start a pilot run (and --follow it). Exit 1 when a followed run is not production."""
    body: dict[str, Any] = {
        "board": board,
        "engine": engine,
        "jobs": jobs,
        "concurrency": concurrency,
        "burst": burst,
    }
    if prompt is not None:
        body["prompt"] = prompt
    with connected(server, token) as client:
        state = client.post("/pilots", body)
        if follow_:
            state = follow_pilot(client, state["id"], interval)
    if as_json:
        print_json(state)
    elif follow_:
        print_pilot(state)
    else:
        out.print(f"{state['id']}  {state['state']}", markup=False)
    if follow_ and state.get("verdict") != "production":
        raise typer.Exit(1)


@pilot_app.command("show")
def pilot_show(
    run_id: str, server: Server = None, token: Token = None, as_json: AsJson = False
) -> None:
    """A run's state, verdicts and reasons (--json: the whole report)."""
    with connected(server, token) as client:
        state = client.get(f"/pilots/{run_id}")
    if as_json:
        print_json(state)
    else:
        print_pilot(state)


@pilot_app.command("cancel")
def pilot_cancel(run_id: str, server: Server = None, token: Token = None) -> None:
    """Cancel a run: its jobs and exports stop; the tests that ended keep their report."""
    with connected(server, token) as client:
        print_pilot(client.post(f"/pilots/{run_id}/cancel"))


def run() -> None:
    app(prog_name="anchorboard")
