"""pisar_data.vlm: the input path training and eval share (prompt, image tokens, labels, decoding)."""

from __future__ import annotations

import pytest

from pisar_data.task import SYSTEM_PROMPT, target_text, user_prompt


def _rows(toy_dataset_dir, n=3):
    from training.data import load_split

    rows = load_split(toy_dataset_dir, "train")
    return [rows[i] for i in range(n)]


@pytest.fixture(scope="module", params=["qwen3_vl", "gemma4"])
def processing(request, toy_dataset_dir, tmp_path_factory):
    from pisar_data.vlm import VLMProcessing
    from training.tiny import TinyConfig, build_tiny_base

    rows = _rows(toy_dataset_dir)
    texts = [SYSTEM_PROMPT] + [t for r in rows for t in (user_prompt(r), target_text(r))]
    base = build_tiny_base(TinyConfig(family=request.param), texts, tmp_path_factory.mktemp(request.param), seed=0)
    options = {"max_pixels": 8192, "min_pixels": 1024} if request.param == "qwen3_vl" else {"max_soft_tokens": 70}
    return VLMProcessing.load(str(base), options)


def test_training_and_generation_share_the_prompt_and_mask_it(processing, toy_dataset_dir):
    from pisar_data.vlm import IGNORE_INDEX

    rows = _rows(toy_dataset_dir)
    rows[1] = {**rows[1], "rationale": rows[1]["rationale"] + " and a longer tail so the batch needs padding"}
    train = processing.encode_for_training(rows)
    gen = processing.encode_for_generation(rows)
    for i, row in enumerate(rows):
        mask = train["attention_mask"][i].bool()
        ids, labels = train["input_ids"][i][mask], train["labels"][i]
        assert (labels[~mask] == IGNORE_INDEX).all()  # padding (right) carries no loss
        prompt_len = int((labels[mask] == IGNORE_INDEX).sum())
        assert (labels[mask][:prompt_len] == IGNORE_INDEX).all() and (labels[mask][prompt_len:] != IGNORE_INDEX).all()
        generation_prompt = gen["input_ids"][i][gen["attention_mask"][i].bool()]  # left padding removed
        assert generation_prompt.tolist() == ids[:prompt_len].tolist()
        completion = processing.tokenizer.decode(labels[mask][prompt_len:].tolist())
        assert completion == target_text(row) + processing.family.end_of_turn
    assert gen["attention_mask"][:, -1].all() and not gen["attention_mask"][:, 0].all()  # left-padded
    image = train["input_ids"] == processing.image_token_id
    assert (train["mm_token_type_ids"].bool() == image).all()


def test_image_tokens_match_the_grid(processing, toy_dataset_dir):
    from pisar_data.vlm import image_token_counts

    rows = _rows(toy_dataset_dir, 2)
    ids, features = processing.encode_prompts(rows)
    counts = image_token_counts(processing.family, processing.image_processor(images=[r["screen"].convert("RGB") for r in rows], return_tensors="pt"), processing.image_processor)
    assert [seq.count(processing.image_token_id) for seq in ids] == counts and all(c > 0 for c in counts)
    if processing.family.model_type == "qwen3_vl":
        assert all(c <= 8192 // (32 * 32) for c in counts)  # max_pixels bounds the tokens per image
        assert features["image_grid_thw"].shape == (2, 3)
    broken = [list(ids[0]), ids[1]]
    broken[0].remove(processing.image_token_id)
    with pytest.raises(ValueError, match="do not match the image grid"):
        processing._check_image_tokens(broken, features)


def test_generation_is_cut_at_end_of_turn_and_thinking_removed(processing):
    answer = '{"action": "uninstalled the app", "rationale": "it crashed"}'
    thinking = "<think>let me see</think>" if processing.family.model_type == "qwen3_vl" else "<|channel>thought\nlet me see<channel|>"
    raw = thinking + answer + processing.family.end_of_turn + "trailing junk"
    ids = processing.tokenizer(raw, add_special_tokens=False)["input_ids"]
    assert processing.clean_generation(ids) == answer


def test_gemma_prompt_has_no_thinking_channel(processing, toy_dataset_dir):
    prompt = processing.prompt_text(_rows(toy_dataset_dir, 1)[0])
    assert "<|channel>" not in prompt and "<think>" not in prompt
    assert prompt.endswith("<|im_start|>assistant\n" if processing.family.model_type == "qwen3_vl" else "<|turn>model\n")


def test_our_expansion_equals_the_official_processors(processing, toy_dataset_dir):
    """Without torchvision the processor cannot be built, but its placeholder rule can be called:
    our expansion must produce exactly the text the model authors' processor would."""
    from types import SimpleNamespace

    import transformers

    from pisar_data.vlm import image_token_counts

    family = processing.family
    images = [r["screen"].convert("RGB") for r in _rows(toy_dataset_dir, 2)]
    features = processing.image_processor(images=images, return_tensors="np")
    if family.model_type == "qwen3_vl":
        rule = transformers.Qwen3VLProcessor.replace_image_token
        owner = SimpleNamespace(image_processor=processing.image_processor, image_token=family.image_token)
    else:
        rule = transformers.Gemma4Processor.replace_image_token
        owner = SimpleNamespace(boi_token="<|image>", eoi_token="<image|>", image_token=family.image_token)
    counts = image_token_counts(family, features, processing.image_processor)
    ours = processing._expand(f"a{family.image_token}b{family.image_token}c", list(counts))
    assert ours == f"a{rule(owner, features, 0)}b{rule(owner, features, 1)}c"
