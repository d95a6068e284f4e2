"""Real public datasets in the study's normalized schemas.

Modules: `registry` (sources, mirror files, checksums, downloads), `readers` (file formats, located errors),
`languages` (locale -> ISO 639-1), `toxicity` / `bias` / `holistic` / `text` / `knowledge` (loaders by family),
`loaders` (one table of every loader), `build` (`build_real_datasets`: every dataset for notebook 00).
"""
