"""`make bench` and the load test: seeded full-scale data, timings, memory."""
