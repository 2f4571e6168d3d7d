"""Meta's platforms (WhatsApp Business, Messenger, Instagram): one webhook, one Send API, one window rule."""
