"""Knobs: image and video providers — hosted (Gemini, OpenAI, Seedance on BytePlus
ModelArk, Veo on the Gemini API) with breaker and fallbacks, ComfyUI, AUTOMATIC1111."""

from __future__ import annotations

from foundation.config import CHAINS, FLAG, NAMES, NUMBER, TEXT, WHOLE, WHOLE_PAIRS, optional
from foundation.knobs.registry import A1111, COMFYUI, HOSTED, declare

# --- Hosted providers -------------------------------------------------------------------------

GEMINI_API_KEY = declare(
    "ANCHORBOARD_GEMINI_API_KEY", TEXT, "",
    "Gemini Developer API key; no key = no Gemini engines (environment only; Google's usual "
    "`GEMINI_API_KEY` works too, ours wins)",
    HOSTED, aliases=("GEMINI_API_KEY",), environment_only=True,
)  # fmt: skip
GEMINI_BASE_URL = declare(
    "ANCHORBOARD_GEMINI_BASE_URL", TEXT, "https://generativelanguage.googleapis.com",
    "Gemini API endpoint", HOSTED,
)  # fmt: skip
GEMINI_MODELS = declare(
    "ANCHORBOARD_GEMINI_MODELS", NAMES, (),
    "comma-separated model ids; one engine each", HOSTED,
    shown_default="the three known models ([providers.md](providers.md))",
)  # fmt: skip
GEMINI_TIMEOUT = declare(
    "ANCHORBOARD_GEMINI_TIMEOUT", NUMBER, 120.0, "seconds to wait for Gemini's answer", HOSTED
)
GEMINI_CONNECT_TIMEOUT = declare(
    "ANCHORBOARD_GEMINI_CONNECT_TIMEOUT", NUMBER, 10.0, "seconds to connect to Gemini", HOSTED
)
OPENAI_API_KEY = declare(
    "ANCHORBOARD_OPENAI_API_KEY", TEXT, "",
    "OpenAI key; no key = no OpenAI engines (environment only; OpenAI's usual "
    "`OPENAI_API_KEY` works too, ours wins)",
    HOSTED, aliases=("OPENAI_API_KEY",), environment_only=True,
)  # fmt: skip
OPENAI_BASE_URL = declare(
    "ANCHORBOARD_OPENAI_BASE_URL", TEXT, "https://api.openai.com", "OpenAI API endpoint", HOSTED
)
OPENAI_IMAGE_MODELS = declare(
    "ANCHORBOARD_OPENAI_IMAGE_MODELS", NAMES, ("gpt-image-1.5",),
    "one engine `openai-<model>` each", HOSTED,
)  # fmt: skip
OPENAI_QUALITY = declare(
    "ANCHORBOARD_OPENAI_QUALITY", TEXT, "medium",
    "`low`/`medium`/`high`/`auto`; a job's `params.quality` wins", HOSTED,
)  # fmt: skip
OPENAI_SIZES = declare(
    "ANCHORBOARD_OPENAI_SIZES", NAMES, ("1024x1024", "1536x1024", "1024x1536"),
    "sizes to choose from (closest aspect ratio)", HOSTED,
)  # fmt: skip
OPENAI_PRICES_PER_MTOK = declare(
    "ANCHORBOARD_OPENAI_PRICES_PER_MTOK", NAMES, ("5", "8", "32"),
    "USD per 1M text-in, image-in, image-out tokens (cost estimates)", HOSTED,
)  # fmt: skip
OPENAI_TIMEOUT = declare(
    "ANCHORBOARD_OPENAI_TIMEOUT", NUMBER, 180.0, "seconds to wait for OpenAI's answer", HOSTED
)
OPENAI_CONNECT_TIMEOUT = declare(
    "ANCHORBOARD_OPENAI_CONNECT_TIMEOUT", NUMBER, 10.0, "seconds to connect to OpenAI", HOSTED
)
SEEDANCE_API_KEY = declare(
    "ANCHORBOARD_SEEDANCE_API_KEY", TEXT, "",
    "BytePlus ModelArk key for Seedance video; no key = no Seedance engines (environment only; "
    "Ark's usual `ARK_API_KEY` works too, ours wins)",
    HOSTED, aliases=("ARK_API_KEY",), environment_only=True,
)  # fmt: skip
SEEDANCE_BASE_URL = declare(
    "ANCHORBOARD_SEEDANCE_BASE_URL", TEXT, "https://ark.ap-southeast.bytepluses.com",
    "ModelArk endpoint (the international service)", HOSTED,
)  # fmt: skip
SEEDANCE_MODELS = declare(
    "ANCHORBOARD_SEEDANCE_MODELS", NAMES, ("dreamina-seedance-2-0-260128",),
    "Seedance model ids; one engine `seedance-<model>` each", HOSTED,
)  # fmt: skip
VEO_MODELS = declare(
    "ANCHORBOARD_VEO_MODELS", NAMES, ("veo-3.1-generate-preview",),
    "Veo model ids on the Gemini API (uses the Gemini key and base URL); one engine each", HOSTED,
)  # fmt: skip
VIDEO_POLL_SECONDS = declare(
    "ANCHORBOARD_VIDEO_POLL_SECONDS", NUMBER, 5.0,
    "first wait before asking a video provider how its task is doing", HOSTED,
)  # fmt: skip
VIDEO_POLL_MAX_SECONDS = declare(
    "ANCHORBOARD_VIDEO_POLL_MAX_SECONDS", NUMBER, 30.0,
    "longest wait between two polls (the wait grows ×1.5 per poll up to this)", HOSTED,
)  # fmt: skip
VIDEO_MAX_CLIP_MB = declare(
    "ANCHORBOARD_VIDEO_MAX_CLIP_MB", WHOLE, 512,
    "largest clip a video provider may deliver (streamed to disk, refused past this)", HOSTED,
)  # fmt: skip
PROVIDER_CONCURRENCY = declare(
    "ANCHORBOARD_PROVIDER_CONCURRENCY", WHOLE_PAIRS,
    {"gemini": 4, "openai": 2, "seedance": 2, "veo": 2},
    "running jobs per engine of that provider; a provider not named keeps its default", HOSTED,
)  # fmt: skip
BREAKER_FAILURES = declare(
    "ANCHORBOARD_BREAKER_FAILURES", WHOLE, 5,
    "consecutive transient failures that open a provider's circuit", HOSTED,
)  # fmt: skip
BREAKER_COOLDOWN_SECONDS = declare(
    "ANCHORBOARD_BREAKER_COOLDOWN_SECONDS", NUMBER, 60.0,
    "how long an open circuit waits before letting one probe call through", HOSTED,
)  # fmt: skip
ENGINE_FALLBACKS = declare(
    "ANCHORBOARD_ENGINE_FALLBACKS", CHAINS, {},
    "engines to try when one's circuit is open: `engine=next>next2,…` (or `{engine: [next, …]}` "
    "in settings); boards opt in",
    HOSTED, shown_default="none",
)  # fmt: skip

# --- ComfyUI ----------------------------------------------------------------------------------

COMFYUI_URL = declare(
    "ANCHORBOARD_COMFYUI_URL", TEXT, "",
    "e.g. `http://gpu-box:8188`; no URL = no engine (`COMFYUI_URL` works too)", COMFYUI,
    aliases=("COMFYUI_URL",),
)  # fmt: skip
COMFYUI_WORKFLOWS_DIR = declare(
    "ANCHORBOARD_COMFYUI_WORKFLOWS_DIR", TEXT, "",
    "folder of your own workflow templates (`COMFYUI_WORKFLOWS_DIR` works too)", COMFYUI,
    aliases=("COMFYUI_WORKFLOWS_DIR",),
)  # fmt: skip
COMFYUI_MODELS = declare(
    "ANCHORBOARD_COMFYUI_MODELS", NAMES, (),
    "checkpoint file names for `{{model}}`; the first is the default", COMFYUI,
)  # fmt: skip
COMFYUI_TIMEOUT = declare(
    "ANCHORBOARD_COMFYUI_TIMEOUT", NUMBER, 60.0,
    "seconds per HTTP call (uploads, `/view`)", COMFYUI,
)  # fmt: skip
COMFYUI_CONNECT_TIMEOUT = declare(
    "ANCHORBOARD_COMFYUI_CONNECT_TIMEOUT", NUMBER, 10.0, "seconds to connect", COMFYUI
)
COMFYUI_TIME_LIMIT = declare(
    "ANCHORBOARD_COMFYUI_TIME_LIMIT", optional(NUMBER), None,
    "one prompt, submit to result", COMFYUI,
    shown_default="`ANCHORBOARD_JOB_TIME_LIMIT_SECONDS`",
)  # fmt: skip
COMFYUI_POLL_SECONDS = declare(
    "ANCHORBOARD_COMFYUI_POLL_SECONDS", NUMBER, 1.0,
    "`/history` polling when the websocket is gone", COMFYUI,
)  # fmt: skip
COMFYUI_MAX_COUNT = declare(
    "ANCHORBOARD_COMFYUI_MAX_COUNT", WHOLE, 4, "results per job (one prompt each)", COMFYUI
)
COMFYUI_CONCURRENCY = declare(
    "ANCHORBOARD_COMFYUI_CONCURRENCY", WHOLE, 1, "ComfyUI jobs running at once", COMFYUI
)

# --- AUTOMATIC1111 / Forge --------------------------------------------------------------------

A1111_URL = declare(
    "ANCHORBOARD_A1111_URL", TEXT, "",
    "e.g. `http://gpu-box:7860`; no URL = no engine (`A1111_URL` works too)", A1111,
    aliases=("A1111_URL",),
)  # fmt: skip
A1111_AUTH = declare(
    "ANCHORBOARD_A1111_AUTH", TEXT, "",
    "`user:password` for `--api-auth` (HTTP Basic); environment only", A1111,
    environment_only=True,
)  # fmt: skip
A1111_MODELS = declare(
    "ANCHORBOARD_A1111_MODELS", NAMES, (),
    "checkpoint titles; the first is the default; none = the loaded one", A1111,
)  # fmt: skip
A1111_SAMPLER = declare(
    "ANCHORBOARD_A1111_SAMPLER", TEXT, "Euler a", "default sampler; `params.sampler` wins", A1111
)
A1111_STEPS = declare(
    "ANCHORBOARD_A1111_STEPS", WHOLE, 25, "default steps; `params.steps` wins", A1111
)
A1111_CFG_SCALE = declare(
    "ANCHORBOARD_A1111_CFG_SCALE", NUMBER, 7.0, "default CFG scale; `params.cfg` wins", A1111
)
A1111_UPSCALER = declare(
    "ANCHORBOARD_A1111_UPSCALER", TEXT, "Lanczos",
    "`upscaler_1` for upscale jobs; `params.upscaler` wins", A1111,
)  # fmt: skip
A1111_TIME_LIMIT = declare(
    "ANCHORBOARD_A1111_TIME_LIMIT", optional(NUMBER), None,
    "one call, waiting in A1111's queue included", A1111,
    shown_default="`ANCHORBOARD_JOB_TIME_LIMIT_SECONDS`",
)  # fmt: skip
A1111_CONNECT_TIMEOUT = declare(
    "ANCHORBOARD_A1111_CONNECT_TIMEOUT", NUMBER, 10.0, "seconds to connect", A1111
)
A1111_POLL_SECONDS = declare(
    "ANCHORBOARD_A1111_POLL_SECONDS", NUMBER, 1.0, "`/progress` polling interval", A1111
)
A1111_PREVIEWS = declare(
    "ANCHORBOARD_A1111_PREVIEWS", FLAG, True, "0 = do not forward live previews", A1111
)
A1111_MAX_COUNT = declare(
    "ANCHORBOARD_A1111_MAX_COUNT", WHOLE, 4, "results per job (one batch)", A1111
)
A1111_CONCURRENCY = declare(
    "ANCHORBOARD_A1111_CONCURRENCY", WHOLE, 1, "A1111 jobs running at once", A1111
)
