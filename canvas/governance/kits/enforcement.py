"""What a board's brand kit does to every job spec, and the locks a job may not break.

canvas.jobs.queue.normalise_spec calls ``apply_kit`` for every submitted job, from the
websocket and from the API alike (the one spec validator), after the spec's shape is
checked and before the engine sees it. On a board with a kit:

- the prompt is the kit's template filled in from the job's ``variables`` (``{prompt}``
  takes the job's own words, ``{style}`` a style preset's text); unlocked, a job's own
  prompt replaces a template that has no ``{prompt}``;
- the kit's negative prompt is applied (the job's own is added unless it is locked);
- the kit's engine and settings (strength, scale, engine params) fill what the job left out;
- the kit's reference images join the job's anchors (``kit_reference`` entries, read from
  their blobs by canvas.jobs.inputs);
- ``spec["brand_kit"]`` records kit id, version and name, and for a video job the kit's
  drift tolerance (``video_drift``) its clips are flagged against (the runner copies it into every
  result's provenance);
- ``spec["engine_locked"]`` is true when the kit locks the engine: the job then never runs
  on a provider fallback engine (canvas.engines.providers.resilience.route_engine), it
  waits for its own.

A job that would break a lock (another engine, a different locked setting, a prompt that
overrides a locked template, a missing required anchor role) raises ``KitLocked`` naming
the kit and the lock. Locks bind everyone who runs jobs; kit managers lift them by editing
the kit (a new version), never per job. Retries and re-runs repeat a job's spec as it was
validated, with the kit version it ran with. An upscale promoted from review
(canvas.review.promotion) is built from the candidate, not from a submitted spec, and passes
the kit through ``apply_kit_to_promotion``: the same rules, with the candidate's engine,
template variables and own words (``own_prompt``, recorded when a template wraps a job's
words) standing in for what a person would have chosen; when they cannot fill the
template, the candidate's prompt as it was is the upscale's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from canvas.engines.registry import UnknownEngine, get_engine
from canvas.governance.kits.content import KitContent, template_variables
from canvas.governance.kits.models import BrandKitReference, BrandKitVersion
from canvas.governance.kits.services import board_kit, content_of
from canvas.models import Board
from foundation.errors import AppError

SHAPE_DEFAULTS = {"strength": 0.6, "scale": 2}  # canvas.protocol.JobShape's defaults


class KitLocked(AppError):
    code = "brand_kit_locked"
    default_message = "This board's brand kit does not allow that."


class KitVariableMissing(AppError):
    code = "brand_kit_variable"
    default_message = "Fill in the brand kit's prompt variables."


def _locked(version: BrandKitVersion, what: str) -> KitLocked:
    return KitLocked(
        f"This board's brand kit “{version.name}” locks {what}; ask a kit manager to unlock it."
    )


def engine_label(name: str) -> str:
    try:
        return get_engine(name).capabilities().label
    except UnknownEngine:
        return name


def _names(names: list[str]) -> str:
    marked = [f"{{{n}}}" for n in names]
    return marked[0] if len(marked) == 1 else ", ".join(marked[:-1]) + " and " + marked[-1]


def _engine(version: BrandKitVersion, kit: KitContent, given: set[str], spec: dict) -> None:
    if not kit.engine:
        return
    if "engine" in given and spec["engine"] != kit.engine:
        if kit.locked("engine"):
            raise _locked(version, f"the engine to {engine_label(kit.engine)}")
        return
    spec["engine"] = kit.engine


def _settings(version: BrandKitVersion, kit: KitContent, given: set[str], spec: dict) -> None:
    for name, label in (("strength", "the strength"), ("scale", "the upscale factor")):
        value = getattr(kit.settings, name)
        enforced = value if value is not None else SHAPE_DEFAULTS[name]
        if kit.locked(name):
            if name in given and spec[name] != enforced:
                raise _locked(version, f"{label} to {enforced:g}")
            spec[name] = enforced
        elif value is not None and name not in given:
            spec[name] = value
    own = dict(spec.get("params") or {})
    theirs = kit.settings.params
    if kit.locked("params") and any(k not in theirs or theirs[k] != v for k, v in own.items()):
        raise _locked(version, "the engine settings")
    spec["params"] = {**kit.settings.params, **own}


def _style(version: BrandKitVersion, kit: KitContent, variables: dict[str, str]) -> str:
    chosen = variables.get("style", "").strip()
    if not chosen:
        return kit.style_presets[0].prompt if kit.style_presets else ""
    for preset in kit.style_presets:
        if preset.name.lower() == chosen.lower():
            return preset.prompt
    known = ", ".join(p.name for p in kit.style_presets) or "none"
    raise KitVariableMissing(
        f"“{chosen}” is not a style of the brand kit “{version.name}”; its styles: {known}."
    )


def _prompt(version: BrandKitVersion, kit: KitContent, spec: dict, variables: dict) -> None:
    words = spec["prompt"]
    template = kit.prompt_template
    if not template:
        return
    names = template_variables(template)
    if words and "prompt" not in names:
        if kit.locked("prompt"):
            wanted = kit.variables()
            hint = f" (fill in {_names(wanted)} instead)" if wanted else ""
            raise _locked(version, f"the prompt to its template{hint}")
        return  # an unlocked template is a default: the job's own prompt replaces it
    missing = [n for n in kit.variables() if not variables.get(n, "").strip()]
    if missing:
        raise KitVariableMissing(
            f"This board's brand kit “{version.name}” writes the prompt from a template: "
            f"fill in {_names(missing)}."
        )
    style = _style(version, kit, variables) if kit.style_presets or "style" in names else ""
    values = {**{k: v.strip() for k, v in variables.items()}, "prompt": words, "style": style}
    prompt = template.format_map(values).strip(" ,")
    if style and "style" not in names and variables.get("style"):
        prompt = f"{prompt}, {style}"
    spec["prompt"] = prompt
    # The job's own words, which the template wrapped: what ``{prompt}`` repeats for a job
    # built from this one's result (an upscale promoted from review).
    spec["own_prompt"] = words


def _negative(version: BrandKitVersion, kit: KitContent, spec: dict) -> None:
    own, theirs = spec["negative_prompt"], kit.negative_prompt
    if kit.locked("negative_prompt"):
        if own and own != theirs:
            raise _locked(version, "the negative prompt")
        spec["negative_prompt"] = theirs
    elif theirs and own != theirs:
        spec["negative_prompt"] = ", ".join(p for p in (theirs, own) if p)


@dataclass(frozen=True)
class BoardKit:
    """A board's kit as every job spec needs it: the version, its content and the blobs of
    its reference images — read once (``board_kit_now``) and applied to many jobs."""

    version: BrandKitVersion
    content: KitContent
    blobs: dict[Any, Any]  # reference id → blob id


def board_kit_now(board: Board) -> BoardKit | None:
    """The board's kit as it is now, or None when the board has none (three small reads)."""
    version = board_kit(board)
    if version is None:
        return None
    kit = content_of(version)
    return BoardKit(version, kit, _reference_blobs(version, kit))


def _reference_blobs(version: BrandKitVersion, kit: KitContent) -> dict[Any, Any]:
    """Reference id → blob id of the kit's reference images (one query; none without)."""
    if not kit.references:
        return {}
    return dict(
        BrandKitReference.objects.filter(
            kit_id=version.kit_id, pk__in=[r.id for r in kit.references]
        ).values_list("pk", "blob_id")
    )


def _references(version: BrandKitVersion, kit: KitContent, spec: dict, blobs: dict) -> None:
    if not kit.references:
        return
    for ref in kit.references:
        blob = next((b for pk, b in blobs.items() if str(pk) == ref.id), None)
        if blob is None:
            continue
        spec["anchors"].append(
            {
                "item_id": None,
                "asset_id": None,
                "blob": blob,
                "kit_reference": ref.id,
                "role": ref.role,
                "name": f"{version.name}: {ref.filename}",
            }
        )


def _required(version: BrandKitVersion, kit: KitContent, spec: dict) -> None:
    have = {a["role"] for a in spec["anchors"]}
    missing = [role for role in kit.required_roles if role not in have]
    if missing:
        roles = " and ".join(f"a {role}" for role in missing)
        raise KitLocked(
            f"This board's brand kit “{version.name}” requires {roles} anchor: mark an image "
            "on the board as one and add it to the job, or ask a kit manager to change the kit."
        )


_READ = object()  # apply_kit reads the board's kit itself


def apply_kit(
    board: Board, given: set[str], spec: dict[str, Any], *, kit_now: Any = _READ
) -> dict[str, Any]:
    """Apply the board's kit (if any) to a spec built from the fields the job ``given``.

    ``kit_now``: the board's kit already read by ``board_kit_now`` (a batch applies one read
    to all its jobs); by default it is read here."""
    resolved = board_kit_now(board) if kit_now is _READ else kit_now
    if resolved is None:
        return spec
    return _apply(resolved.version, resolved.content, given, spec, resolved.blobs)


def _apply(
    version: BrandKitVersion,
    kit: KitContent,
    given: set[str],
    spec: dict[str, Any],
    blobs: dict[Any, Any] | None = None,
    *,
    template: bool = True,
) -> dict[str, Any]:
    variables = dict(spec.get("variables") or {})
    _engine(version, kit, given, spec)
    _settings(version, kit, given, spec)
    if template:
        _prompt(version, kit, spec, variables)
    _negative(version, kit, spec)
    _references(version, kit, spec, blobs if blobs is not None else _reference_blobs(version, kit))
    _required(version, kit, spec)
    if kit.engine and kit.locked("engine"):
        spec["engine_locked"] = True
    spec["brand_kit"] = {
        "id": str(version.kit_id),
        "version": version.number,
        "version_id": str(version.pk),
        "name": version.name,
    }
    if spec.get("mode") == "video":
        # The clip is flagged against this version's tolerance (canvas.jobs.video_results),
        # recorded with the version so the result says which tolerance judged it.
        spec["brand_kit"]["video_drift"] = kit.video_drift.model_dump()
    return spec


def own_words(source_spec: dict[str, Any]) -> str | None:
    """The words a person wrote for a job, before a kit's template wrapped them: what
    ``{prompt}`` takes for a job built from its result. None when they cannot be told apart
    from the template's text (a templated job recorded before ``own_prompt`` was)."""
    if "own_prompt" in source_spec:
        return str(source_spec["own_prompt"] or "")
    if source_spec.get("brand_kit"):
        return None
    return str(source_spec.get("prompt") or "")


def _promotion_prompt(
    version: BrandKitVersion, kit: KitContent, spec: dict[str, Any], source: Any
) -> bool:
    """The upscale's prompt. With everything the template needs — the candidate job's
    variables, its own words for ``{prompt}`` — the template writes it (True: apply the
    template). Otherwise the candidate's own prompt, as its image was made, is the upscale's
    (False: the template is not applied): an upscale re-describes the image it enlarges.
    Refused only when neither supplies it, naming what is missing."""
    if not kit.prompt_template:
        return True
    source_spec = dict(source.job.spec or {})
    names = template_variables(kit.prompt_template)
    variables = spec.get("variables") or {}
    missing = [n for n in kit.variables() if not str(variables.get(n, "")).strip()]
    words = own_words(source_spec)
    if "prompt" in names and words is None:
        missing.append("prompt")
    if not missing:
        spec["prompt"] = words if "prompt" in names else ""
        return True
    original = str(source_spec.get("prompt") or (source.provenance or {}).get("prompt") or "")
    if original.strip():
        spec["prompt"] = original.strip()
        spec["prompt_from"] = str(source.pk)  # provenance: the candidate's prompt, as it was
        return False
    raise KitVariableMissing(
        f"The upscale of “{source.asset.filename}” needs {_names(missing)} for the brand kit "
        f"“{version.name}”'s prompt template, and the job that made it had neither that nor "
        f"a prompt to reuse; generate it again with {_names(missing)} filled in, or ask a kit "
        "manager to change the template."
    )


def apply_kit_to_promotion(
    board: Board, spec: dict[str, Any], *, scale_given: bool, source: Any
) -> dict[str, Any]:
    """Apply the board's kit to the upscale of a promoted candidate (``spec`` from
    canvas.review.promotion.upscale_spec, ``variables`` the candidate job's; ``source``
    the candidate, an Iteration).

    The candidate's engine counts as chosen (the upscale stays on the engine that made the
    image) unless the kit locks an engine: then the kit's is used, as for a job that names
    none. The factor counts as chosen only when the person promoting gave one, so a kit's
    factor is the default and a locked factor refuses a different one. The prompt: see
    ``_promotion_prompt`` (docs/governance.md "Brand kits").
    """
    version = board_kit(board)
    if version is None:
        return spec
    kit = content_of(version)
    given = {"mode", "prompt"}
    if not (kit.engine and kit.locked("engine")):
        given.add("engine")
    if scale_given:
        given.add("scale")
    template = _promotion_prompt(version, kit, spec, source)
    return _apply(version, kit, given, spec, template=template)
