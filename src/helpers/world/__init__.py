"""The synthetic world: a seeded generator of every dataset the study needs, with known ground truth."""
