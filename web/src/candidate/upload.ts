// Resumable upload of one recording with the tus protocol (server: gateway/resumable_uploads.py).
// The recording goes in chunks; after a dropped connection the client asks the server how many bytes
// arrived (HEAD) and continues from there. While the browser is offline nothing is retried; the upload
// resumes by itself on the browser's `online` event.
import { Upload } from "tus-js-client";

// 256 KiB a request: a break loses little, and at the gateway's default 600 requests a minute per address
// an upload can still reach 2.5 MB/s.
export const CHUNK_BYTES = 256 * 1024;
const RETRY_DELAYS_MS = [0, 1000, 2000, 4000, 8000];

export type UploadState =
  | { kind: "uploading"; sent: number; total: number }
  | { kind: "offline"; sent: number; total: number }
  | { kind: "done"; total: number }
  | { kind: "failed"; message: string; codes: string[] };

export interface RecordingUpload {
  abort(): void;
  resume(): void;
}

function refusal(error: Error): { message: string; codes: string[] } {
  const response = (error as { originalResponse?: { getBody(): string } | null }).originalResponse;
  try {
    const body = JSON.parse(response?.getBody() ?? "") as { errors?: { message: string; code: string }[] };
    if (body.errors?.length) {
      return { message: body.errors.map((e) => e.message).join("; "), codes: body.errors.map((e) => e.code) };
    }
  } catch {
    // not a JSON refusal: a network or protocol error
  }
  return { message: error.message, codes: [] };
}

export function uploadRecording(
  token: string,
  questionId: string,
  recording: Blob,
  onState: (state: UploadState) => void,
): RecordingUpload {
  let sent = 0;
  const total = recording.size;
  let finished = false;
  const upload = new Upload(recording, {
    endpoint: `/interview/${encodeURIComponent(token)}/answers/${encodeURIComponent(questionId)}/uploads`,
    chunkSize: CHUNK_BYTES,
    retryDelays: RETRY_DELAYS_MS,
    storeFingerprintForResuming: false, // the upload URL holds the invitation token: keep it out of localStorage
    removeFingerprintOnSuccess: true,
    metadata: { filetype: recording.type },
    onShouldRetry(error) {
      const status = error.originalResponse?.getStatus() ?? 0;
      // 409/423: another request was writing (ask the offset again); 429: the address's rate limit, wait
      const refused = status >= 400 && status < 500 && ![409, 423, 429].includes(status);
      return !refused && navigator.onLine;
    },
    onProgress(bytesSent, bytesTotal) {
      sent = bytesSent;
      onState({ kind: "uploading", sent: bytesSent, total: bytesTotal });
    },
    onSuccess() {
      finished = true;
      window.removeEventListener("online", resumeWhenOnline);
      onState({ kind: "done", total });
    },
    onError(error) {
      if (!navigator.onLine) {
        onState({ kind: "offline", sent, total });
        return; // resumed by the `online` listener
      }
      onState({ kind: "failed", ...refusal(error) });
    },
  });
  function resumeWhenOnline(): void {
    if (!finished) {
      onState({ kind: "uploading", sent, total });
      upload.start();
    }
  }
  window.addEventListener("online", resumeWhenOnline);
  onState({ kind: "uploading", sent: 0, total });
  upload.start();
  return {
    abort() {
      window.removeEventListener("online", resumeWhenOnline);
      void upload.abort(false);
    },
    resume: resumeWhenOnline,
  };
}
