/**
 * Putting images on the board: drop files (many at once), paste from the clipboard, or
 * the "Add images" button. Each file uploads with its own progress row and a clear error
 * from the API; each finished upload becomes one "Add image" create action placed where it
 * was dropped (side by side for multiple files).
 */
import type { Editor } from "../editor";
import { blankItem, createItems } from "../model/actions";
import type { Point } from "../model/geometry";
import { zTop } from "../model/zorder";
import type { AssetData } from "../protocol";
import { UploadError, csrfToken, uploadImage } from "../upload";
import { h } from "./dom";

const GAP = 32;

export class Uploads {
  readonly list = h("ul", { class: "ab-uploads", "aria-live": "polite" });
  readonly input = h("input", { type: "file", accept: "image/*", multiple: true, hidden: true });

  constructor(
    private readonly editor: Editor,
    private readonly url: string,
    surface: HTMLElement,
    private readonly cursorBoard: () => Point | null,
  ) {
    this.input.addEventListener("change", () => {
      const files = [...(this.input.files ?? [])];
      this.input.value = "";
      this.uploadAll(files, this.viewCentre());
    });
    surface.addEventListener("dragover", (e) => {
      if (!this.editor.canEdit || !e.dataTransfer?.types.includes("Files")) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = "copy";
      surface.classList.add("ab-dropping");
    });
    surface.addEventListener("dragleave", () => surface.classList.remove("ab-dropping"));
    surface.addEventListener("drop", (e) => {
      surface.classList.remove("ab-dropping");
      if (!e.dataTransfer?.files.length) return;
      e.preventDefault();
      if (!this.editor.canEdit) {
        this.editor.notify("error", "You can view this board but not add images to it.");
        return;
      }
      const r = surface.getBoundingClientRect();
      this.uploadAll([...e.dataTransfer.files], this.editor.toBoard({ x: e.clientX - r.left, y: e.clientY - r.top }));
    });
    window.addEventListener("paste", (e) => {
      const t = e.target as HTMLElement | null;
      if (t && ["INPUT", "TEXTAREA"].includes(t.tagName)) return;
      const files = [...(e.clipboardData?.files ?? [])].filter((f) => f.type.startsWith("image/"));
      if (!files.length) return;
      e.preventDefault();
      if (!this.editor.canEdit) {
        this.editor.notify("error", "You can view this board but not add images to it.");
        return;
      }
      this.uploadAll(files, this.cursorBoard() ?? this.viewCentre());
    });
  }

  open(): void {
    if (this.editor.canEdit) this.input.click();
  }

  private viewCentre(): Point {
    return this.editor.toBoard({ x: this.editor.viewport.width / 2, y: this.editor.viewport.height / 2 });
  }

  /** Upload files in parallel; place each at `at`, the next ones to its right. */
  uploadAll(files: File[], at: Point): void {
    const images = files.filter((f) => f.type.startsWith("image/") || /\.(png|jpe?g|webp|tiff?|gif|bmp)$/i.test(f.name));
    for (const f of files) {
      if (!images.includes(f)) this.row(f.name).fail(`${f.name} is not an image.`);
    }
    let x = at.x;
    const slots: Promise<Point>[] = [];
    for (const file of images) {
      const row = this.row(file.name);
      const { promise } = uploadImage(this.url, file, csrfToken(document.cookie), (f) => row.progress(f));
      // Each placement waits for the previous one so files land side by side in order.
      const prev = slots.at(-1) ?? Promise.resolve({ x, y: at.y });
      const slot = Promise.all([promise, prev]).then(([assets, pos]) => {
        const asset = assets[0];
        if (!asset) throw new UploadError(`${file.name}: the server returned no image.`, "bad_response");
        this.place(asset, pos, file.name);
        row.done();
        x = pos.x + fittedSize(asset).width + GAP;
        return { x, y: at.y };
      });
      slot.catch((err: unknown) => row.fail(err instanceof Error ? err.message : `${file.name} could not be uploaded.`));
      slots.push(slot.catch(() => prev));
    }
  }

  private place(asset: AssetData, at: Point, fileName: string): void {
    const size = fittedSize(asset);
    const item = blankItem(
      "image",
      { x: at.x, y: at.y, ...size },
      zTop(this.editor.doc.ordered().map((i) => i.z)),
      { asset, name: fileName.replace(/\.[^.]+$/, "").slice(0, 200) },
    );
    if (this.editor.run(createItems("Add image", [item]))) this.editor.select([item.id]);
  }

  private row(name: string) {
    const bar = h("progress", { max: 1, value: 0 });
    const text = h("span", { class: "ab-upload-text" }, name);
    const li = h("li", { class: "ab-upload" }, text, bar);
    this.list.append(li);
    return {
      progress: (f: number) => {
        bar.value = f;
      },
      done: () => {
        li.classList.add("done");
        setTimeout(() => li.remove(), 1500);
      },
      fail: (message: string) => {
        li.classList.add("failed");
        bar.remove();
        text.textContent = message;
        const close = h("button", { type: "button", class: "ab-icon", title: "Dismiss" }, "×");
        close.addEventListener("click", () => li.remove());
        li.append(close);
      },
    };
  }
}

/** Images land at 1:1 but no larger than 2048 units on the long edge, so a 12k scan fits. */
export function fittedSize(asset: Pick<AssetData, "width" | "height">): { width: number; height: number } {
  const long = Math.max(asset.width, asset.height, 1);
  const s = Math.min(1, 2048 / long);
  return { width: Math.max(1, Math.round(asset.width * s)), height: Math.max(1, Math.round(asset.height * s)) };
}
