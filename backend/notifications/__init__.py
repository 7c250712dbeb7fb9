"""Notifications: one message to one person over the in-app inbox, web push or e-mail.

Web push lives in :mod:`backend.notifications.push` (encryption, sending, outcomes) and
:mod:`backend.notifications.vapid` (the server's signing key and the VAPID header).
"""
