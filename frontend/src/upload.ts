/**
 * Uploading image files to the board's library (POST {api_base}/boards/<id>/assets,
 * multipart field `file`, session cookie + X-CSRFToken). XMLHttpRequest rather than fetch
 * because only XHR reports upload progress. Turns every failure into a sentence a designer
 * can act on, preferring the API's own `{"error": {"message"}}`.
 *
 * It must not place anything on the canvas; the caller turns the returned asset into a
 * create operation.
 */
import type { AssetData } from "./protocol";

export class UploadError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export function csrfToken(cookie: string): string {
  for (const part of cookie.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === "csrftoken") return decodeURIComponent(v.join("="));
  }
  return "";
}

/** The message to show for a failed upload response. */
export function uploadErrorFrom(status: number, body: string, fileName: string): UploadError {
  try {
    const data = JSON.parse(body) as { error?: { code?: string; message?: string } };
    if (data.error?.message) return new UploadError(data.error.message, data.error.code ?? "error");
  } catch {
    // not JSON: fall through to a generic sentence
  }
  if (status === 413) return new UploadError(`${fileName} is too large to upload.`, "too_large");
  if (status === 403) {
    return new UploadError("You cannot add images to this board (or your session expired — reload the page).", "forbidden");
  }
  if (status === 0) return new UploadError(`${fileName} could not be sent: the server is unreachable.`, "network");
  return new UploadError(`${fileName} could not be uploaded (server answered ${status}). Try again.`, "http_" + status);
}

export function parseUploadResponse(body: string): AssetData[] {
  const data = JSON.parse(body) as { items?: AssetData[] };
  if (!Array.isArray(data.items)) throw new UploadError("The server's answer had no uploaded image in it.", "bad_response");
  return data.items;
}

export function uploadImage(
  url: string,
  file: File,
  csrf: string,
  onProgress: (fraction: number) => void,
): { promise: Promise<AssetData[]>; abort: () => void } {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<AssetData[]>((resolve, reject) => {
    xhr.open("POST", url);
    xhr.withCredentials = true;
    xhr.setRequestHeader("X-CSRFToken", csrf);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (ev) => {
      if (ev.lengthComputable) onProgress(ev.loaded / ev.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(parseUploadResponse(xhr.responseText));
        } catch (err) {
          reject(err instanceof UploadError ? err : new UploadError("The server's answer could not be read.", "bad_response"));
        }
      } else {
        reject(uploadErrorFrom(xhr.status, xhr.responseText, file.name));
      }
    };
    xhr.onerror = () => reject(uploadErrorFrom(0, "", file.name));
    xhr.onabort = () => reject(new UploadError(`Upload of ${file.name} was cancelled.`, "aborted"));
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}
