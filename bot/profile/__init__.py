"""The business profile (business.yaml): its model and validation (model), loading it with errors that point at the
line (load, safe_yaml), opening hours and the days customers name (hours, days), and warnings about dates (warnings)."""
