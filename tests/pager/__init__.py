"""A platform that exists only in the tests: a pager service with a JSON webhook and a JSON send API.

It is what a new platform is: this package (parse, channel, routes), one registry row and one row of
facts (`rows`). Nothing in bot/ names it.
"""
