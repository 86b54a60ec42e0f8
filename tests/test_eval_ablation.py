"""`pisar predict --ablate persona|screen|intent`: each adapter (kNN, API, local model) gets the row
with exactly that input blanked, the file is labelled MODEL+no-INPUT, and a file of another ablation
is never resumed. The API runs go through the official SDKs on a fake transport (MockTransport)."""

import json

import httpx2 as httpx  # the SDKs speak httpx2, the httpx fork they vendor
import pytest
from conftest import toy_rows

from eval.ablation import ABLATIONS, blank, label, split_label
from eval.knn import query_text
from pisar_data import load_dataset
from pisar_data.cli import main
from pisar_data.schema import COLUMNS
from pisar_data.task import user_prompt

# What each ablation changes in the user prompt: (the line of the full prompt, the line that replaces it).
PROMPT_LINE = {"persona": ("Persona: ", "Persona: (not given)"), "intent": ("Intent: ", "Intent: (not given)")}


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PISAR_CACHE_DIR", str(tmp_path / "cache"))


def test_blank_changes_exactly_the_named_input():
    row = toy_rows(1)[0]
    assert blank(row, None) is row
    for ablation, fields in ABLATIONS.items():
        blanked = blank(row, ablation)
        changed = {c for c in COLUMNS if blanked[c] != row[c]}
        assert changed == set(fields), ablation
        assert row["persona"] and row["screen"] is not None  # the input row is not modified
    assert blank(row, "persona")["persona_attributes"] == dict.fromkeys(row["persona_attributes"])
    assert blank(row, "screen")["screen"] is None and blank(row, "screen")["screen_text"] == ""
    assert (label("knn", "persona"), label("knn", None)) == ("knn+no-persona", "knn")
    assert split_label("openai:gpt-5.5+no-screen") == ("openai:gpt-5.5", "screen")
    assert split_label("run:qwen3-vl-8b/run+no-thing") == ("run:qwen3-vl-8b/run+no-thing", None)  # not an ablation we make


def _changed_lines(full: str, ablated: str) -> list[tuple[str, str]]:
    return [(a, b) for a, b in zip(full.splitlines(), ablated.splitlines()) if a != b]


class FakeEndpoint:
    """Records every request body; answers with a fixed prediction in the provider's format."""

    def __init__(self, provider):
        self.provider, self.bodies = provider, []

    def __call__(self, request):
        body = json.loads(request.content)
        self.bodies.append(body)
        text = json.dumps({"action_type": "uninstall", "action": "uninstalled the app", "rationale": "it crashed"})
        usage = {"input_tokens": 10, "output_tokens": 5, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0}
        if self.provider == "openai":
            return httpx.Response(200, json={"id": "c", "object": "chat.completion", "created": 0, "model": body["model"],
                                             "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                                             "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}})
        return httpx.Response(200, json={"id": "m", "type": "message", "role": "assistant", "model": body["model"], "stop_reason": "end_turn",
                                         "stop_sequence": None, "content": [{"type": "text", "text": text}], "usage": usage})

    def sent(self, body) -> tuple[str, bool]:
        """(the user prompt text, whether an image was sent) of a request body."""
        content = body["messages"][-1]["content"]
        return content[-1]["text"], any(part["type"] in ("image", "image_url") for part in content)


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
@pytest.mark.parametrize("ablation", ["persona", "intent", "screen"])
def test_api_adapters_receive_the_row_with_the_input_blanked(provider, ablation, built_dataset_dir, tmp_path, monkeypatch):
    import anthropic
    import openai

    endpoint = FakeEndpoint(provider)
    sdk = {"openai": openai, "anthropic": anthropic}[provider]
    client_class = {"openai": "OpenAI", "anthropic": "Anthropic"}[provider]
    real = getattr(sdk, client_class)
    monkeypatch.setattr(sdk, client_class, lambda **kw: real(**{**kw, "http_client": httpx.Client(transport=httpx.MockTransport(endpoint)), "max_retries": 0}))
    monkeypatch.setenv(f"{provider.upper()}_API_KEY", "test-key")
    model = {"openai": "openai:gpt-5.5", "anthropic": "anthropic:claude-opus-4-7"}[provider]
    preds = tmp_path / "preds.jsonl"
    argv = ["predict", "--model", model, "--data", str(built_dataset_dir), "--limit", "3", "--cache", str(tmp_path / "api.sqlite"), "--concurrency", "1"]
    assert main([*argv, "--out", str(tmp_path / "full.jsonl")]) == 0
    full = [endpoint.sent(b) for b in endpoint.bodies]
    endpoint.bodies.clear()
    assert main([*argv, "--ablate", ablation, "--out", str(preds)]) == 0
    ablated = [endpoint.sent(b) for b in endpoint.bodies]
    rows = list(load_dataset(built_dataset_dir, split="test").select(range(3)))
    # Requests identical after blanking are sent once (the client's in-flight de-duplication), so compare sets.
    assert {text for text, _ in full} == {user_prompt(row) for row in rows} and all(image for _, image in full)
    assert {text for text, _ in ablated} == {user_prompt(blank(row, ablation)) for row in rows}
    assert {image for _, image in ablated} == {ablation != "screen"}
    for row in rows:
        full_text, text = user_prompt(row), user_prompt(blank(row, ablation))
        if ablation == "screen":
            assert row["screen_text"].strip() and text.endswith("Visible text on the screen:\n(none)\n\nWhat does this person do on this screen, and why?")
            assert full_text.split("Visible text")[0] == text.split("Visible text")[0]  # persona, intent and app unchanged
        else:
            prefix, blanked = PROMPT_LINE[ablation]
            assert [(a.startswith(prefix), b) for a, b in _changed_lines(full_text, text)] == [(True, blanked)]
    records = [json.loads(line) for line in preds.read_text().splitlines()]
    assert {r["model"] for r in records} == {f"{model}+no-{ablation}"} and {r["action_type"] for r in records} == {"uninstall"}


def test_knn_retrieves_with_the_blanked_query(built_dataset_dir, tmp_path):
    from eval.semsim import SemSimScorer

    train = {r["id"]: r for r in load_dataset(built_dataset_dir, split="train").remove_columns("screen")}
    test = list(load_dataset(built_dataset_dir, split="test").remove_columns("screen").select(range(6)))
    scorer = SemSimScorer()
    train_ids = list(train)
    train_vectors = scorer.embed([query_text(train[i]) for i in train_ids])
    for ablation in (None, "persona", "intent", "screen"):
        out = tmp_path / f"knn-{ablation}.jsonl"
        extra = ["--ablate", ablation] if ablation else []
        assert main(["predict", "--model", "knn", "--data", str(built_dataset_dir), "--limit", "6", *extra, "--out", str(out)]) == 0
        records = [json.loads(line) for line in out.read_text().splitlines()]
        assert {r["model"] for r in records} == {label("knn", ablation)}
        full_best = [float((train_vectors @ scorer.embed([query_text(row)])[0]).max()) for row in test]
        assert ablation is None or any(abs(record["neighbor_similarity"] - best) > 1e-3 for record, best in zip(records, full_best))
        for row, record in zip(test, records):
            similarities = train_vectors @ scorer.embed([query_text(blank(row, ablation))])[0]  # against the full train rows
            assert record["neighbor_similarity"] == pytest.approx(float(similarities.max()), abs=1e-4)
            assert record["neighbor_similarity"] == pytest.approx(float(similarities[train_ids.index(record["neighbor_id"])]), abs=1e-4)
            assert record["action_type"] == train[record["neighbor_id"]]["action_type"]


def test_local_models_receive_the_blanked_rows(built_dataset_dir, tmp_path, monkeypatch):
    """The tiny random-weight VLM through eval.local_vlm: what reaches the model's forward()."""
    import torch

    from eval import local_vlm
    from pisar_data.task import SYSTEM_PROMPT, target_text
    from training.tiny import TinyConfig, build_tiny_base

    base = build_tiny_base(TinyConfig(), [SYSTEM_PROMPT] + [user_prompt(r) + target_text(r) for r in toy_rows(24)], tmp_path / "tiny", seed=0)
    model, processing = local_vlm._load(str(base))  # the model `pisar predict --model hf:BASE` loads (cached)
    seen = []

    def record_inputs(module, args, kwargs):  # one forward() per row: --max-new-tokens 1, batch size 1
        ids = kwargs["input_ids"][0]
        seen.append((processing.tokenizer.decode(ids), bool((ids == processing.image_token_id).any())))

    hook = model.register_forward_pre_hook(record_inputs, with_kwargs=True)
    try:
        rows = list(load_dataset(built_dataset_dir, split="test").select(range(1)))
        for ablation in (None, "persona", "intent", "screen"):
            seen.clear()
            extra = ["--ablate", ablation] if ablation else []
            out = tmp_path / f"local-{ablation}.jsonl"
            argv = ["predict", "--model", f"hf:{base}", "--data", str(built_dataset_dir), "--limit", "1", "--max-new-tokens", "1", "--batch-size", "1"]
            with torch.no_grad():
                assert main([*argv, *extra, "--out", str(out)]) == 0
            ((prompt, with_image),) = seen
            blanked = blank(rows[0], ablation)
            assert user_prompt(blanked) in prompt
            assert with_image == (ablation != "screen")
            assert json.loads(out.read_text())["model"] == label(f"hf:{base}", ablation)
    finally:
        hook.remove()


def test_resuming_a_file_of_another_ablation_is_refused(built_dataset_dir, tmp_path, capsys):
    preds = tmp_path / "knn.jsonl"
    argv = ["predict", "--model", "knn", "--data", str(built_dataset_dir), "--limit", "2", "--out", str(preds)]
    assert main(argv) == 0
    before = preds.read_bytes()
    assert main([*argv, "--ablate", "persona"]) == 2
    err = capsys.readouterr().err
    assert "holds predictions of 'knn' (no --ablate), not 'knn+no-persona' (--ablate persona); expected a new --out file for another ablation" in err
    assert main([*argv[:-1], str(tmp_path / "p.jsonl"), "--ablate", "persona"]) == 0
    assert main([*argv[:-1], str(tmp_path / "p.jsonl"), "--ablate", "screen"]) == 2
    assert "(--ablate persona), not 'knn+no-screen' (--ablate screen)" in capsys.readouterr().err
    assert main([*argv[:-1], str(tmp_path / "p.jsonl")]) == 2
    assert preds.read_bytes() == before  # nothing written to a refused file
    assert main([*argv, "--ablate", "everything"]) == 2
    assert "invalid choice: 'everything'" in capsys.readouterr().err
