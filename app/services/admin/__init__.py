"""Running the shop's data: staff and shop administration, backups and their schedule, integrity
checks, imports, the demo shop. Rule: the top of the services; nothing in app.services imports it."""
