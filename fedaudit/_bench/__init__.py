"""Benchmarks (``make bench``). Each module measures one thing against a floor measured in the
same run and prints ratios; nothing here asserts on time. Modules define ``run(out_dir) -> list[str]``
returning report lines."""
