"""Helping a person add a source: figures of a new text as candidate facts, and the coverage of a
stored text by the facts of its source.

May import: ``kg.base`` to ``kg.query``.
"""
