"""The ground every part stands on: errors, files, settings, progress, output format names, the
ontology's namespace and vocabulary, the one reader of written numbers, dates and periods, Chinese in
either script, and RDF terms.

May import: nothing of kg outside ``kg.base``.
"""
