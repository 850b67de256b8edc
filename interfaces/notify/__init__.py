"""Notifications out: the channels (webhook, WeCom, DingTalk, e-mail), their settings file, the test message."""
