"""The report's overall verdict: production only when every test says so; null while a
test is still to come; the tests that held it back are named."""

from __future__ import annotations

from canvas.pilot import report


def _done(name, verdict):
    test = report.pending_test(name)
    test.update(status="done", verdict=verdict, reason="…")
    return test


def test_overall_waits_for_every_test():
    tests = {"consistency": _done("consistency", "production")}
    assert report.overall(tests) == (None, "The pilot is still running.")


def test_overall_is_production_only_when_all_three_are():
    tests = {n: _done(n, "production") for n in report.TEST_NAMES}
    assert report.overall(tests)[0] == "production"
    tests["latency"] = _done("latency", "ideation")
    tests["export"] = report.not_run("export", "cancelled", "The run was cancelled.")
    verdict, reason = report.overall(tests)
    assert verdict == "ideation"
    assert "latency, export" in reason and "consistency" not in reason
