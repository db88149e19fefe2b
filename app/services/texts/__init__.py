"""Texts to members: the outbox, templates, message bodies, gateway settings and the sender.
Rule: the only code that talks to an SMS gateway; below it only base/."""
