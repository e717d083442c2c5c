// Camera and microphone: the stream for the preview and the recorder, and the devices to choose from.
import { useCallback, useEffect, useRef, useState } from "react";

export type DeviceProblem = "denied" | "missing" | null;

export interface Devices {
  stream: MediaStream | null;
  problem: DeviceProblem;
  cameras: MediaDeviceInfo[];
  microphones: MediaDeviceInfo[];
  cameraId: string;
  microphoneId: string;
  chooseCamera(id: string): void;
  chooseMicrophone(id: string): void;
  request(): void;
}

export function useDevices(active: boolean): Devices {
  const [stream, setStream] = useState<MediaStream | null>(null);
  const [problem, setProblem] = useState<DeviceProblem>(null);
  const [cameras, setCameras] = useState<MediaDeviceInfo[]>([]);
  const [microphones, setMicrophones] = useState<MediaDeviceInfo[]>([]);
  const [cameraId, setCameraId] = useState("");
  const [microphoneId, setMicrophoneId] = useState("");
  const [attempt, setAttempt] = useState(0);
  const current = useRef<MediaStream | null>(null);

  useEffect(() => {
    if (!active) return;
    let cancelled = false;
    async function open(): Promise<void> {
      if (!navigator.mediaDevices?.getUserMedia) {
        setProblem("missing");
        return;
      }
      try {
        const opened = await navigator.mediaDevices.getUserMedia({
          video: cameraId ? { deviceId: { exact: cameraId } } : { width: { ideal: 640 }, height: { ideal: 480 } },
          audio: microphoneId ? { deviceId: { exact: microphoneId } } : true,
        });
        if (cancelled) {
          opened.getTracks().forEach((track) => track.stop());
          return;
        }
        current.current?.getTracks().forEach((track) => track.stop());
        current.current = opened;
        setStream(opened);
        setProblem(null);
        const all = await navigator.mediaDevices.enumerateDevices();
        setCameras(all.filter((device) => device.kind === "videoinput"));
        setMicrophones(all.filter((device) => device.kind === "audioinput"));
        setCameraId(opened.getVideoTracks()[0]?.getSettings().deviceId ?? "");
        setMicrophoneId(opened.getAudioTracks()[0]?.getSettings().deviceId ?? "");
      } catch (error) {
        if (cancelled) return;
        const name = (error as DOMException).name;
        setProblem(name === "NotAllowedError" || name === "SecurityError" ? "denied" : "missing");
        setStream(null);
      }
    }
    void open();
    return () => {
      cancelled = true;
    };
    // cameraId/microphoneId changes come from chooseCamera/chooseMicrophone, which bump `attempt`
  }, [active, attempt]);

  useEffect(() => () => current.current?.getTracks().forEach((track) => track.stop()), []);

  const chooseCamera = useCallback((id: string) => {
    setCameraId(id);
    setAttempt((n) => n + 1);
  }, []);
  const chooseMicrophone = useCallback((id: string) => {
    setMicrophoneId(id);
    setAttempt((n) => n + 1);
  }, []);
  const request = useCallback(() => setAttempt((n) => n + 1), []);
  return { stream, problem, cameras, microphones, cameraId, microphoneId, chooseCamera, chooseMicrophone, request };
}

/** WebM as the browser records it (VP8/VP9 + Opus); null where MediaRecorder cannot make WebM. */
export function webmMimeType(): string | null {
  if (typeof MediaRecorder === "undefined") return null;
  for (const type of ["video/webm;codecs=vp8,opus", "video/webm;codecs=vp9,opus", "video/webm"]) {
    if (MediaRecorder.isTypeSupported(type)) return type;
  }
  return null;
}
