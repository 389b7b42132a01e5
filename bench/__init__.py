"""The scale benchmark of scim-reconciler (``python bench/bench.py``); see bench/RESULTS.md."""
