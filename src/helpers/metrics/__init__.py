"""Evaluation metrics: toxicity (EMT, TP), bias (CrowS-Pairs, BOLD), quality (fluency, diversity, knowledge)."""
