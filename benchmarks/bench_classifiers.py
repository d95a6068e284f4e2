"""Texts per second of the toxicity scorer and the language identifier 05 runs on every continuation.

Run from the repository root after a profile's 00 has finished:
    python benchmarks/bench_classifiers.py --profile default [--texts 20000]

Texts are continuation-like spans (0-15 words) of the profile's held-out corpus. Compares the libraries'
own one-text-at-a-time paths (sklearn's TF-IDF pipeline, py3langid's `classify`) with the batched ones of
`helpers.engines.classifiers`, checks that they agree, and reports the medians of `--repeats` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def spans(profile: str, count: int, seed: int = 0) -> list[str]:
    """Continuation-like spans of held-out documents, some empty."""
    from helpers import datasets

    corpus = datasets.load_dataset(profile, "pretraining_corpus")
    texts = corpus.loc[corpus["split"] == "heldout", "text"].tolist()
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        words = rng.choice(texts).split()
        start = rng.randrange(max(1, len(words)))
        out.append(" ".join(words[start:start + rng.randint(0, 15)]))
    return out


def median_seconds(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="default")
    parser.add_argument("--texts", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import numpy as np

    from helpers import datasets, paths, scoring
    from helpers.engines.classifiers import FastTfidfScorer, identify_batch
    from helpers.metrics import quality

    texts = spans(args.profile, args.texts)
    scorer = scoring.load_scorer(paths.scorer_dir(args.profile))
    languages = sorted(set(datasets.load_dataset(args.profile, "multilingual_prompts")["language"]))
    identifier = quality._identifier(tuple(languages), None)
    letters = [t for t in texts if any(ch.isalpha() for ch in t)]

    reference = scorer.score(texts)
    fast = FastTfidfScorer(scorer)
    identical = bool(np.array_equal(reference, fast.score(texts), equal_nan=True))
    expected = [identifier.classify(t)[0] for t in letters]
    agree = sum(a == b[0] for a, b in zip(expected, identify_batch(identifier, letters))) / len(letters)
    results = {
        "texts": len(texts), "languages": languages, "load_average_1min": os.getloadavg()[0],
        "scorer": {"sklearn_texts_per_s": len(texts) / median_seconds(lambda: scorer.score(texts), args.repeats),
                   # a fresh word table each run: the cost of a model's first batch
                   "batched_texts_per_s": len(texts) / median_seconds(lambda: FastTfidfScorer(scorer).score(texts),
                                                                     args.repeats),
                   "identical": identical},
        "language_id": {"py3langid_texts_per_s": len(letters) / median_seconds(
                            lambda: [identifier.classify(t) for t in letters], args.repeats),
                        "batched_texts_per_s": len(letters) / median_seconds(
                            lambda: identify_batch(identifier, letters), args.repeats),
                        "agreement": agree},
    }
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
