"""Texts: the outbox, templates, texting rules, the gateway, and the background sender."""
