"""The team's scorer (a copy of shared/eval/score.py, checked to be identical when shared/ is present)."""
