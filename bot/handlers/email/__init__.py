"""Email: a business inbox over IMAP (IDLE where the server has it, polling otherwise) and SMTP."""
