import { describe, expect, it } from "vitest";
import { csrfToken, parseUploadResponse, uploadErrorFrom } from "../src/upload";

describe("upload helpers", () => {
  it("reads the csrftoken cookie", () => {
    expect(csrfToken("sessionid=abc; csrftoken=tok%3D1; other=2")).toBe("tok=1");
    expect(csrfToken("")).toBe("");
  });

  it("prefers the API's own error message", () => {
    const err = uploadErrorFrom(400, JSON.stringify({ error: { code: "unsupported_image", message: "sketch.psd is not an image we can read." } }), "sketch.psd");
    expect(err.code).toBe("unsupported_image");
    expect(err.message).toBe("sketch.psd is not an image we can read.");
  });

  it("explains non-JSON failures", () => {
    expect(uploadErrorFrom(413, "<html>", "big.tif").message).toMatch(/big\.tif is too large/);
    expect(uploadErrorFrom(0, "", "a.png").code).toBe("network");
    expect(uploadErrorFrom(502, "Bad gateway", "a.png").message).toMatch(/502/);
  });

  it("parses the items list", () => {
    expect(parseUploadResponse(JSON.stringify({ items: [{ id: "x" }] }))).toEqual([{ id: "x" }]);
    expect(() => parseUploadResponse("{}")).toThrow(/no uploaded image/);
  });
});
