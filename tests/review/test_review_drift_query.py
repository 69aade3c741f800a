"""The review list's drift query: ``?drift=drifted|consistent|unscored`` filters by each
candidate's latest check, ``?sort=drift`` puts the least consistent first; what the review
grid asks for (docs/api.md)."""

from __future__ import annotations

import pytest

from tests.review.conftest import api, make_candidate, member_client

pytestmark = pytest.mark.django_db


def listed(people, query: str) -> list[dict]:
    response = api(
        member_client(people["viewer"]), "GET", f"/boards/{people['board'].pk}/review{query}"
    )
    assert response.status_code == 200, response.json()
    return [c for g in response.json()["groups"] for c in g["candidates"]]


def test_drift_filters_and_sort(people, drift_scored):
    ok, bad = drift_scored
    unscored = make_candidate(people["board"], people["owner"])
    drifted = {str(it.pk) for it in bad.values()}

    assert {c["id"] for c in listed(people, "?drift=drifted")} == drifted
    assert {c["id"] for c in listed(people, "?drift=consistent")} == {str(it.pk) for it in ok}
    assert [c["id"] for c in listed(people, "?drift=unscored")] == [str(unscored.pk)]
    assert len(listed(people, "")) == len(ok) + len(bad) + 1

    # Least consistent first: the drifted ones (worst score first), then the consistent
    # ones by their lowest score; the unscored candidate's own job comes last.
    ranked = listed(people, "?sort=drift")
    assert {c["id"] for c in ranked[: len(drifted)]} == drifted
    worst = [min(c["consistency"]["scores"].values()) for c in ranked if c["consistency"]]
    drifted_worst = worst[: len(drifted)]
    assert drifted_worst == sorted(drifted_worst)
    assert worst[len(drifted) :] == sorted(worst[len(drifted) :])
    assert ranked[-1]["id"] == str(unscored.pk)

    both = listed(people, "?drift=drifted&sort=drift")
    assert [c["id"] for c in both] == [c["id"] for c in ranked[: len(drifted)]]


def test_drift_combines_with_the_other_filters(people, drift_scored):
    _ok, bad = drift_scored
    from canvas.permissions import Principal
    from canvas.review import decisions

    lighting = bad["lighting"]
    decisions.set_decision(lighting, Principal(user=people["owner"]), status="approved")
    assert [c["id"] for c in listed(people, "?drift=drifted&status=approved")] == [str(lighting.pk)]


@pytest.mark.parametrize("query", ["?drift=maybe", "?sort=rating"])
def test_unknown_values_are_refused(people, query):
    response = api(
        member_client(people["viewer"]), "GET", f"/boards/{people['board'].pk}/review{query}"
    )
    assert response.status_code in (400, 422)
    assert response.json()["error"]["code"]
