import { describe, expect, it } from "vitest";
import type { EngineInfo } from "../src/jobs/model";
import { MAX_PICKS, chainFor, describeChain, picksFor } from "../src/ui/fallbackControl";

const engines = [
  { name: "gemini-3-pro-image-preview", label: "Nano Banana Pro" },
  { name: "comfyui", label: "ComfyUI" },
  { name: "local", label: "Local" },
] as EngineInfo[];

describe("fallback chain control", () => {
  it("saves the selected engine followed by the picks, and [] (off) when nothing is picked", () => {
    expect(chainFor("gemini-3-pro-image-preview", ["comfyui", "local", ""])).toEqual(["gemini-3-pro-image-preview", "comfyui", "local"]);
    expect(chainFor("comfyui", ["", "local", ""])).toEqual(["comfyui", "local"]);
    expect(chainFor("comfyui", ["", "", ""])).toEqual([]);
    // The selected engine and repeats are dropped rather than sent (the server refuses them).
    expect(chainFor("local", ["local", "comfyui", "comfyui"])).toEqual(["local", "comfyui"]);
  });

  it("shows the rest of the chain for the engine it starts from, and for one inside it", () => {
    const chain = ["gemini-3-pro-image-preview", "comfyui", "local"];
    expect(picksFor(chain, "gemini-3-pro-image-preview")).toEqual(["comfyui", "local"]);
    expect(picksFor(chain, "comfyui")).toEqual(["local"]);
    expect(picksFor(chain, "other")).toEqual([]);
    expect(picksFor(["a", "b", "c", "d", "e", "f"], "a")).toHaveLength(MAX_PICKS);
  });

  it("describes the chain with engine labels, or says it is off", () => {
    expect(describeChain(["gemini-3-pro-image-preview", "comfyui", "local"], engines)).toBe(
      "If Nano Banana Pro is unavailable, jobs try ComfyUI, then Local (each engine falls back to the ones after it).",
    );
    expect(describeChain(["comfyui", "gone-engine"], engines)).toContain("try gone-engine");
    expect(describeChain([], engines)).toMatch(/^Off/);
  });
});
