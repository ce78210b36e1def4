"""Developer tooling that is not part of the product: benchmarks, load tests, reference extracts."""
