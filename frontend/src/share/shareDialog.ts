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
import { iconButton } from "../ui/icons";
import { Dialog } from "../ui/overlay";

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
  private readonly dialog: Dialog;
  private readonly form: HTMLFormElement;
  private readonly daysError = h("p", { class: "ab-field-error", role: "alert", hidden: true, "data-testid": "share-days-error", id: "share-days-error" });
  private readonly revokeAllBox = h("div", { class: "ab-share-revoke-all", hidden: true });
  private readonly result = h("div", { class: "ab-share-result", "data-testid": "share-result" });
  private readonly error = h("div", { class: "ab-error-text", role: "alert", "data-testid": "share-error" });
  private readonly rows = h("tbody", { "data-testid": "share-links" });

  constructor(
    private readonly api: string,
    private readonly editor: Editor,
    private readonly selectedCandidates: () => string[],
  ) {
    this.button = iconButton({ icon: "share", label: "Share this board with a client", text: "Share", variant: "secondary", testid: "share-open", onClick: () => this.open() });
    this.dialog = new Dialog({ label: "Share this board", className: "ab-share" });
    const scope = h("select", { name: "scope", "data-testid": "share-scope" }, h("option", { value: "board" }, "the whole board"), h("option", { value: "frame" }, "the selected frame"), h("option", { value: "selection" }, "the selected candidates"));
    const days = h("input", { type: "number", name: "days", min: "1", max: "90", value: "14", "data-testid": "share-days", style: "width:4em", "aria-describedby": "share-days-error" });
    days.addEventListener("input", () => this.checkDays());
    const visibility = h("select", { name: "visibility", "data-testid": "share-visibility" }, h("option", { value: "final_only" }, "final results only"), h("option", { value: "all_candidates" }, "all candidates"));
    this.form = h(
      "form",
      { novalidate: true },
      h("label", {}, "Label ", h("input", { type: "text", name: "label", maxlength: "200", "data-testid": "share-label", placeholder: "e.g. Client review round 1" })),
      h("div", {}, h("label", {}, "Share ", scope)),
      h("fieldset", {}, h("legend", {}, "The client may"), checkbox("view", "view", true), checkbox("comment", "comment"), checkbox("approve", "approve / reject"), checkbox("download", "download originals")),
      h("div", {}, h("label", {}, "Show ", visibility), " ", checkbox("show_metadata", "prompts, engine and metadata"), checkbox("show_presence", "the team's cursors"), checkbox("show_decisions", "the team's verdicts")),
      h("div", {}, h("label", {}, "Expires in ", days, " days"), this.daysError, h("label", {}, "Password (optional) ", h("input", { type: "password", name: "password", autocomplete: "new-password", "data-testid": "share-password" }))),
      h("button", { type: "submit", class: "ab-btn primary", "data-testid": "share-create" }, "Create link"),
    );
    (this.form.querySelector('[name="view"]') as HTMLInputElement).disabled = true;
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.create();
    });
    const close = iconButton({ icon: "close", label: "Close", keys: "Esc", testid: "share-close", onClick: () => this.dialog.close() });
    this.dialog.box.dataset.testid = "share-dialog";
    this.dialog.box.append(
      h("div", { class: "ab-dialog-head" }, h("h3", {}, "Share with a client"), close),
      this.form,
      this.error,
      this.result,
      h("h4", {}, "Links of this board"),
      h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Label"), h("th", {}, "May"), h("th", {}, "Expires"), h("th", {}, "Last opened"), h("th", {}, ""))), this.rows),
      this.revokeAllBox,
    );
    // The backdrop is what the page appends; the dialog box carries the test id.
    this.element = this.dialog.element;
  }

  open(): void {
    this.result.replaceChildren();
    this.error.textContent = "";
    this.dialog.open();
    void this.refresh();
  }

  /** Expiry must be 1–90 whole days: said next to the field, not in a browser bubble. */
  private checkDays(): number | null {
    const input = this.field("days");
    const days = Number(input.value);
    const ok = input.value.trim() !== "" && Number.isInteger(days) && days >= 1 && days <= 90;
    this.daysError.hidden = ok;
    this.daysError.textContent = ok ? "" : "A link must expire in 1 to 90 whole days.";
    input.setAttribute("aria-invalid", String(!ok));
    return ok ? days : null;
  }

  private field(name: string): HTMLInputElement {
    return this.form.querySelector(`[name="${name}"]`) as HTMLInputElement;
  }

  private async create(): Promise<void> {
    const scope = this.field("scope").value;
    const days = this.checkDays();
    if (days === null) {
      this.field("days").focus();
      return;
    }
    const body: Record<string, unknown> = {
      scope,
      label: this.field("label").value.trim(),
      permissions: ["view", "comment", "approve", "download"].filter((p) => this.field(p).checked),
      expires_in_days: days,
      visibility: this.field("visibility").value,
      show_metadata: this.field("show_metadata").checked,
      show_presence: this.field("show_presence").checked,
      show_decisions: this.field("show_decisions").checked,
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
      this.showRevokeAll(links.filter((l) => !l.revoked_at && Date.parse(l.expires_at) >= Date.now()).length);
      this.rows.replaceChildren(
        ...(links.length ? [] : [h("tr", {}, h("td", { colspan: "5", class: "muted" }, "No links yet."))]),
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

  /** "Revoke all" only when some link still works, and only after a confirmation here. */
  private showRevokeAll(live: number): void {
    this.revokeAllBox.hidden = live === 0;
    if (!live) return;
    const ask = h("button", { type: "button", class: "ab-btn danger", "data-testid": "share-revoke-all" }, `Revoke all ${live} live link${live === 1 ? "" : "s"}…`);
    ask.addEventListener("click", () => {
      const yes = h("button", { type: "button", class: "ab-btn danger", "data-testid": "share-revoke-all-confirm" }, `Revoke ${live} link${live === 1 ? "" : "s"}`);
      const no = h("button", { type: "button", class: "ab-btn", "data-testid": "share-revoke-all-cancel" }, "Keep them");
      yes.addEventListener("click", () => void this.revokeAll());
      no.addEventListener("click", () => this.showRevokeAll(live));
      this.revokeAllBox.replaceChildren(
        h("p", { class: "ab-confirm-text", role: "alert" }, `Revoke every live link of this board? ${live === 1 ? "The client loses" : "Clients lose"} access at once; this cannot be undone.`),
        h("div", { class: "ab-confirm-actions" }, yes, no),
      );
      no.focus();
    });
    this.revokeAllBox.replaceChildren(ask);
  }

  private async revokeAll(): Promise<void> {
    try {
      const r = await apiJson<{ revoked: number }>("POST", `${this.api}/share-links/revoke-all`);
      this.result.textContent = `${r.revoked} link${r.revoked === 1 ? "" : "s"} revoked.`;
      await this.refresh();
    } catch (e) {
      this.error.textContent = (e as Error).message;
    }
  }
}
