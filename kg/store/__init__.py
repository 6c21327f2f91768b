"""Where the graph lives and how SPARQL text runs on it: in memory, on disk (Oxigraph), or a remote
SPARQL server. A store runs text and hands back terms; it knows no saved query.

May import: ``kg.base``, ``kg.facts``, ``kg.build``.
"""
