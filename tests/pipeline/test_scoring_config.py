"""The scoring configuration: validated, named, hashed, and the pipeline version derived from it."""

from __future__ import annotations

import dataclasses

import pytest

from workers.pipeline.config import (
    DEFAULT_FEATURE_WEIGHTS,
    PIPELINE_VERSION,
    SCORING_CONFIG_VERSION,
    InvalidScoringConfiguration,
    PipelineConfig,
)


def test_the_default_configuration_is_valid_and_its_weights_sum_to_one():
    config = PipelineConfig()
    assert sum(config.feature_weights.values()) == pytest.approx(1.0)
    assert config.version == SCORING_CONFIG_VERSION
    assert config.pipeline_version == f"{SCORING_CONFIG_VERSION}+{config.content_hash[:9]}" == PIPELINE_VERSION
    assert len(config.content_hash) == 64 and len(config.pipeline_version) <= 32


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"feature_weights": {"relevance": 0.5, "structure": 0.4}}, "feature_weights must sum to 1, got 0.9"),
        (
            {"feature_weights": {"relevance": 1.2, "structure": -0.2}},
            "feature_weights must be finite and non-negative: structure",
        ),
        ({"feature_weights": {"relevance": 0.5, "charisma": 0.5}}, "feature_weights name unknown features: charisma"),
        (
            {"similarity_ranges": {"all-MiniLM-L6-v2": (0.65, 0.10)}},
            "similarity_ranges[all-MiniLM-L6-v2] must be an increasing pair from -1, got (0.65, 0.1)",
        ),
        (
            {"english_words_per_minute": (170.0, 110.0)},
            "english_words_per_minute must be an increasing pair from 1e-09, got (170, 110)",
        ),
        ({"min_scored_weight_share": 1.5}, "min_scored_weight_share must lie in 0-1, got 1.5"),
        ({"relevance_for_full_form_credit": 0.0}, "relevance_for_full_form_credit must lie in (0, 1], got 0"),
        (
            {"quality_min_avg_logprob": -0.5, "quality_noisy_max_logprob": -0.7},
            "quality log-probabilities must satisfy quality_min_avg_logprob <= quality_noisy_max_logprob <= 0",
        ),
        ({"version": "2026.11.4+local"}, "version must be 1-22 characters without '+', got '2026.11.4+local'"),
    ],
)
def test_an_invalid_configuration_is_refused_with_each_problem(overrides, problem):
    with pytest.raises(InvalidScoringConfiguration) as refused:
        PipelineConfig(**overrides)
    assert problem in refused.value.problems
    with pytest.raises(InvalidScoringConfiguration):
        dataclasses.replace(PipelineConfig(), **overrides)


def test_the_same_configuration_gives_the_same_hash():
    rebuilt = PipelineConfig(feature_weights=dict(DEFAULT_FEATURE_WEIGHTS))
    assert rebuilt.content_hash == PipelineConfig().content_hash
    assert rebuilt.pipeline_version == PipelineConfig().pipeline_version
    reordered = PipelineConfig(feature_weights=dict(reversed(list(DEFAULT_FEATURE_WEIGHTS.items()))))
    assert reordered.content_hash == PipelineConfig().content_hash


def test_different_weights_or_thresholds_give_a_different_hash_and_pipeline_version():
    default = PipelineConfig()
    weights = dict(DEFAULT_FEATURE_WEIGHTS)
    weights["relevance"], weights["structure"] = 0.25, 0.05
    reweighted = PipelineConfig(feature_weights=weights)
    stricter = PipelineConfig(quality_min_snr_db=6.0)
    hashes = {default.content_hash, reweighted.content_hash, stricter.content_hash}
    assert len(hashes) == 3
    assert reweighted.pipeline_version != default.pipeline_version
    assert reweighted.version == default.version
    assert reweighted.parameters()["feature_weights"]["relevance"] == 0.25


def test_where_the_pipeline_runs_is_not_part_of_the_configuration(tmp_path):
    elsewhere = PipelineConfig(whisper_cache_dir=tmp_path, cpu_threads=8)
    assert elsewhere.content_hash == PipelineConfig().content_hash
    other_model = PipelineConfig(whisper_model_dir=tmp_path / "whisper-small")
    assert other_model.speech_model == "ctranslate2:whisper-small"
    assert other_model.content_hash != PipelineConfig().content_hash


def test_the_record_says_how_a_report_was_computed():
    record = PipelineConfig().record()
    assert record["version"] == SCORING_CONFIG_VERSION
    assert record["pipeline_version"] == PIPELINE_VERSION
    assert record["hash"] == PipelineConfig().content_hash
    parameters = record["parameters"]
    assert parameters["feature_weights"]["relevance"] == 0.2
    assert parameters["relevance_for_full_form_credit"] == 0.5
    assert parameters["similarity_ranges"]["all-MiniLM-L6-v2"] == [0.1, 0.65]
    assert parameters["speech_model"] == "whisper-base (faster-whisper, int8)"
    assert {"whisper_cache_dir", "cpu_threads", "whisper_model_dir"}.isdisjoint(parameters)
