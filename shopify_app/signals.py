"""Signal receivers: they only schedule work on commit; the work lives in services and tasks."""
