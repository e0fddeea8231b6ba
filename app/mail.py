"""Outgoing e-mail over SMTP (MAIL_* settings); messages built by the email library, never by hand."""
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app

SMTP_TIMEOUT_SECONDS = 10


def build_message(to, subject, text, html=None, attachments=(), reply_to=None, sender=None):
    """An EmailMessage: text (and HTML) body, attachments as (filename, bytes, mime type) triples.

    The library encodes the UTF-8 Vietnamese subject and file names, and refuses header values with
    line breaks (no header injection through a name or a subject).
    """
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender or current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = to if isinstance(to, str) else ", ".join(to)
    if reply_to:
        message["Reply-To"] = reply_to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=message["From"].addresses[0].domain or None)
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for filename, content, mime_type in attachments:
        maintype, subtype = mime_type.split("/", 1)
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message


def send_mail(to, subject, text, html=None, attachments=(), reply_to=None):
    """Build and send one e-mail; raises OSError or smtplib.SMTPException when it cannot be delivered."""
    message = build_message(to, subject, text, html=html, attachments=attachments, reply_to=reply_to)
    config = current_app.config
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=SMTP_TIMEOUT_SECONDS) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)
    return message
