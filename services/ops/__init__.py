"""Commands for operating the service: health, status, backfill."""
