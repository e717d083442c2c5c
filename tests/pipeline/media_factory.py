"""Real test media, generated once per test session: synthetic speech
(espeak-ng + sox), a face video from a public-domain photo, a faceless video,
silence and corrupt files.

English speech uses the ``en-us`` voice. Mandarin uses ``cmn-latn-pinyin``
from pinyin input (the plain ``cmn`` voice mispronounces Chinese characters
on this espeak-ng), with the ``f4`` variant, which Whisper base recognises
noticeably better than the default male voice.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from skimage import data as skimage_data

SPEECH_RATE = 16_000
VIDEO_FPS = 15

TELLER_QUESTION_EN = "How would you handle a customer who says the cash count is wrong?"
TELLER_QUESTION_ZH = "客户说点钞数目不对，你会怎么处理？"
TELLER_SAMPLE_ANSWER_EN = (
    "I stay calm and polite, apologise for the inconvenience and recount the cash with the customer at the "
    "counter. I check the counting machine log and the surveillance camera recording. If there is a "
    "discrepancy I report it to my supervisor and correct it according to the bank's procedure, then I "
    "explain the result to the customer."
)
TELLER_SAMPLE_ANSWER_ZH = (
    "我会先安抚客户的情绪，礼貌地道歉，然后当着客户的面重新清点现金，查看点钞机记录和监控录像。"
    "如果确实有差错，我会立即向主管报告，按照银行的规定和流程处理，并向客户解释结果。"
)
TELLER_RUBRIC_EN = (
    "calm|apologi|polite",
    "recount|count again|count the cash",
    "camera|video|surveillance|cctv",
    "supervisor|manager",
    "procedure|policy|rule",
)
TELLER_RUBRIC_ZH = (
    "安抚|道歉|礼貌",
    "情绪",
    "重新清点|再数|重新点|当面|当着客户的面",
    "监控|录像|点钞机记录",
    "主管|报告",
    "流程|规定|制度",
)

RELEVANT_ANSWER_EN = (
    "First, I would stay calm and thank the customer for telling me. "
    "Then I would recount the cash together with the customer and check the camera video. "
    "If there is a difference, I report it to my supervisor and follow the bank procedure."
)
OFF_TOPIC_ANSWER_EN = (
    "On weekends I like to go hiking in the mountains with my friends. "
    "We usually cook dinner together and watch a football match in the evening."
)
ONE_SENTENCE_ANSWER_EN = (
    "I would recount the cash together with the customer and report any difference to my supervisor."
)
KEYWORD_LIST_ANSWER_EN = (
    "Calm, apologise, polite, recount, count again, count the cash, camera, video, surveillance, CCTV, "
    "supervisor, manager, procedure, policy, rule."
)
"""The teller rubric recited word for word: gaming, not an answer."""
RELEVANT_ANSWER_ZH_PINYIN = (
    "shou3 xian1, wo3 hui4 an1 fu3 ke4 hu4 de5 qing2 xu4, xiang4 ke4 hu4 dao4 qian4. "
    "ran2 hou4, wo3 hui4 dang1 zhe5 ke4 hu4 de5 mian4, zai4 shu3 yi2 bian4. "
    "ru2 guo3 que4 shi2 you3 cha1 cuo4, wo3 hui4 li4 ke4 xiang4 zhu3 guan3 bao4 gao4, "
    "an4 zhao4 yin2 hang2 de5 liu2 cheng2 chu3 li3."
)
"""首先，我会安抚客户的情绪，向客户道歉。然后，我会当着客户的面，再数一遍。
如果确实有差错，我会立刻向主管报告，按照银行的流程处理。"""
OFF_TOPIC_ANSWER_ZH_PINYIN = (
    "wo3 zhou1 mo4 xi3 huan1 he2 peng2 you3 qu4 pa2 shan1, wan3 shang4 wo3 men5 yi4 qi3 chi1 huo3 guo1. "
    "you3 shi2 hou4 wo3 men5 ye3 kan4 zu2 qiu2 bi3 sai4."
)
"""我周末喜欢和朋友去爬山，晚上我们一起吃火锅。有时候我们也看足球比赛。"""


@dataclass(frozen=True)
class TestMedia:
    english_relevant_wav: Path
    english_off_topic_wav: Path
    english_one_sentence_wav: Path
    english_keyword_list_wav: Path
    mandarin_relevant_wav: Path
    mandarin_off_topic_wav: Path
    english_relevant_noise_10db_wav: Path
    english_relevant_noise_0db_wav: Path
    silent_wav: Path
    face_video_mp4: Path
    faceless_video_webm: Path
    speech_m4a: Path
    garbage_webm: Path
    truncated_mp4: Path


def build_test_media(directory: Path) -> TestMedia:
    """Write every test file into ``directory`` (which must exist)."""
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} is needed to build the test media: apt-get install -y espeak-ng sox")
    english_relevant = synthesise_speech(RELEVANT_ANSWER_EN, "en-us", directory / "english_relevant.wav")
    mandarin_relevant = synthesise_speech(
        RELEVANT_ANSWER_ZH_PINYIN, "cmn-latn-pinyin+f4", directory / "mandarin_relevant.wav", words_per_minute=150
    )
    truncated = directory / "truncated.mp4"
    face_video = write_face_video(directory / "face.mp4", english_relevant)
    truncated.write_bytes(face_video.read_bytes()[:4096])
    garbage = directory / "garbage.webm"
    garbage.write_bytes(b"\x00\x01this is not a recording\xff" * 200)
    return TestMedia(
        english_relevant_wav=english_relevant,
        english_off_topic_wav=synthesise_speech(OFF_TOPIC_ANSWER_EN, "en-us", directory / "english_off_topic.wav"),
        english_one_sentence_wav=synthesise_speech(
            ONE_SENTENCE_ANSWER_EN, "en-us", directory / "english_one_sentence.wav"
        ),
        english_keyword_list_wav=synthesise_speech(
            KEYWORD_LIST_ANSWER_EN, "en-us", directory / "english_keyword_list.wav"
        ),
        mandarin_relevant_wav=mandarin_relevant,
        mandarin_off_topic_wav=synthesise_speech(
            OFF_TOPIC_ANSWER_ZH_PINYIN, "cmn-latn-pinyin+f4", directory / "mandarin_off_topic.wav", words_per_minute=150
        ),
        english_relevant_noise_10db_wav=mix_white_noise(english_relevant, 10.0, directory / "english_noise_10db.wav"),
        english_relevant_noise_0db_wav=mix_white_noise(english_relevant, 0.0, directory / "english_noise_0db.wav"),
        silent_wav=write_silence(directory / "silent.wav", seconds=6.0),
        face_video_mp4=face_video,
        faceless_video_webm=write_faceless_video(directory / "faceless.webm", english_relevant),
        speech_m4a=write_audio_only_m4a(directory / "speech.m4a", english_relevant),
        garbage_webm=garbage,
        truncated_mp4=truncated,
    )


def synthesise_speech(text: str, voice: str, target: Path, words_per_minute: int = 160) -> Path:
    """espeak-ng speech, resampled by sox to 16 kHz mono like a browser upload
    after transcoding."""
    raw = target.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(words_per_minute), "-w", str(raw), text], check=True)
    subprocess.run(["sox", "-q", str(raw), "-r", str(SPEECH_RATE), "-c", "1", str(target), "norm", "-3"], check=True)
    raw.unlink()
    return target


def sox_rms(path: Path) -> float:
    """RMS amplitude of a file, as sox's ``stat`` effect reports it."""
    report = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True, check=True).stderr
    for line in report.splitlines():
        if line.startswith("RMS     amplitude"):
            return float(line.split(":")[1])
    raise RuntimeError(f"sox reported no RMS amplitude for {path}")


def mix_white_noise(speech_wav: Path, snr_db: float, target: Path) -> Path:
    """``speech_wav`` with white noise mixed in at ``snr_db`` (speech RMS over the whole file
    against noise RMS), all with sox; the mix is normalised to -3 dBFS so nothing clips. ``-R`` seeds
    sox's noise generator, so every run hears the same noise."""
    duration = subprocess.run(["soxi", "-D", str(speech_wav)], capture_output=True, text=True, check=True).stdout
    raw_noise = target.with_suffix(".whitenoise.wav")
    noise = target.with_suffix(".noise.wav")
    subprocess.run(
        ["sox", "-R", "-n", "-r", str(SPEECH_RATE), "-c", "1", str(raw_noise), "synth", duration.strip(), "whitenoise"],
        check=True,
    )
    gain = sox_rms(speech_wav) * 10 ** (-snr_db / 20) / sox_rms(raw_noise)
    subprocess.run(["sox", str(raw_noise), str(noise), "vol", f"{gain:.6f}"], check=True)
    subprocess.run(
        ["sox", "-m", "-v", "1", str(speech_wav), "-v", "1", str(noise), str(target), "norm", "-3"], check=True
    )
    raw_noise.unlink()
    noise.unlink()
    return target


def write_silence(target: Path, seconds: float) -> Path:
    """Room-noise-level silence (about -60 dBFS), not digital zeros."""
    noise = np.random.default_rng(7).normal(0.0, 0.001, int(seconds * SPEECH_RATE)).astype(np.float32)
    with av.open(str(target), mode="w") as container:
        stream = container.add_stream("pcm_s16le", rate=SPEECH_RATE, layout="mono")
        _encode_audio(container, stream, noise)
    return target


def read_wav(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return (
            np.concatenate([frame.to_ndarray().reshape(-1) for frame in container.decode(audio=0)]).astype(np.float32)
            / 32768.0
        )


def face_frames(frame_count: int) -> list[np.ndarray]:
    """NASA's portrait of Eileen Collins (public domain, shipped with
    scikit-image) with small per-frame shifts, zoom and tilt, like a candidate
    moving slightly in front of a webcam."""
    portrait = skimage_data.astronaut()
    height, width = portrait.shape[:2]
    frames = []
    for index in range(frame_count):
        angle = 3.0 * np.sin(index / 9)
        zoom = 1.0 + 0.03 * np.sin(index / 13)
        transform = cv2.getRotationMatrix2D((width / 2, height / 2), angle, zoom)
        transform[0, 2] += 6.0 * np.sin(index / 7)
        transform[1, 2] += 4.0 * np.cos(index / 11)
        frames.append(cv2.warpAffine(portrait, transform, (width, height), borderMode=cv2.BORDER_REFLECT))
    return frames


def gradient_frames(frame_count: int, width: int = 320, height: int = 240) -> list[np.ndarray]:
    """A slowly moving colour gradient: picture content without any face."""
    columns = np.linspace(0, 255, width)
    frames = []
    for index in range(frame_count):
        shifted = (columns + 4 * index) % 256
        red = np.tile(shifted, (height, 1))
        green = np.tile(np.linspace(0, 255, height)[:, None], (1, width))
        blue = np.full((height, width), (index * 3) % 256)
        frames.append(np.stack([red, green, blue], axis=-1).astype(np.uint8))
    return frames


def write_face_video(target: Path, speech_wav: Path) -> Path:
    audio = read_wav(speech_wav)
    frames = face_frames(int(len(audio) / SPEECH_RATE * VIDEO_FPS))
    return _write_video(target, frames, audio, video_codec="libx264", audio_codec="aac")


def write_faceless_video(target: Path, speech_wav: Path) -> Path:
    audio = read_wav(speech_wav)
    frames = gradient_frames(int(len(audio) / SPEECH_RATE * VIDEO_FPS))
    return _write_video(target, frames, audio, video_codec="libvpx-vp9", audio_codec="libopus")


def write_audio_only_m4a(target: Path, speech_wav: Path) -> Path:
    with av.open(str(target), mode="w") as container:
        stream = container.add_stream("aac", rate=SPEECH_RATE, layout="mono")
        _encode_audio(container, stream, read_wav(speech_wav))
    return target


def _write_video(target: Path, frames: list[np.ndarray], audio: np.ndarray, video_codec: str, audio_codec: str) -> Path:
    with av.open(str(target), mode="w") as container:
        video = container.add_stream(video_codec, rate=VIDEO_FPS)
        video.width, video.height = frames[0].shape[1], frames[0].shape[0]
        video.pix_fmt = "yuv420p"
        audio_rate = 48_000 if audio_codec == "libopus" else SPEECH_RATE
        audio_stream = container.add_stream(audio_codec, rate=audio_rate, layout="mono")
        for index, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = index
            frame.time_base = Fraction(1, VIDEO_FPS)
            container.mux(video.encode(frame))
        container.mux(video.encode())
        _encode_audio(container, audio_stream, audio)
    return target


def _encode_audio(container, stream, samples: np.ndarray) -> None:
    """Feed 16 kHz float samples; PyAV resamples and re-frames to the codec."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)
    for start in range(0, len(pcm), 4096):
        chunk = pcm[start : start + 4096]
        frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SPEECH_RATE
        frame.pts = start
        frame.time_base = Fraction(1, SPEECH_RATE)
        container.mux(stream.encode(frame))
    container.mux(stream.encode())
