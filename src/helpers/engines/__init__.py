"""Engines: batched sampling with a cache (`generation`) and batched log-probabilities (`likelihood`)."""
