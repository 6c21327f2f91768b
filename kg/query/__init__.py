"""Questions to answers: the saved-query catalog and the one guarded runner, the resolver of names,
and results with every way of writing them (table, CSV, TSV, JSON, XML, Markdown, Excel).

May import: ``kg.base`` to ``kg.store``.
"""
