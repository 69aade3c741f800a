"""The commands: ``login``, ``boards``, ``upload``, ``batch run|status|pause|resume|cancel``.

Exit codes: 0 done; 1 the server refused or a followed batch did not fully succeed (failed
or cancelled jobs); 2 a usage error or a spec file that cannot be read. Errors go to stderr
as one sentence, the API's own message included (docs/api.md "Errors").
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from anchorboard.cli import config
from anchorboard.cli.client import ApiError, Client
from anchorboard.cli.specs import SpecError, load_spec

app = typer.Typer(help="Drive an Anchorboard server from scripts.", no_args_is_help=True)
batch_app = typer.Typer(help="Run and follow batches (docs/batches.md).", no_args_is_help=True)
app.add_typer(batch_app, name="batch")

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
    err.print(f"Error: {message}", markup=False)
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


def run() -> None:
    app(prog_name="anchorboard")
