"""The Dagster UI, driven in headless Chromium the way a user runs the pipeline."""
