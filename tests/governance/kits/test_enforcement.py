"""A board's brand kit on every job: template, defaults, references, locks, provenance."""

from __future__ import annotations

import pytest

from canvas.boards import iterations
from canvas.engines import registry
from canvas.engines.providers import provider_modules
from canvas.engines.registry import available_engines
from canvas.governance.kits import services
from canvas.governance.kits.enforcement import KitLocked, KitVariableMissing, engine_label
from canvas.jobs import queue, runner
from canvas.models import Iteration, Job
from tests.governance.kits.conftest import SPRING, add_petal
from tests.jobs import engines as test_engines
from tests.jobs.conftest import REGION, add_image


def _provider_engines() -> dict[str, type]:
    """Every hosted provider's engines as they register once configured (an API key set);
    ComfyUI and A1111 engines come from the server's own workflows, so none here."""
    found: dict[str, type] = {}
    for module in provider_modules():
        configured = module.is_configured
        module.is_configured = lambda: True
        try:
            classes = module.configured_engines()
        finally:
            module.is_configured = configured
        for cls in classes:
            found[getattr(cls, "engine_name", "") or cls.name] = cls
    return found


PROVIDERS = _provider_engines()
ENGINES = sorted({*available_engines(), *PROVIDERS})


@pytest.fixture(autouse=True)
def _providers_registered(monkeypatch):
    for name, cls in PROVIDERS.items():
        monkeypatch.setitem(registry._ENGINES, name, cls)


@pytest.fixture
def kit_board(kit_team):
    """The team's board with an image under REGION."""
    add_image(kit_team.board, kit_team.people["admin"])
    return kit_team.board


def make_kit(kit_team, board=None, **content):
    kit = services.create_kit(kit_team.team, kit_team.people["kit_manager"], "Spring", content)
    if board is not None:
        services.set_board_kit(board, kit)
    return kit


def spec(**fields):
    return {"mode": "img2img", "region": REGION, "seed": 7, **fields}


def normalise(board, **fields):
    return queue.normalise_spec(board, spec(**fields))


def test_engines_are_registered():
    assert {"local", "test-echo", "gemini-3-pro-image-preview"} <= set(ENGINES)
    assert engine_label("gemini-3-pro-image-preview") == "Nano Banana Pro (Gemini 3 Pro Image)"


@pytest.mark.parametrize("engine", ENGINES)
def test_every_engine_can_be_locked(kit_team, kit_board, engine):
    make_kit(
        kit_team,
        kit_board,
        engine=engine,
        settings={"strength": 0.4, "scale": 4, "params": {"guidance": 3}},
        locks=["engine", "strength", "scale", "params"],
    )
    other = next(name for name in ENGINES if name != engine)
    with pytest.raises(KitLocked) as refused:
        normalise(kit_board, engine=other)
    assert refused.value.message == (
        f"This board's brand kit “Spring” locks the engine to {engine_label(engine)}; "
        "ask a kit manager to unlock it."
    )
    for changed, says in (
        ({"strength": 0.7}, "locks the strength to 0.4"),
        ({"scale": 2}, "locks the upscale factor to 4"),
        ({"params": {"guidance": 9}}, "locks the engine settings"),
        ({"params": {"steps": 50}}, "locks the engine settings"),
    ):
        with pytest.raises(KitLocked, match=says):
            normalise(kit_board, engine=engine, **changed)
    # Saying nothing, or the same values, passes: the kit's values are used.
    kept = normalise(kit_board, engine=engine, strength=0.4, params={"guidance": 3})
    assert (kept["engine"], kept["strength"], kept["scale"]) == (engine, 0.4, 4)
    assert kept["params"] == {"guidance": 3}
    assert normalise(kit_board)["engine"] == engine


def test_unlocked_settings_are_defaults_the_job_may_change(kit_team, kit_board):
    make_kit(
        kit_team, kit_board, engine="test-echo", settings={"strength": 0.3, "params": {"a": 1}}
    )
    default = normalise(kit_board)
    assert (default["engine"], default["strength"], default["params"]) == (
        "test-echo",
        0.3,
        {"a": 1},
    )
    own = normalise(kit_board, engine="local", strength=0.8, params={"b": 2})
    assert (own["engine"], own["strength"], own["params"]) == ("local", 0.8, {"a": 1, "b": 2})


def test_the_template_writes_the_prompt_from_the_variables(kit_team, kit_board):
    make_kit(
        kit_team,
        kit_board,
        prompt_template="{product} on a pastel set, {season} light, {style}, {prompt}",
        style_presets=[
            {"name": "Soft", "prompt": "soft focus"},
            {"name": "Crisp", "prompt": "sharp"},
        ],
        locks=["prompt"],
    )
    done = normalise(
        kit_board,
        prompt="low angle",
        variables={"product": "a sneaker", "season": "spring", "style": "crisp"},
    )
    assert done["prompt"] == "a sneaker on a pastel set, spring light, sharp, low angle"
    assert done["variables"]["product"] == "a sneaker"
    first_style = normalise(kit_board, variables={"product": "a bag", "season": "May"})
    assert first_style["prompt"] == "a bag on a pastel set, May light, soft focus"
    with pytest.raises(KitVariableMissing, match=r"fill in \{season\}"):
        normalise(kit_board, variables={"product": "a bag"})
    with pytest.raises(KitVariableMissing, match="its styles: Soft, Crisp"):
        normalise(kit_board, variables={"product": "a", "season": "b", "style": "neon"})


def test_a_locked_template_without_a_slot_refuses_a_prompt_of_its_own(kit_team, kit_board):
    make_kit(kit_team, kit_board, **SPRING)  # "{product} …, {season} light, {prompt}"
    services.edit_kit(
        kit_board.brand_kit, None, changes={"prompt_template": "{product}, {season} light"}
    )
    with pytest.raises(KitLocked) as refused:
        normalise(kit_board, engine="local", prompt="a red car", variables={"product": "x"})
    assert refused.value.message == (
        "This board's brand kit “Spring” locks the prompt to its template (fill in {product} "
        "and {season} instead); ask a kit manager to unlock it."
    )
    # Unlocked, the job's own prompt replaces the template.
    services.edit_kit(kit_board.brand_kit, None, changes={"locks": ["engine"]})
    assert normalise(kit_board, prompt="a red car")["prompt"] == "a red car"


def test_negative_prompt_is_applied_and_can_be_locked(kit_team, kit_board):
    kit = make_kit(kit_team, kit_board, negative_prompt="text, watermark")
    assert normalise(kit_board)["negative_prompt"] == "text, watermark"
    assert (
        normalise(kit_board, negative_prompt="blur")["negative_prompt"] == "text, watermark, blur"
    )
    services.edit_kit(kit, None, changes={"locks": ["negative_prompt"]})
    with pytest.raises(KitLocked, match="locks the negative prompt"):
        normalise(kit_board, negative_prompt="blur")


def test_a_required_anchor_role_must_be_brought(kit_team, kit_board):
    make_kit(kit_team, kit_board, required_roles=["composition"])
    with pytest.raises(KitLocked) as refused:
        normalise(kit_board)
    assert "requires a composition anchor" in refused.value.message
    anchor = add_image(kit_board, kit_team.people["admin"], x=500)
    done = normalise(kit_board, anchors=[{"item_id": str(anchor.pk), "role": "composition"}])
    assert [a["role"] for a in done["anchors"]] == ["composition"]


def test_a_board_without_a_kit_is_unchanged(kit_team, kit_board):
    done = normalise(kit_board, prompt="as typed", variables={"product": "x"})
    assert done["prompt"] == "as typed" and "brand_kit" not in done


def run_next():
    claim = queue.claim_next("w1")
    assert claim is not None
    return runner.execute(claim.job_id, "w1")


def test_references_reach_the_engine_and_provenance_records_the_version(
    kit_team, kit_board, monkeypatch
):
    kit = make_kit(kit_team, kit_board, **{**SPRING, "engine": "test-echo"})
    ref, _ = add_petal(kit_team, kit)
    seen = []
    build = runner.build_request

    def spy(job, source, mask, anchors):
        request = build(job, source, mask, anchors)
        seen.append(request)
        return request

    monkeypatch.setattr(runner, "build_request", spy)
    test_engines.GATE.set()
    editor = kit_team.people["editor"]
    first = queue.submit_job(
        kit_board, editor, spec(prompt="close up", variables={"product": "a shoe", "season": "May"})
    )
    run_next()
    request = seen[0]
    assert request.prompt == "a shoe on a pastel set, May light, close up"
    assert request.negative_prompt == "text, watermark"
    assert [(a.role, a.name, a.image.size) for a in request.anchors] == [
        ("palette", "Spring: petal.png", (20, 20))
    ]
    result = Iteration.objects.get(job=first)
    assert result.provenance["brand_kit"] == {
        "id": str(kit.pk),
        "version": 2,
        "version_id": str(services.latest_version(kit).pk),
        "name": "Spring",
    }
    assert result.provenance["anchors"] == [
        {"kit_reference": str(ref.pk), "blob": ref.blob_id, "role": "palette"}
    ]
    # Editing the kit: the next job uses version 3; the first result keeps version 2.
    services.edit_kit(kit, kit_team.people["admin"], changes={"negative_prompt": "grain"})
    second = queue.submit_job(
        kit_board, editor, spec(variables={"product": "a hat", "season": "June"})
    )
    run_next()
    assert Iteration.objects.get(job=second).provenance["brand_kit"]["version"] == 3
    assert seen[1].negative_prompt == "grain"
    result.refresh_from_db()
    assert result.provenance["brand_kit"]["version"] == 2
    # A retry and a re-run repeat the job as it ran, with its version (not the kit's latest).
    cancelled = queue.submit_job(kit_board, editor, spec(variables={"product": "a", "season": "b"}))
    queue.cancel_job(cancelled)
    services.edit_kit(kit, kit_team.people["admin"], changes={"negative_prompt": "noise"})
    retried = queue.retry_job(Job.objects.get(pk=cancelled.pk), editor)
    assert retried.spec["brand_kit"]["version"] == 3
    assert retried.spec["negative_prompt"] == "grain"
    rerun = iterations.rerun(result, editor)
    assert (rerun.spec["brand_kit"]["version"], rerun.spec["negative_prompt"]) == (
        2,
        "text, watermark",
    )
