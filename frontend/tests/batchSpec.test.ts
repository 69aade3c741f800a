import { describe, expect, it } from "vitest";
import { previewSentence, totalCost, type BatchSummary, type EngineEstimate } from "../src/batches/preview";
import {
  type BatchDraft,
  buildSpec,
  draftVariables,
  formatCost,
  formatSeconds,
  loadDraft,
  parseSeeds,
  parseSize,
  parseValues,
  saveDraft,
  specJson,
  specYaml,
  templateVariables,
} from "../src/batches/spec";

function draft(over: Partial<BatchDraft> = {}): BatchDraft {
  return {
    name: "Shoes",
    mode: "img2img",
    prompt: "a {product} on {background}",
    negative: "",
    values: { product: "sneaker\nboot\n\nsandal ", background: "sand\nsnow" },
    seeds: "2",
    seed: "",
    engines: ["local"],
    strength: 0.6,
    anchorSets: [[{ item_id: "a1", role: "lighting" }]],
    targets: [{ region: { x: 0, y: 0, width: 64, height: 48 }, label: "Region" }],
    ...over,
  };
}

function memoryStorage(): Storage {
  const data = new Map<string, string>();
  return {
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, v),
    removeItem: (k: string) => void data.delete(k),
    clear: () => data.clear(),
    key: () => null,
    get length() {
      return data.size;
    },
  };
}

describe("batch spec from the dialog", () => {
  it("reads the variables a template uses, in order, once, and leaves other braces alone", () => {
    expect(templateVariables("a {product} on {background}, {product} again, {shot type}, {}")).toEqual(["product", "background"]);
    expect(templateVariables("{a}", "no {b_2} here")).toEqual(["a", "b_2"]);
    expect(draftVariables({ prompt: "{product}", negative: "" }, ["season", "product"])).toEqual([
      { name: "product", fromKit: false },
      { name: "season", fromKit: true },
    ]);
  });

  it("takes one value per line, trimmed, blank lines ignored", () => {
    expect(parseValues(" sneaker \n\nboot\r\nsandal\n")).toEqual(["sneaker", "boot", "sandal"]);
    expect(parseValues(undefined)).toEqual([]);
  });

  it("builds the API's spec and counts values × anchor sets × seeds × engines × targets", () => {
    const built = buildSpec(draft({ engines: ["local", "comfyui"], anchorSets: [[{ item_id: "a1", role: "lighting" }], [], [{ item_id: "a2", role: "style" }]] }));
    expect(built.problems).toEqual([]);
    expect(built.jobs).toBe(3 * 2 * 2 * 2 * 2 * 1); // empty anchor sets are left out
    expect(built.spec).toEqual({
      name: "Shoes",
      mode: "img2img",
      prompt: "a {product} on {background}",
      negative_prompt: "",
      variables: { product: ["sneaker", "boot", "sandal"], background: ["sand", "snow"] },
      anchor_sets: [[{ role: "lighting", item_id: "a1" }], [{ role: "style", item_id: "a2" }]],
      seeds: 2,
      engines: [{ name: "local", strength: 0.6 }, { name: "comfyui", strength: 0.6 }],
      targets: [{ region: { x: 0, y: 0, width: 64, height: 48 } }],
    });
  });

  it("passes the upscale factor, drops strength for upscales and for a kit that locks it", () => {
    expect(buildSpec(draft({ mode: "upscale4" })).spec?.engines).toEqual([{ name: "local", scale: 4 }]);
    expect(buildSpec(draft({ mode: "upscale2" }), { kitLocks: ["scale"] }).spec?.engines).toEqual(["local"]);
    expect(buildSpec(draft(), { kitLocks: ["strength"] }).spec?.engines).toEqual(["local"]);
    expect(buildSpec(draft({ seed: "42", targets: [{ item_id: "f1", label: "Frame" }] })).spec).toMatchObject({ seed: 42, targets: [{ item_id: "f1" }] });
  });

  it("says every problem the server would refuse the spec for, and sends nothing", () => {
    const built = buildSpec(draft({ name: " ", values: { product: "boot\nboot" }, seeds: "0", seed: "x", engines: [], targets: [] }));
    expect(built.spec).toBeNull();
    expect(built.problems).toEqual([
      "Give the batch a name.",
      "{product} lists “boot” twice.",
      "Give at least one value for {background} (one per line).",
      "Seeds must be 1 to 1000 (or a list of seeds).", // the server's sentence
      "The base seed must be a whole number from 0 to 4294967295 (or empty to draw one).",
      "Choose at least one engine.",
      "Add a target: select a frame or draw a region (R), then “Add the selection”.",
    ]);
  });

  it("takes an explicit list of seeds as well as a count, in the server's words when neither", () => {
    expect(parseSeeds("4")).toEqual({ seeds: 4, problem: null });
    expect(parseSeeds("7, 11, 42")).toEqual({ seeds: [7, 11, 42], problem: null });
    expect(parseSeeds("7,")).toEqual({ seeds: [7], problem: null });
    expect(parseSeeds(" 7 11\n42 ")).toEqual({ seeds: [7, 11, 42], problem: null });
    expect(parseSeeds(", ,").problem).toBe("The list of seeds is empty; give at least one seed.");
    expect(parseSeeds("7, x").problem).toBe("Each seed must be a whole number from 0 to 4294967295.");
    expect(parseSeeds("7, 4294967296").problem).toBe("Each seed must be a whole number from 0 to 4294967295.");
    expect(parseSeeds("1001").problem).toBe("Seeds must be 1 to 1000 (or a list of seeds).");
    const built = buildSpec(draft({ seeds: "7, 11, 42" }));
    expect(built.spec?.seeds).toEqual([7, 11, 42]);
    expect(built.jobs).toBe(buildSpec(draft({ seeds: "3" })).jobs);
    expect(specYaml(built.spec!)).toContain("\nseeds: [7, 11, 42]\n");
    expect(JSON.parse(specJson(built.spec!)).seeds).toEqual([7, 11, 42]);
  });

  it("gives each engine its own strength and output size, in the spec, the YAML and the JSON", () => {
    const built = buildSpec(draft({ engines: ["local", "comfyui"], engineSettings: { local: { strength: "0.3", size: "1024x768" }, comfyui: { strength: "", size: "" } } }));
    expect(built.problems).toEqual([]);
    expect(built.spec?.engines).toEqual([
      { name: "local", strength: 0.3, output_size: { width: 1024, height: 768 } },
      { name: "comfyui", strength: 0.6 }, // empty: the panel's strength
    ]);
    expect(specYaml(built.spec!)).toContain("  - {name: local, strength: 0.3, output_size: {width: 1024, height: 768}}");
    expect(JSON.parse(specJson(built.spec!)).engines[0].output_size).toEqual({ width: 1024, height: 768 });
    const bad = buildSpec(draft({ engineSettings: { local: { strength: "2", size: "big" } } }));
    expect(bad.spec).toBeNull();
    expect(bad.problems).toEqual([
      "The strength of local must be a number from 0 to 1 (or empty for the panel's).",
      "The output size of local must be like 1024x768 (1 to 8192 pixels a side), or empty for the region's size.",
    ]);
    expect(parseSize("512 × 512")).toEqual({ width: 512, height: 512 });
    expect(parseSize("0x512")).toBe("bad");
  });

  it("sends a brand kit's variables only when they have values (the kit's are optional)", () => {
    expect(buildSpec(draft(), { kitVariables: ["season"] }).spec?.variables).not.toHaveProperty("season");
    const withSeason = buildSpec(draft({ values: { ...draft().values, season: "spring\nfall" } }), { kitVariables: ["season"] });
    expect(withSeason.spec?.variables.season).toEqual(["spring", "fall"]);
    expect(withSeason.jobs).toBe(3 * 2 * 2 * 2);
  });

  it("writes YAML for the CLI, quoting what YAML would read differently", () => {
    const spec = buildSpec(draft({ negative: "text, watermark", values: { product: "yes\nboot: tall\n42", background: "sand" }, seed: "7" })).spec!;
    expect(specYaml(spec)).toBe(
      [
        "name: Shoes",
        "mode: img2img",
        'prompt: "a {product} on {background}"',
        'negative_prompt: "text, watermark"',
        "variables:",
        '  product: ["yes", "boot: tall", "42"]',
        "  background: [sand]",
        "anchor_sets:",
        "  - [{role: lighting, item_id: a1}]",
        "seeds: 2",
        "seed: 7",
        "engines:",
        "  - {name: local, strength: 0.6}",
        "targets:",
        "  - region: {x: 0, y: 0, width: 64, height: 48}",
        "",
      ].join("\n"),
    );
  });

  it("keeps the draft per board and ignores a stored value it cannot read", () => {
    const storage = memoryStorage();
    saveDraft(storage, "b1", draft({ name: "Kept" }));
    expect(loadDraft(storage, "b1")?.name).toBe("Kept");
    expect(loadDraft(storage, "b2")).toBeNull();
    storage.setItem("anchorboard:batch-draft:b3", "{not json");
    expect(loadDraft(storage, "b3")).toBeNull();
    storage.setItem("anchorboard:batch-draft:b4", JSON.stringify({ name: "old shape" }));
    expect(loadDraft(storage, "b4")).toBeNull();
  });
});

describe("batch preview words", () => {
  const row = (over: Partial<EngineEstimate> = {}): EngineEstimate => ({
    engine: "local", provider: "local", jobs: 6, cost: { amount: 0.06, currency: "USD", per: "image" },
    seconds_per_job: 30, time_basis: "default", parallel: 1, seconds: 180, ...over,
  });

  it("formats time and cost with the currency, and never prices the unknown as 0", () => {
    expect(formatSeconds(45)).toBe("45 s");
    expect(formatSeconds(180)).toBe("3 min");
    expect(formatSeconds(7500)).toBe("2 h 5 min");
    expect(formatCost({ amount: 0.06, currency: "USD", per: "image" })).toBe("0.06 USD");
    expect(formatCost({ amount: 0.0039, currency: "EUR", per: "mp" })).toBe("0.0039 EUR");
    expect(formatCost("unknown")).toBe("price unknown");
    expect(totalCost([row(), row({ cost: { amount: 0.5, currency: "USD", per: "mp" } })])).toBe("0.56 USD");
    expect(totalCost([row(), row({ cost: "unknown" })])).toBeNull();
  });

  it("sums up a preview in one sentence", () => {
    const p: BatchSummary = { dry_run: true, name: "x", seed: 1, jobs: 8, accepted: 6, refused: 2, engines: [row()], first_jobs: [], refusals: [], brand_kit: null };
    expect(previewSentence(p)).toBe("8 jobs, 2 refused. About 3 min, 0.06 USD.");
  });
});
