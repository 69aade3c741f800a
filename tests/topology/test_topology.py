"""Two web servers, two Celery workers: a job submitted on A is watched from B, and its
results live in S3 and are served by both servers."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from tests.topology.client import BoardClient
from tests.topology.conftest import url
from tests.topology.harness import BUCKET

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(600)]


async def _client(web, seed) -> BoardClient:
    client = BoardClient(url(web), seed["board"])
    await client.login(seed["username"], seed["password"])
    await client.open()
    return client


async def test_progress_and_results_reach_both_servers_and_files_come_from_s3(topo):
    seed = topo.seed("alice")
    web_a, web_b = topo.webs
    a = await _client(web_a, seed)
    b = await _client(web_b, seed)
    try:
        jobs = [await a.submit(seed["region"], seed=100 + n, count=2) for n in range(4)]
        ids = [job["id"] for job in jobs]

        def done(client):
            def check():
                results = [i for i in client.iterations.values() if i["job"] in ids]
                return client.finished(ids) and len(results) == 8

            return check

        await b.wait_for(done(b), 120, "B to see every job succeed with its results")
        await a.wait_for(done(a), 30, "A to see every job succeed with its results")
        # B watched each job move, not only its end: progress came from the workers
        # through Redis to the server B's socket is on.
        for job_id in ids:
            assert len(b.running_progress.get(job_id, ())) >= 2, b.running_progress
        assert {i for i in a.iterations if a.iterations[i]["job"] in ids} == {
            i for i in b.iterations if b.iterations[i]["job"] in ids
        }

        s3 = topo.s3()
        for iteration in [i for i in b.iterations.values() if i["job"] in ids]:
            [(sha, key)] = topo.sql(
                "SELECT b.sha256, b.storage_key FROM assets_asset a "
                "JOIN assets_blob b ON b.sha256 = a.blob_id WHERE a.id = %s",
                (iteration["asset"],),
            )
            stored = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
            assert hashlib.sha256(stored).hexdigest() == sha
            path = f"/files/{iteration['asset']}/{sha}/original"
            assert await a.file_bytes(path) == stored
            assert await b.file_bytes(path) == stored
            # Private objects: only the owner has a grant, nobody reads them anonymously.
            grants = s3.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
            assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]
            assert all(g["Grantee"].get("Type") == "CanonicalUser" for g in grants)
            # A stranger (no session) gets the same 404 as for a file that does not exist.
            anonymous = httpx.get(url(web_b) + path)
            assert anonymous.status_code == 404, anonymous.status_code

        # The jobs ran on the Celery workers, not in the web servers.
        owners = {
            row[0].split(":")[1]
            for row in topo.sql(
                "SELECT worker_id FROM canvas_job WHERE id = ANY(%s::uuid[])", (ids,)
            )
        }
        assert owners <= {str(w.pid) for w in topo.workers}, owners

        for web in topo.webs:
            ready = httpx.get(url(web) + "/readyz", timeout=10)
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"]["celery_broker"] == "ok"
    finally:
        await a.close()
        await b.close()
