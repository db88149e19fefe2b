"""The import wizard (Members › Import…, Products › Import…)."""
