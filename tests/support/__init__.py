"""What tests share: apps built with the channels a test delivers through, settings, stand-in channels,
the console transcript and one way to wait for something to happen."""
