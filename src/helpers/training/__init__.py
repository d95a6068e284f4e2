"""Training stages: pretraining with MEDA/INST formats (and, from other notebooks, SFT, DPO, PEFT)."""
