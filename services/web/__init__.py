"""The read-only web view: pages for ops and analysts, a JSON API, /metrics and /healthz."""
