"""FieldCRM benchmark harness (`make bench`, `make bench-load`): see README, "Performance"."""
