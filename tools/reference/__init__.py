"""The parts of `tools/extract_reference.py`: CSV records cut byte for byte, the areas and neighbours, the
extracts of each source, and data/reference/README.md."""
