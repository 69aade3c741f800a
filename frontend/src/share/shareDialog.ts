/**
 * The owner's "Share" dialog on the board page: create a client link (scope, permissions,
 * expiry, optional password, final-only or all candidates, metadata, presence, label), show
 * its URL once with a copy button, list the board's links (label, permissions, expiry, last
 * access) and revoke one or all. Calls the share-link API (docs/review.md).
 *
 * The token is shown only in the answer to the create call and never stored here.
 */
import { ApiError, apiJson } from "../review/api";
import type { Editor } from "../editor";
import { h } from "../ui/dom";

interface LinkRow {
  id: string;
  label: string;
  scope: string;
  permissions: string[];
  expires_at: string;
  revoked_at?: string | null;
  last_accessed_at?: string | null;
  visibility: string;
  has_password?: boolean;
  state?: string;
}

function checkbox(name: string, label: string, checked = false): HTMLLabelElement {
  return h("label", {}, h("input", { type: "checkbox", name, checked, "data-testid": `share-${name}` }), ` ${label} `);
}

export class ShareDialog {
  readonly element: HTMLElement;
  readonly button: HTMLButtonElement;
  private readonly form: HTMLFormElement;
  private readonly result = h("div", { class: "ab-share-result", "data-testid": "share-result" });
  private readonly error = h("div", { class: "ab-error-text", role: "alert", "data-testid": "share-error" });
  private readonly rows = h("tbody", { "data-testid": "share-links" });

  constructor(
    private readonly api: string,
    private readonly editor: Editor,
    private readonly selectedCandidates: () => string[],
  ) {
    this.button = h("button", { type: "button", class: "ab-btn", "data-testid": "share-open" }, "Share");
    this.button.addEventListener("click", () => this.open());
    const scope = h("select", { name: "scope", "data-testid": "share-scope" }, h("option", { value: "board" }, "the whole board"), h("option", { value: "frame" }, "the selected frame"), h("option", { value: "selection" }, "the selected candidates"));
    const days = h("input", { type: "number", name: "days", min: "1", max: "90", value: "14", "data-testid": "share-days", style: "width:4em" });
    const visibility = h("select", { name: "visibility", "data-testid": "share-visibility" }, h("option", { value: "final_only" }, "final results only"), h("option", { value: "all_candidates" }, "all candidates"));
    this.form = h(
      "form",
      {},
      h("label", {}, "Label ", h("input", { type: "text", name: "label", maxlength: "200", "data-testid": "share-label", placeholder: "e.g. Client review round 1" })),
      h("div", {}, h("label", {}, "Share ", scope)),
      h("fieldset", {}, h("legend", {}, "The client may"), checkbox("view", "view", true), checkbox("comment", "comment"), checkbox("approve", "approve / reject"), checkbox("download", "download originals")),
      h("div", {}, h("label", {}, "Show ", visibility), " ", checkbox("show_metadata", "prompts, engine and metadata"), checkbox("show_presence", "the team's cursors")),
      h("div", {}, h("label", {}, "Expires in ", days, " days"), " ", h("label", {}, "Password (optional) ", h("input", { type: "password", name: "password", autocomplete: "new-password", "data-testid": "share-password" }))),
      h("button", { type: "submit", class: "ab-btn primary", "data-testid": "share-create" }, "Create link"),
    );
    (this.form.querySelector('[name="view"]') as HTMLInputElement).disabled = true;
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.create();
    });
    const close = h("button", { type: "button", class: "ab-btn", "data-testid": "share-close" }, "Close");
    close.addEventListener("click", () => (this.element.hidden = true));
    const revokeAll = h("button", { type: "button", class: "ab-btn danger", "data-testid": "share-revoke-all" }, "Revoke all");
    revokeAll.addEventListener("click", () => void this.revokeAll());
    this.element = h(
      "div",
      { class: "ab-share", role: "dialog", "aria-label": "Share this board", hidden: true, "data-testid": "share-dialog" },
      h("div", { style: "display:flex;align-items:center" }, h("h3", { style: "margin:0" }, "Share with a client"), h("span", { class: "ab-spacer", style: "flex:1" }), close),
      this.form,
      this.error,
      this.result,
      h("h4", {}, "Links of this board"),
      h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Label"), h("th", {}, "May"), h("th", {}, "Expires"), h("th", {}, "Last opened"), h("th", {}, ""))), this.rows),
      revokeAll,
    );
    this.element.addEventListener("keydown", (e) => {
      if (e.key === "Escape") this.element.hidden = true;
      e.stopPropagation(); // typing here must not trigger canvas shortcuts
    });
  }

  open(): void {
    this.element.hidden = false;
    this.result.replaceChildren();
    this.error.textContent = "";
    void this.refresh();
  }

  private field(name: string): HTMLInputElement {
    return this.form.querySelector(`[name="${name}"]`) as HTMLInputElement;
  }

  private async create(): Promise<void> {
    const scope = this.field("scope").value;
    const body: Record<string, unknown> = {
      scope,
      label: this.field("label").value.trim(),
      permissions: ["view", "comment", "approve", "download"].filter((p) => this.field(p).checked),
      expires_in_days: Number(this.field("days").value) || 14,
      visibility: this.field("visibility").value,
      show_metadata: this.field("show_metadata").checked,
      show_presence: this.field("show_presence").checked,
    };
    const password = this.field("password").value;
    if (password) body.password = password;
    if (scope === "frame") {
      const frame = [...this.editor.selection].map((id) => this.editor.doc.get(id)).find((i) => i?.kind === "frame");
      if (!frame) {
        this.error.textContent = "Select a frame on the canvas first, or share the whole board.";
        return;
      }
      body.frame_id = frame.id;
    }
    if (scope === "selection") {
      body.iteration_ids = this.selectedCandidates();
      if (!(body.iteration_ids as string[]).length) {
        this.error.textContent = "Select result layers on the canvas first, or share the whole board.";
        return;
      }
    }
    this.error.textContent = "";
    try {
      const link = await apiJson<LinkRow & { url: string }>("POST", `${this.api}/share-links`, body);
      const url = h("input", { type: "text", readonly: true, class: "ab-token", value: link.url, "data-testid": "share-url" });
      const copy = h("button", { type: "button", class: "ab-btn", "data-testid": "share-copy" }, "Copy");
      copy.addEventListener("click", async () => {
        url.select();
        try {
          await navigator.clipboard.writeText(link.url);
          copy.textContent = "Copied";
        } catch {
          copy.textContent = "Press Ctrl/⌘+C";
        }
      });
      this.result.replaceChildren(h("p", {}, "Send this address to the client. It is shown only now: copy it before closing."), h("div", { style: "display:flex;gap:6px" }, url, copy));
      this.form.reset();
      await this.refresh();
    } catch (e) {
      this.error.textContent = e instanceof ApiError ? e.message : String(e);
    }
  }

  private async refresh(): Promise<void> {
    try {
      const links = await apiJson<LinkRow[]>("GET", `${this.api}/share-links`);
      // "Last opened" comes from each link's audit log (newest first; "accessed" is logged
      // once per visitor per hour).
      await Promise.all(
        links.map(async (l) => {
          try {
            const events = await apiJson<{ action: string; at: string }[]>("GET", `${this.api}/share-links/${l.id}/audit`);
            l.last_accessed_at = events.find((e) => e.action === "accessed")?.at ?? null;
          } catch {
            l.last_accessed_at = null;
          }
        }),
      );
      this.rows.replaceChildren(
        ...links.map((l) => {
          const revoked = Boolean(l.revoked_at);
          const expired = !revoked && Date.parse(l.expires_at) < Date.now();
          const revoke = h("button", { type: "button", class: "ab-btn small", "data-testid": "share-revoke", disabled: revoked || expired }, revoked ? "Revoked" : expired ? "Expired" : "Revoke");
          revoke.addEventListener("click", async () => {
            try {
              await apiJson("POST", `${this.api}/share-links/${l.id}/revoke`);
              await this.refresh();
            } catch (e) {
              this.error.textContent = (e as Error).message;
            }
          });
          return h(
            "tr",
            { "data-testid": "share-link-row", "data-id": l.id, "data-state": revoked ? "revoked" : expired ? "expired" : "live" },
            h("td", {}, l.label || "(no label)", l.has_password ? " 🔒" : ""),
            h("td", {}, l.permissions.join(", ")),
            h("td", {}, new Date(l.expires_at).toLocaleDateString()),
            h("td", {}, l.last_accessed_at ? new Date(l.last_accessed_at).toLocaleString() : "never"),
            h("td", {}, revoke),
          );
        }),
      );
    } catch (e) {
      this.error.textContent = (e as Error).message;
    }
  }

  private async revokeAll(): Promise<void> {
    if (!window.confirm("Revoke every share link of this board? Clients lose access at once.")) return;
    try {
      const r = await apiJson<{ revoked: number }>("POST", `${this.api}/share-links/revoke-all`);
      this.result.textContent = `${r.revoked} link${r.revoked === 1 ? "" : "s"} revoked.`;
      await this.refresh();
    } catch (e) {
      this.error.textContent = (e as Error).message;
    }
  }
}
