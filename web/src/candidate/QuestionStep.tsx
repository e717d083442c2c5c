// One question: its prompt and time limit, a countdown while recording, playback and re-record,
// then a resumable upload with a progress bar.
import { useEffect, useRef, useState } from "react";
import type { CandidateInvitationQuery } from "../generated/graphql";
import type { Devices } from "./devices";
import { webmMimeType } from "./devices";
import { formatSeconds, type Language, WORDS } from "./i18n";
import { type RecordingUpload, type UploadState, uploadRecording } from "./upload";

type Question = CandidateInvitationQuery["invitation"]["questions"][number];

interface Props {
  token: string;
  language: Language;
  question: Question;
  number: number;
  total: number;
  devices: Devices;
  onUploaded(): void;
}

type Phase =
  | { kind: "ready" }
  | { kind: "recording"; startedAt: number }
  | { kind: "recorded"; recording: Blob; url: string }
  | { kind: "upload"; recording: Blob; url: string; state: UploadState };

export function QuestionStep({ token, language, question, number, total, devices, onUploaded }: Props) {
  const words = WORDS[language];
  const [phase, setPhase] = useState<Phase>({ kind: "ready" });
  const [secondsLeft, setSecondsLeft] = useState(question.timeLimitSeconds);
  const recorder = useRef<MediaRecorder | null>(null);
  const upload = useRef<RecordingUpload | null>(null);
  const preview = useRef<HTMLVideoElement | null>(null);
  const mimeType = webmMimeType();

  useEffect(() => {
    if (preview.current && devices.stream && preview.current.srcObject !== devices.stream) {
      preview.current.srcObject = devices.stream;
    }
  });

  useEffect(() => {
    if (phase.kind !== "recording") return;
    const timer = window.setInterval(() => {
      const left = question.timeLimitSeconds - Math.floor((Date.now() - phase.startedAt) / 1000);
      setSecondsLeft(Math.max(0, left));
      if (left <= 0) stopRecording();
    }, 250);
    return () => window.clearInterval(timer);
  }, [phase, question.timeLimitSeconds]);

  useEffect(
    () => () => {
      upload.current?.abort();
      if (recorder.current?.state === "recording") recorder.current.stop();
    },
    [],
  );

  function startRecording(): void {
    if (!devices.stream || !mimeType) return;
    if (phase.kind === "recorded" || phase.kind === "upload") URL.revokeObjectURL(phase.url);
    const chunks: Blob[] = [];
    const started = new MediaRecorder(devices.stream, {
      mimeType,
      videoBitsPerSecond: 1_000_000,
      audioBitsPerSecond: 64_000,
    });
    started.ondataavailable = (event) => {
      if (event.data.size > 0) chunks.push(event.data);
    };
    started.onstop = () => {
      const recording = new Blob(chunks, { type: "video/webm" });
      setPhase({ kind: "recorded", recording, url: URL.createObjectURL(recording) });
    };
    recorder.current = started;
    started.start(1000);
    setSecondsLeft(question.timeLimitSeconds);
    setPhase({ kind: "recording", startedAt: Date.now() });
  }

  function stopRecording(): void {
    if (recorder.current?.state === "recording") recorder.current.stop();
  }

  function startUpload(recording: Blob, url: string): void {
    upload.current?.abort();
    upload.current = uploadRecording(token, question.questionId, recording, (state) => {
      setPhase({ kind: "upload", recording, url, state });
      if (state.kind === "done") onUploaded();
    });
  }

  const prompt = language === "zh" ? question.promptZh : question.promptEn;
  const uploadState = phase.kind === "upload" ? phase.state : null;
  const busy = phase.kind === "recording" || uploadState?.kind === "uploading" || uploadState?.kind === "offline";

  return (
    <section className="card" aria-labelledby={`question-${number}`}>
      <p className="eyebrow">{words.questionOf(number, total)}</p>
      <h2 id={`question-${number}`} className="prompt">
        {prompt}
      </h2>
      <p className="muted">
        {words.timeLimit(question.timeLimitSeconds)} ·{" "}
        <span data-testid="answer-state">{question.answered ? words.answered : words.notAnswered}</span>
      </p>
      {!mimeType && (
        <p className="alert" role="alert">
          {words.recorderUnsupported}
        </p>
      )}
      {(phase.kind === "ready" || phase.kind === "recording") && devices.stream && (
        <video ref={preview} className="media" autoPlay muted playsInline aria-label={words.preview} />
      )}
      {phase.kind === "recording" && (
        <div className="countdown" role="timer" aria-live="off">
          <span className="recording-dot" aria-hidden="true" /> {words.recording} {words.remaining}:{" "}
          <strong data-testid="countdown">{formatSeconds(secondsLeft)}</strong>
        </div>
      )}
      {(phase.kind === "recorded" || phase.kind === "upload") && (
        <video className="media" src={phase.url} controls playsInline aria-label={words.playback} />
      )}
      {uploadState && uploadState.kind !== "failed" && (
        <div className="upload">
          <label htmlFor={`progress-${number}`}>
            {uploadState.kind === "done" ? words.uploaded : words.uploadProgress}
          </label>
          <progress
            id={`progress-${number}`}
            max={uploadState.total}
            value={uploadState.kind === "done" ? uploadState.total : uploadState.sent}
          />
          <span className="muted" data-testid="upload-percent">
            {Math.round(
              (100 * (uploadState.kind === "done" ? uploadState.total : uploadState.sent)) /
                Math.max(1, uploadState.total),
            )}
            %
          </span>
        </div>
      )}
      {uploadState?.kind === "offline" && (
        <p className="alert" role="status">
          {words.offline}
        </p>
      )}
      {uploadState?.kind === "failed" && (
        <p className="alert error" role="alert">
          {words.uploadFailed}{" "}
          {uploadState.codes.length
            ? uploadState.codes.map((code) => words.uploadRefused[code] ?? uploadState.message).join(" ")
            : words.uploadUnreachable}
        </p>
      )}
      <div className="actions">
        {phase.kind === "ready" && (
          <button type="button" onClick={startRecording} disabled={!devices.stream || !mimeType}>
            {words.record}
          </button>
        )}
        {phase.kind === "recording" && (
          <button type="button" className="danger" onClick={stopRecording}>
            {words.stop}
          </button>
        )}
        {(phase.kind === "recorded" || (uploadState && uploadState.kind !== "done")) && !busy && (
          <button type="button" className="secondary" onClick={() => setPhase({ kind: "ready" })}>
            {words.rerecord}
          </button>
        )}
        {phase.kind === "recorded" && (
          <button type="button" onClick={() => startUpload(phase.recording, phase.url)}>
            {words.upload}
          </button>
        )}
        {phase.kind === "upload" && phase.state.kind === "failed" && !phase.state.codes.length && (
          <button type="button" onClick={() => startUpload(phase.recording, phase.url)}>
            {words.retryUpload}
          </button>
        )}
        {phase.kind === "upload" && phase.state.kind === "done" && (
          <button type="button" className="secondary" onClick={() => setPhase({ kind: "ready" })}>
            {words.rerecord}
          </button>
        )}
      </div>
    </section>
  );
}
