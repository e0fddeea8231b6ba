"""The bell: a user's notifications, the unread count, marking read, and notify() (bell). Calls nothing."""
