"""Benchmark: score a 5-answer, 5-minute video interview end to end on this machine.

Measures wall time, the real-time factor of each stage (stage seconds / recorded
seconds) and the peak memory of the scoring process. Run by hand, one process per
configuration so peak memory is not shared:

    .venv/bin/python benchmarks/score_interview.py                      # deployment defaults
    .venv/bin/python benchmarks/score_interview.py --beam-size 1 --vision-fps 5

Results go to BENCHMARKS.md (with the machine and date).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing
import platform
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.pipeline.media_factory import synthesise_speech, write_face_video  # noqa: E402
from workers.pipeline import DimensionSpec, PipelineConfig, QuestionSpec, fuse_interview, score_answer  # noqa: E402
from workers.pipeline.media import decode_speech_audio, probe_media  # noqa: E402
from workers.pipeline.speech import transcribe_answer  # noqa: E402
from workers.pipeline.text import analyse_answer_text  # noqa: E402
from workers.pipeline.types import AnswerEvidence  # noqa: E402
from workers.pipeline.vision import analyse_video  # noqa: E402

ANSWER_TEXT = (
    "When a customer tells me the cash count is wrong, I first stay calm and apologise for the trouble. "
    "I invite the customer to watch while I recount the notes at the counter, slowly and one by one. "
    "I also check the counting machine log and ask my supervisor to review the surveillance camera recording. "
    "If we find a discrepancy, I correct it according to the bank's procedure and record the incident. "
    "If the amount was right, I explain the result politely and show the customer the evidence. "
    "Afterwards I think about how to prevent it: counting in front of the customer, using the machine twice, "
    "and keeping the counter tidy so that no note is left aside. In my last job at a branch in Shanghai, "
    "I handled about forty such cases a year, and every time the customer left satisfied, because the process "
    "was transparent and fair, and because I listened first before explaining what had happened."
)
QUESTION = QuestionSpec(
    question_id="q",
    prompt="How would you handle a customer who says the cash count is wrong?",
    language="en",
    sample_answers=(
        "I stay calm, apologise, recount with the customer, check the camera and report to my supervisor.",
    ),
    rubric_keywords=("calm|apologi", "recount", "camera|surveillance", "supervisor", "procedure"),
)


def build_answer(directory: Path, seconds: float) -> Path:
    """One answer of about ``seconds``: espeak-ng speech muxed with a moving real face (512×512, 15 fps)."""
    words = ANSWER_TEXT.split()
    words_per_minute = max(80, int(len(words) / seconds * 60))
    speech = synthesise_speech(ANSWER_TEXT, "en-us", directory / "answer.wav", words_per_minute=words_per_minute)
    return write_face_video(directory / "answer.mp4", speech)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=5)
    parser.add_argument("--answer-seconds", type=float, default=60.0)
    parser.add_argument("--beam-size", type=int, default=PipelineConfig().whisper_beam_size)
    parser.add_argument("--vision-fps", type=float, default=PipelineConfig().vision_sample_fps)
    parser.add_argument("--pose-fps", type=float, default=PipelineConfig().pose_sample_fps)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    config = PipelineConfig(
        whisper_beam_size=args.beam_size,
        vision_sample_fps=args.vision_fps,
        pose_sample_fps=args.pose_fps,
        cpu_threads=args.threads,
    )
    with tempfile.TemporaryDirectory() as folder:
        # Built in a child process: encoding holds every frame in memory, which is not the worker's peak.
        with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as builder:
            media = builder.submit(build_answer, Path(folder), args.answer_seconds).result()
        recorded = probe_media(media).duration_seconds * args.answers
        stages: dict[str, float] = {}
        warm_up = time.perf_counter()
        analyse_answer_text("warm up", "en", QUESTION, config)
        transcribe_answer(decode_speech_audio(media)[: 16_000 * 2], config)
        model_load_seconds = time.perf_counter() - warm_up

        # End to end, as the worker runs it (speech and vision of an answer side by side).
        started = time.perf_counter()
        evidences = [
            dataclasses.replace(score_answer(media, QUESTION, config, biometric_consent=True), question_id=f"q{index}")
            for index in range(args.answers)
        ]
        dimensions = [DimensionSpec("service", "服务意识", "Service", 1.0, tuple(f"q{i}" for i in range(args.answers)))]
        result = fuse_interview(evidences, dimensions, config)
        wall = time.perf_counter() - started

        # Each stage alone, on one answer, for the real-time factor per stage.
        one_answer = probe_media(media).duration_seconds
        mark = time.perf_counter()
        audio = decode_speech_audio(media)
        stages["decode_audio"] = time.perf_counter() - mark
        mark = time.perf_counter()
        speech = transcribe_answer(audio, config)
        stages["speech"] = time.perf_counter() - mark
        mark = time.perf_counter()
        text = analyse_answer_text(speech.transcript, speech.language, QUESTION, config)
        stages["text"] = time.perf_counter() - mark
        mark = time.perf_counter()
        vision = analyse_video(media, config, biometric_consent=True)
        stages["vision"] = time.perf_counter() - mark
        mark = time.perf_counter()
        fuse_interview([AnswerEvidence("q0", speech, vision, text)], dimensions[:1], config)
        stages["fusion"] = time.perf_counter() - mark

    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, python {platform.python_version()}",
                "config": {
                    "beam_size": args.beam_size,
                    "vision_fps": args.vision_fps,
                    "pose_fps": args.pose_fps,
                    "threads": args.threads,
                },
                "answers": args.answers,
                "recorded_seconds": round(recorded, 1),
                "model_load_seconds": round(model_load_seconds, 1),
                "scoring_wall_seconds": round(wall, 1),
                "speed_vs_real_time": round(recorded / wall, 1),
                "real_time_factor_per_stage": {
                    stage: round(seconds / one_answer, 3) for stage, seconds in stages.items()
                },
                "peak_memory_mib": round(peak_mib),
                "total_score": result.total,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
