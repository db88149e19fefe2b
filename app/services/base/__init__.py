"""The ground every service stands on: the call context, ports, who may do what (permissions, staff
sign-in, the owner's password), the audit log, shop settings, phone numbers, files in and out.
Rule: imports nothing else from app.services."""
