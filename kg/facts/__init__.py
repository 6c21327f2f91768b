"""Fact files to records: the folder, the YAML tree with its file:line marks, the typed records and
their checks, and the reconciliation of several sources' statements about one thing.

May import: ``kg.base``.
"""
