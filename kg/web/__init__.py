"""The web app and SPARQL endpoint (``kg serve``) with its templates and static files.

May import: ``kg.base`` to ``kg.show``; ``kg.author`` is not needed by it.
"""
