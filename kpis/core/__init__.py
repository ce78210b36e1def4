"""Domain facts every other part relies on: the framework, periods, areas, statistics, problems, exports."""
