"""The smoke profile end to end: every notebook runs, and its numbers move the right way.

It writes into `outputs/smoke/` (the executed notebooks are what nbval then re-checks) and
resumes: a notebook whose inputs did not change since its last success is not rerun.
"""

from __future__ import annotations

import json

import pytest

from helpers import paths
from helpers.runner import available_stages, run_profile

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smoke_run():
    import os

    os.environ.pop(paths.OUTPUTS_ROOT_ENV, None)
    os.environ.pop(paths.WRITE_DIR_ENV, None)
    status = run_profile("smoke", resume=True)
    assert status == 0, "the smoke study failed; see the runner output above"
    return paths.profile_dir("smoke")


def _metrics(root, stage):
    if stage not in available_stages():
        pytest.skip(f"notebook {stage} does not exist yet")
    return json.loads((root / stage / "metrics.json").read_text())


def test_every_notebook_finished(smoke_run):
    run = json.loads((smoke_run / "run_manifest.json").read_text())
    assert set(run["stages"]) == set(available_stages())
    for stage in available_stages():
        manifest = json.loads((smoke_run / stage / "manifest.json").read_text())
        assert manifest["status"] == "ok" and (smoke_run / stage / f"{stage}.html").is_file()


def test_data_stage_builds_every_dataset_and_an_informative_scorer(smoke_run):
    metrics = _metrics(smoke_run, "00_data")
    assert all(rows > 0 for rows in metrics["rows"].values())
    assert 0.8 < metrics["scorer"]["auc"]["all"] < 0.995
    assert set(metrics["scorer"]["auc"]) == {"en", "fr", "de", "es", "all"}
    assert metrics["planted_vs_recovered_max_abs_difference"] < 0.2  # smoke sizes: a few hundred rows per rate
    assert metrics["tokenizer_vocab_size"] == 1000


def test_metrics_hold_results_only(smoke_run):
    for stage in available_stages():
        text = (smoke_run / stage / "metrics.json").read_text()
        assert "seconds" not in text and str(paths.PROJECT_ROOT) not in text, stage


def test_pretraining_learned_with_equal_budgets_and_planted_language_shares(smoke_run):
    import math

    import yaml

    metrics = _metrics(smoke_run, "01_pretraining")
    data = yaml.safe_load(paths.params_file("smoke").read_text())["00_data"]
    uniform_loss = math.log(data["tokenizer_vocab_size"])
    training = metrics["training"]
    assert set(training) == {"BASE", "MEDA", "INST"}
    assert len({run["tokens"] for run in training.values()}) == 1  # the same token budget for every method
    for name, run in training.items():
        assert run["final_heldout_loss"] < uniform_loss - 1.5, name  # far below a uniform guess: it learned
    # token shares follow the planted document shares in rank; their values differ by how well the small
    # smoke tokenizer compresses each language (default, with 2,000 merges, stays within 0.03)
    trained = metrics["language_token_shares"]["BASE"]
    planted = data["language_shares"]
    assert sorted(trained, key=trained.get) == sorted(planted, key=planted.get)
    for language, share in planted.items():
        assert abs(trained[language] - share) < 0.15, language


def test_evaluation_covers_every_model_in_long_format(smoke_run):
    import pandas as pd

    from helpers.evaluation import LONG_COLUMNS
    from helpers.modeling import discover_models

    metrics = _metrics(smoke_run, "05_evaluation")
    items = pd.read_parquet(smoke_run / "05_evaluation" / "item_scores.parquet")
    assert list(items.columns) == LONG_COLUMNS
    names = {card.name for card in discover_models("smoke")}
    assert set(items["model"]) == names == set(metrics["models"])
    assert {"rtp", "multilingual", "crows", "bold", "knowledge", "heldout", "fluency"} <= set(items["benchmark"])
    assert isinstance(metrics["scoring_failures"], int)
    assert "toxicity >= 0.5" in metrics["protocol"]["toxicity"]
    # the same items for every model: paired comparisons in 06 rely on it
    per_model = items.groupby("model")["item"].apply(lambda s: frozenset(s))
    assert per_model.nunique() == 1


def test_fine_tuning_trained_every_run_on_equal_budgets(smoke_run):
    import yaml

    from helpers.modeling import discover_models

    metrics = _metrics(smoke_run, "02_domain_adaptation")
    params = yaml.safe_load(paths.params_file("smoke").read_text())["02_domain_adaptation"]
    training = metrics["training"]
    budgets = {name: run["budget_tokens"] for name, run in training.items()}
    assert budgets["DAPT-s0"] == budgets["SGEAT-s0"] == budgets["SR_LLM-s0"] == budgets["BIAS_SFT-s0"] == \
        params["train_tokens"]
    assert budgets["DAPT_3x-s0"] == 3 * params["train_tokens"]
    assert {"DAPT-s0", "DAPT-s1"} <= set(training)  # the multi-seed path
    for name, run in training.items():
        assert abs(run["tokens"] - run["budget_tokens"]) < 0.1 * run["budget_tokens"], name
    cards = {c.name: c for c in discover_models("smoke") if c.stage == "02_domain_adaptation"}
    assert set(cards) == set(training)
    assert all(c.parent == metrics["base_model"]["name"] and c.train_languages == ["en"] for c in cards.values())
    # SGEAT kept exactly the least toxic half of its usable samples
    for seed, corpus in metrics["sgeat"].items():
        counts = corpus["counts"]
        assert counts["kept"] == (counts["kept"] + counts.get("dropped (more toxic half)", 0)) // 2, seed
    assert set(metrics["check"]["effects_vs_base"]) == set(params["methods"])
    # the quick bias check compared every method with the base model, and BIAS_SFT with DAPT
    assert set(metrics["bias_check"]["effects_vs_base"]) == set(params["methods"])
    assert set(metrics["bias_check"]["bias_sft_vs_dapt"]["BIAS_SFT - DAPT"]) == {"stereotyped", "soft",
                                                                                "bias_strength", "slope"}


def test_every_figure_cell_drew_its_figures_into_the_notebook_and_its_html(smoke_run):
    import re

    import nbformat

    from helpers.cells import figure_outputs, is_figure_cell

    for stage in available_stages():
        source = nbformat.read(paths.notebook_path(stage), as_version=4)
        executed = nbformat.read(smoke_run / stage / f"{stage}.ipynb", as_version=4)
        wanted = sum(is_figure_cell(c) for c in source.cells)
        tagged = [c for c in executed.cells if is_figure_cell(c)]
        assert len(tagged) == wanted, stage
        for cell in tagged:
            images = figure_outputs(cell)
            assert images, f"{stage}: a figure cell drew nothing: {cell.source.splitlines()[0]}"
            assert len(set(images)) == len(images), f"{stage}: a figure shown twice: {cell.source.splitlines()[0]}"
        drawn = [image for c in executed.cells for image in figure_outputs(c)]
        assert len(drawn) == sum(len(figure_outputs(c)) for c in tagged), f"{stage}: an untagged cell drew"
        html = (smoke_run / stage / f"{stage}.html").read_text()
        assert len(re.findall(r'<img[^>]* src="data:image/(?:png|svg)', html)) == len(drawn), stage


def test_evaluation_writes_one_card_row_per_model(smoke_run):
    import pandas as pd

    from helpers.evaluation import MODEL_COLUMNS
    from helpers.modeling import discover_models

    _metrics(smoke_run, "05_evaluation")
    models = pd.read_parquet(smoke_run / "05_evaluation" / "models.parquet")
    assert list(models.columns) == MODEL_COLUMNS
    cards = {card.name: card for card in discover_models("smoke")}
    assert sorted(models["name"]) == sorted(cards)
    for row in models.itertuples():
        card = cards[row.name]
        assert (row.method, row.seed, row.stage, row.parameters) == (card.method, card.seed, card.stage,
                                                                     card.parameters)


def test_every_manifest_records_time_and_peak_memory_within_budget(smoke_run):
    from helpers.manifest import MEMORY_BUDGET_MB

    for stage in available_stages():
        manifest = json.loads((smoke_run / stage / "manifest.json").read_text())
        assert manifest["wall_seconds"] > 0 and manifest["notebook_seconds"] > 0, stage
        assert 50 < manifest["peak_rss_mb"] < MEMORY_BUDGET_MB, stage


def _stage_params(stage):
    import yaml

    return yaml.safe_load(paths.params_file("smoke").read_text())[stage]


def test_preference_optimization_trained_dpo_and_its_controls_on_the_same_pairs(smoke_run):
    from helpers.modeling import discover_models
    from helpers.training import finetune, preference

    stage = "03_preference_optimization"
    metrics = _metrics(smoke_run, stage)
    params = _stage_params(stage)
    training = metrics["training"]
    plan = preference.run_plan(params["methods"], params["seeds"], params["first_seed_only"])
    assert set(training) == {finetune.run_name(m, s, params["peft"]) for m, s in plan}
    assert max(sum(m == method for m, _ in plan) for method in params["methods"]) == 2  # the multi-seed path
    cards = {c.name: c for c in discover_models("smoke") if c.stage == stage}
    assert set(cards) == set(training)
    for name, card in cards.items():
        assert card.parent == metrics["base_model"]["name"] and card.train_languages == params["train_languages"], name
        assert card.peft == params["peft"] and card.train_tokens > 0 and "held-out loss" in card.notes, name
    # a DPO method and its SFT-on-chosen control read the same pairs for the same number of steps
    for control, dpo in preference.CONTROL_OF.items():
        if f"{control}-s0" in training and f"{dpo}-s0" in training:
            assert training[f"{control}-s0"]["steps"] == training[f"{dpo}-s0"]["steps"]
            assert training[f"{control}-s0"]["train_pairs"] == training[f"{dpo}-s0"]["train_pairs"]
    for name, run in training.items():
        if preference.is_dpo(cards[name].family):  # DPO learned the preference on its own pairs
            assert run["train_pairs_margin"] > 0 and run["train_pairs_accuracy"] > 0.5, name
        assert run["collapsed"] == (run["heldout_loss_rise"] > params["collapse_margin"][cards[name].family]), name
    assert set(metrics["collapsed"]) == {name for name, run in training.items() if run["collapsed"]}
    # every toxicity or bias effect comes with the fluency it cost
    effects = metrics["check"]["effects_vs_base"]
    assert set(effects) == set(params["methods"])
    assert all({"EMT", "CrowS distance from 50", "fluency log-ppl"} <= set(e) for e in effects.values())


def test_parameter_efficient_runs_are_adapters_on_the_base_with_equal_budgets(smoke_run):
    from helpers.modeling import discover_models
    from helpers.training import finetune
    from helpers.training import parameter_efficient as pe

    stage = "04_parameter_efficient"
    metrics = _metrics(smoke_run, stage)
    params = _stage_params(stage)
    training = metrics["training"]
    plan = pe.run_plan(params["families"], params["variants"], params["seeds"], params["first_seed_only"])
    assert set(training) == {finetune.run_name(f, s, v) for f, v, s in plan}
    assert max(sum((f, v) == (family, variant) for f, v, _ in plan) for family, variant, _ in plan) == 2
    cards = {c.name: c for c in discover_models("smoke") if c.stage == stage}
    assert set(cards) == set(training)
    for name, card in cards.items():
        adapter = not (params["merge_adapters"] and pe.mergeable(card.peft))
        assert card.adapter is adapter and (card.folder / "adapter_config.json").is_file() is adapter, name
        assert card.parent == metrics["base_model"]["name"] and card.family in params["families"], name
        assert 0 < card.trainable_parameters < card.parameters, name
    # the same budgets as the full fine-tuning runs of 02 and 03
    dapt_tokens = _stage_params("02_domain_adaptation")["train_tokens"]
    dpo_steps = _metrics(smoke_run, "03_preference_optimization")["training"]["DetoxDPO-s0"]["steps"]
    for name, run in training.items():
        if cards[name].family == "DAPT":
            assert run["budget_tokens"] == dapt_tokens and abs(run["tokens"] - dapt_tokens) < 0.1 * dapt_tokens, name
        else:
            assert run["steps"] == dpo_steps, name
    # every variant's row, next to the family's full fine-tuning, with what it cost
    variants = {(row["family"], row["peft"]): row for row in metrics["variants"]}
    assert set(variants) == {(f, v) for f, v, _ in plan} | {(f, "full") for f in params["families"]}
    for (family, peft), row in variants.items():
        assert row["trainable parameters"] < variants[(family, "full")]["trainable parameters"] or peft == "full"
        assert 0 <= row["EMT"] <= 1 and row["held-out ppl"] > 1
    assert set(metrics["collapsed"]) == {name for name, run in metrics["runs"].items() if run["collapsed"]}


def test_statistics_judge_every_claim_and_the_report_shows_them(smoke_run):
    import pandas as pd

    from helpers.claims import CLAIMS
    from helpers.stats import VERDICTS

    metrics = _metrics(smoke_run, "06_statistics")
    methods = set(pd.read_parquet(smoke_run / "05_evaluation" / "item_scores.parquet")["method"])
    assert set(metrics["verdicts"]) == {claim.claim_id for claim in CLAIMS}
    for claim in CLAIMS:
        verdict = metrics["verdicts"][claim.claim_id]
        assert verdict in VERDICTS
        needed = {m for part in claim.parts for m in (part.treated, part.baseline)}
        if not needed <= methods:  # a claim whose models the smoke profile did not train is "not run"
            assert verdict == "not run", claim.claim_id
    assert set(metrics["headline"]) == methods - {"BASE"}
    page = (smoke_run / "report" / "index.html").read_text()
    for figure in ("claims_forest", "multi_objective"):
        assert f"figures/{figure}.png" in page and (smoke_run / "report" / "figures" / f"{figure}.png").is_file()
