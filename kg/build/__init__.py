"""Records to a checked graph: the RDF each record makes, the SHACL checks mapped back to YAML lines,
the cache of compiled fact files, the last build, and the graph's export in every RDF format.

May import: ``kg.base``, ``kg.facts``.
"""
