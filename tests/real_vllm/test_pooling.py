"""Embeddings, pooling, score, rerank and classification against real vLLM pooling servers."""

from __future__ import annotations

from typing import Any

import pytest
from openai.types import CreateEmbeddingResponse

from .servers import Server, close

pytestmark = pytest.mark.real_vllm

TEXTS = ["The cat sits on the mat.", "A dog runs in the park.", "Stock markets fell today."]
QUERY = "Where is the cat?"


def test_embeddings_match_raw_vectors(pooling: Any, pooling_server: Server) -> None:
    response = pooling.embeddings.create(model=pooling_server.model, input=TEXTS)

    assert isinstance(response, CreateEmbeddingResponse)
    raw = pooling_server.post("/v1/embeddings", {"model": pooling_server.model, "input": TEXTS})
    assert [item.index for item in response.data] == [0, 1, 2]
    for item, raw_item in zip(response.data, raw["data"], strict=True):
        assert len(item.embedding) == 384
        assert close(item.embedding, raw_item["embedding"])
    assert response.usage.prompt_tokens == raw["usage"]["prompt_tokens"]
    assert response.model == pooling_server.model


def test_single_string_embedding(pooling: Any, pooling_server: Server) -> None:
    response = pooling.embeddings.create(model=pooling_server.model, input=TEXTS[0])

    raw = pooling_server.post("/v1/embeddings", {"model": pooling_server.model, "input": TEXTS[0]})
    assert len(response.data) == 1
    assert close(response.data[0].embedding, raw["data"][0]["embedding"])


def test_base64_embeddings_decode_to_the_same_vectors(pooling: Any, pooling_server: Server) -> None:
    response = pooling.embeddings.create(
        model=pooling_server.model, input=TEXTS[:2], encoding_format="base64"
    )

    raw = pooling_server.post("/v1/embeddings", {"model": pooling_server.model, "input": TEXTS[:2]})
    embedding = response.data[0].embedding
    if isinstance(embedding, str):  # the OpenAI SDK leaves base64 as a string when asked for it
        import base64
        import struct

        blob = base64.b64decode(embedding)
        embedding = list(struct.unpack(f"<{len(blob) // 4}f", blob))
    assert close(embedding, raw["data"][0]["embedding"])


def test_pooling_matches_raw(pooling: Any, pooling_server: Server) -> None:
    response = pooling.pooling.create(model=pooling_server.model, input=TEXTS[:2])

    raw = pooling_server.post("/pooling", {"model": pooling_server.model, "input": TEXTS[:2]})
    data = response["data"]
    assert len(data) == 2
    for item, raw_item in zip(data, raw["data"], strict=True):
        assert item["index"] == raw_item["index"]
        assert close(item["data"], raw_item["data"])
    assert response["usage"]["prompt_tokens"] == raw["usage"]["prompt_tokens"]


def test_score_text_pairs(pooling: Any, pooling_server: Server) -> None:
    response = pooling.score.create(model=pooling_server.model, text_1=QUERY, text_2=TEXTS)

    raw = pooling_server.post("/score", {"model": pooling_server.model, "text_1": QUERY, "text_2": TEXTS})
    scores = [item["score"] for item in response["data"]]
    assert close(scores, [item["score"] for item in raw["data"]])
    assert scores.index(max(scores)) == 0  # the cat sentence answers the cat question


def test_score_queries_documents_form(pooling: Any, pooling_server: Server) -> None:
    response = pooling.score.create(model=pooling_server.model, queries=QUERY, documents=TEXTS)

    raw = pooling_server.post("/score", {"model": pooling_server.model, "text_1": QUERY, "text_2": TEXTS})
    assert close([item["score"] for item in response["data"]], [item["score"] for item in raw["data"]])


def test_rerank_top_n(pooling: Any, pooling_server: Server) -> None:
    response = pooling.rerank.create(model=pooling_server.model, query=QUERY, documents=TEXTS, top_n=2)

    raw = pooling_server.post(
        "/rerank", {"model": pooling_server.model, "query": QUERY, "documents": TEXTS, "top_n": 2}
    )
    results = response["results"]
    assert len(results) == 2
    assert [r["index"] for r in results] == [r["index"] for r in raw["results"]]
    assert results[0]["index"] == 0
    assert close([r["relevance_score"] for r in results], [r["relevance_score"] for r in raw["results"]])
    assert results[0]["relevance_score"] >= results[1]["relevance_score"]


def test_classification_probabilities(classify: Any, classify_server: Server) -> None:
    inputs = ["I love this film.", "This is terrible."]
    response = classify.classification.create(model=classify_server.model, input=inputs)

    raw = classify_server.post("/classify", {"model": classify_server.model, "input": inputs})
    data = response["data"]
    assert len(data) == 2
    for item, raw_item in zip(data, raw["data"], strict=True):
        assert item["num_classes"] == 2
        assert close(item["probs"], raw_item["probs"], tol=1e-3)
        assert all(0.0 <= p <= 1.0 for p in item["probs"])
    assert response["usage"]["prompt_tokens"] == raw["usage"]["prompt_tokens"]


def test_embeddings_unknown_model(pooling: Any) -> None:
    import openai

    from openai_compatible_client import errors

    with pytest.raises(errors.NotFoundError) as caught:
        pooling.embeddings.create(model="no-such-embedder", input="x")
    assert isinstance(caught.value, openai.NotFoundError)
