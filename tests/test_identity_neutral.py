"""Identity-term neutralisation of the toxicity scorer (real data only; the synthetic world's scorer never uses it)."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import yaml

from helpers import paths
from helpers.realdata import identity
from helpers.scoring import ANY_LANGUAGE, IdentityNeutralizer, fit_scorer_on_texts, load_scorer, train_tfidf_scorer

LEXICON = identity.neutral_lexicon()


def _neutral(texts: list[str], languages: list[str], lexicon=LEXICON) -> list[str]:
    frame = pd.DataFrame({"text": texts, "language": languages})
    return IdentityNeutralizer(lexicon, placeholder="identityterm").transform(frame)["text"].tolist()


def test_identity_terms_are_replaced_with_their_inflections():
    out = _neutral(["Ich bin ein schwuler Mann, und die Muslime hier sind nett.", "Being gay is fine, say old Jews.",
                    "Mi vecina es musulmana.", "Gayness and trainees are no identity terms.", "Gay people"],
                   ["de", "en", "es", "en", ANY_LANGUAGE])
    assert out == ["Ich bin ein identityterm Mann, und die identityterm hier sind nett.",
                   "Being identityterm is fine, say identityterm identityterm.", "Mi vecina es identityterm.",
                   "Gayness and trainees are no identity terms.", "identityterm people"]


def test_by_default_a_term_leaves_a_space_and_only_the_texts_language_is_neutralised():
    frame = pd.DataFrame({"text": ["Sie ist lesbisch und nett."], "language": ["de"]})
    assert IdentityNeutralizer(LEXICON).transform(frame)["text"].tolist() == ["Sie ist   und nett."]
    # Polish has no list: its texts pass as they are; a German list does not touch English words
    out = _neutral(["Mój sąsiad jest gay.", "My neighbour is schwul."], ["pl", "en"], identity.neutral_lexicon(["de"]))
    assert out == ["Mój sąsiad jest gay.", "My neighbour is schwul."]


def test_the_lexicon_is_the_projects_own_and_covers_every_augmented_term():
    for language in identity.LANGUAGES:
        terms = set(identity.neutral_terms(language))
        sentences = identity.identity_sentences(language)
        assert terms and {term for term, _ in sentences} <= terms, language


def test_a_neutralised_scorer_gives_every_group_the_same_score(tmp_path):
    # planted: the identity words appear only in toxic texts; without neutralisation the scorer learns them as toxic
    rng = np.random.default_rng(0)
    toxic, clean = ["idiot", "stupid", "moron", "trash"], ["kind", "lovely", "helpful", "friendly"]
    rows = []
    for k in range(400):
        label = k % 2
        word = (toxic if label else clean)[int(rng.integers(4))]
        group = ["muslim", "gay", "jewish"][int(rng.integers(3))] if label else "tall"
        rows.append({"text": f"my {group} neighbour is {word} number {k % 7}", "label": label, "language": "en",
                     "split": ["train", "train", "valid", "test"][k % 4], "source": "planted"})
    texts = pd.DataFrame(rows)
    probe = ["my gay neighbour is here", "my muslim neighbour is here", "my jewish neighbour is here"]
    plain, _ = fit_scorer_on_texts(texts, 3, 2000, 1.0, 0, tmp_path / "plain")
    neutral, _ = fit_scorer_on_texts(texts, 3, 2000, 1.0, 0, tmp_path / "neutral", identity_lexicon=LEXICON)
    plain_scores, neutral_scores = plain.score(probe, ["en"] * 3), neutral.score(probe, ["en"] * 3)
    assert np.ptp(neutral_scores) == 0.0 and np.ptp(plain_scores) > 0.0
    # the step is part of the saved model: the reloaded scorer neutralises too, and its card says so
    reloaded = load_scorer(tmp_path / "neutral")
    assert np.array_equal(reloaded.score(probe, ["en"] * 3), neutral_scores)
    # so does 05's accelerated copy of the pipeline, which swaps only the char_wb vectorizer
    from helpers.engines.classifiers import accelerate_scorer

    fast = accelerate_scorer(reloaded)
    assert fast is not reloaded and np.array_equal(fast.score(probe, ["en"] * 3), neutral_scores)
    card = (tmp_path / "neutral" / "scorer.json").read_text()
    assert "identity_neutralisation" in card and "identity_neutralisation" not in (tmp_path / "plain" /
                                                                                 "scorer.json").read_text()


def test_without_a_lexicon_the_pipeline_is_the_one_it_always_was():
    # the synthetic world's scorer (notebook 01 writes its scores into MEDA prefixes) must not change by a byte
    texts = pd.DataFrame({"text": ["you idiot", "nice day", "stupid moron", "lovely walk"] * 5, "label": [1, 0, 1, 0] * 5})
    scorer = train_tfidf_scorer(texts, 3, 500, 1.0, 0)
    assert [name for name, _ in scorer.pipeline.steps] == ["features", "logreg"]
    neutralizer = IdentityNeutralizer(LEXICON)
    neutralizer.transform(pd.DataFrame({"text": ["gay"], "language": ["en"]}))
    assert "_compiled" not in pickle.loads(pickle.dumps(neutralizer)).__dict__  # the model stores the lexicon only


def test_only_real_data_profiles_turn_neutralisation_on():
    values = {profile: yaml.safe_load(paths.params_file(profile).read_text())["00_data"].get(
        "real_scorer_identity_neutral") for profile in ("smoke", "default")}
    assert values == {"smoke": [], "default": []}
