"""Training: pretraining (01) and the fine-tuning seam of 02-04.

`causal_lm` the causal-LM loop and the study's schedule; `pretraining` BASE/MEDA/INST; `finetune` the seam's
front door (continued training, saving with cards); `sft` and `dpo` TRL's trainers on the seam's terms;
`peft_variants` LoRA/IA3; `sgeat`, `instruction`, `domain_adaptation` notebook 02's methods; `data_checks`.
"""
