"""Runnable examples: the digits training run (`python -m tapejit`) and the tape walkthrough
(`python -m tapejit demo`)."""
