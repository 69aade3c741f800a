import { describe, expect, it } from "vitest";
import { itemLabel, rowDescription } from "../src/ui/layersPanel";
import { item } from "./helpers";

// A video job's clip lands as an item of kind "video" whose asset is its poster (docs/video.md).
describe("video items", () => {
  const poster = { id: "p1", sha256: "s", width: 64, height: 36, levels: [], original_url: "/o", level_url: "/{level}" };
  const video = { duration: 5, fps: 24, frame_count: 120, width: 1280, height: 720, mp4: { asset: "m", sha256: "h", mime: "video/mp4" } };

  it("are named as video clips in the layers panel", () => {
    const clip = { ...item({ id: "v1", kind: "video" }), asset: poster, props: { video } };
    expect(itemLabel(clip)).toBe("Video clip");
    expect(rowDescription(clip)).toBe("Video clip, video clip");
  });
});
