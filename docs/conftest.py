"""The documentation's ``>>>`` examples run in the test suite (``--doctest-glob=*.rst``).

The Sphinx configuration and extensions are not test modules; generated pages hold no examples.
"""

collect_ignore_glob = ["conf.py", "_ext/*", "api/generated/*", "notebooks/*"]
