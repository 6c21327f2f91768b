"""What a person looks at: network views, charts and timelines, and pictures of pages.

May import: ``kg.base`` to ``kg.query``.
"""
