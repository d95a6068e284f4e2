"""Helpers of the detoxification and debiasing study: every piece of logic a notebook or a test calls."""

__version__ = "0.1.0"
