"""Eval: sem_sim scoring, model adapters (files, local models, API baselines), benchmark and reports."""
