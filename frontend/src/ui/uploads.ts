/**
 * Putting images on the board: drop files (many at once), paste from the clipboard, or
 * the "Add images" button. Each file uploads with its own progress card in the toast stack
 * (errors stay, in full, until dismissed); each finished upload becomes one "Add image"
 * create action, scaled to fit the view and placed beside the board's content — or where it
 * was dropped or pasted — the next files to its right (model/placement.ts). The view follows
 * a new image that landed out of sight.
 */
import type { Editor } from "../editor";
import { blankItem, createItems } from "../model/actions";
import { type Point, rectContainsRect, visibleBoardRect } from "../model/geometry";
import { firstSlot, nextSlot, uploadSize } from "../model/placement";
import { zTop } from "../model/zorder";
import type { AssetData } from "../protocol";
import { UploadError, csrfToken, uploadImage } from "../upload";
import { h } from "./dom";
import type { Toasts } from "./overlay";

export class Uploads {
  readonly input = h("input", { type: "file", accept: "image/*", multiple: true, hidden: true });

  constructor(
    private readonly editor: Editor,
    private readonly url: string,
    surface: HTMLElement,
    private readonly cursorBoard: () => Point | null,
    private readonly toasts: Toasts,
  ) {
    this.input.addEventListener("change", () => {
      const files = [...(this.input.files ?? [])];
      this.input.value = "";
      this.uploadAll(files, null);
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
      this.uploadAll(files, this.cursorBoard());
    });
  }

  open(): void {
    if (this.editor.canEdit) this.input.click();
  }

  /**
   * Upload files in parallel; place them in order, the first at `at` (a drop or paste
   * point) or beside the content, the next ones to its right.
   */
  uploadAll(files: File[], at: Point | null): void {
    const images = files.filter((f) => f.type.startsWith("image/") || /\.(png|jpe?g|webp|tiff?|gif|bmp)$/i.test(f.name));
    for (const f of files) {
      if (!images.includes(f)) this.row(f.name).fail(`${f.name} is not an image.`);
    }
    // Each placement waits for the previous one so files land side by side in order;
    // null = nothing placed yet (the first slot depends on the first image's size).
    let previous: Promise<Point | null> = Promise.resolve(null);
    for (const file of images) {
      const row = this.row(file.name);
      const { promise } = uploadImage(this.url, file, csrfToken(document.cookie), (f) => row.progress(f));
      const slot = Promise.all([promise, previous]).then(([assets, after]) => {
        const asset = assets[0];
        if (!asset) throw new UploadError(`${file.name}: the server returned no image.`, "bad_response");
        const next = this.place(asset, after, at, file.name);
        row.done();
        return next;
      });
      slot.catch((err: unknown) => row.fail(err instanceof Error ? err.message : `${file.name} could not be uploaded.`));
      const before = previous;
      previous = slot.catch(() => before);
    }
  }

  /** Place one image; returns where the next one goes. */
  private place(asset: AssetData, after: Point | null, at: Point | null, fileName: string): Point {
    const view = visibleBoardRect(this.editor.camera, this.editor.viewport);
    const size = uploadSize(asset, view);
    const pos = after ?? firstSlot(size, view, this.editor.scene.contentBounds(), at);
    const item = blankItem(
      "image",
      { ...pos, ...size },
      zTop(this.editor.doc.ordered().map((i) => i.z)),
      { asset, name: fileName.replace(/\.[^.]+$/, "").slice(0, 200) },
    );
    if (this.editor.run(createItems("Add image", [item]))) {
      this.editor.select([item.id]);
      const rect = { ...pos, ...size };
      if (!rectContainsRect(visibleBoardRect(this.editor.camera, this.editor.viewport), rect)) {
        // Out of sight: bring it to the middle of the view, keeping the zoom.
        const z = this.editor.camera.zoom;
        this.editor.setCamera({
          zoom: z,
          panX: this.editor.viewport.width / 2 - (rect.x + rect.width / 2) * z,
          panY: this.editor.viewport.height / 2 - (rect.y + rect.height / 2) * z,
        });
      }
    }
    return nextSlot(pos, size);
  }

  private row(name: string) {
    const bar = h("progress", { max: 1, value: 0, "aria-label": `Uploading ${name}` });
    const toast = this.toasts.show("progress", name, { className: "ab-upload", dismissible: false });
    const li = toast.element;
    li.querySelector(".ab-toast-text")?.classList.add("ab-upload-text");
    li.append(bar);
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
        li.dataset.kind = "error";
        li.setAttribute("role", "alert");
        bar.remove();
        toast.setText(message);
        const close = h("button", { type: "button", class: "ab-toast-close", "aria-label": "Dismiss", "data-tip": "Dismiss" }, "×");
        close.addEventListener("click", () => li.remove());
        li.append(close);
      },
    };
  }
}
