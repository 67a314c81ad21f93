"""Delivery reports shaped like real ones (Postfix, Exim, Gmail) and an ARF complaint,
for the DSN parser and the inbound tests. `{message_id}` is our original's Message-ID."""

POSTFIX_HARD = """\
Return-Path: <>
From: MAILER-DAEMON@mail.acme.example (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: bounces@acme.example
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="6F1E03A0B2.1793610301/mail.acme.example"
Message-Id: <20261102090501.6F1E03A0B2@mail.acme.example>

This is a MIME-encapsulated message.

--6F1E03A0B2.1793610301/mail.acme.example
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mail.acme.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{recipient}>: host mx.example.com[192.0.2.25] said: 550 5.1.1
    <{recipient}>: Recipient address rejected: User unknown in virtual
    mailbox table (in reply to RCPT TO command)

--6F1E03A0B2.1793610301/mail.acme.example
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.acme.example
X-Postfix-Queue-ID: 6F1E03A0B2
X-Postfix-Sender: rfc822; bounces@acme.example
Arrival-Date: Mon,  2 Nov 2026 09:05:00 +0000 (UTC)

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.com
Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: Recipient address rejected:
    User unknown in virtual mailbox table

--6F1E03A0B2.1793610301/mail.acme.example
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

Return-Path: <bounces@acme.example>
From: Acme <news@acme.example>
To: {recipient}
Subject: Autumn news
Message-ID: {message_id}
Date: Mon, 2 Nov 2026 09:00:00 +0000

--6F1E03A0B2.1793610301/mail.acme.example--
"""

EXIM_DELAYED = """\
Return-path: <>
From: Mail Delivery System <Mailer-Daemon@mx.exim.example>
To: bounces@acme.example
Subject: Warning: message 1tB9xQ-0003Xy-Fq delayed 24 hours
Message-Id: <E1tC0aa-0004Zz-Kk@mx.exim.example>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary=1793700000-eximdsn-1804289383

--1793700000-eximdsn-1804289383
Content-type: text/plain; charset=us-ascii

This message was created automatically by mail delivery software.
A message that you sent has not yet been delivered to one or more of its
recipients after more than 24 hours on the queue on mx.exim.example.

--1793700000-eximdsn-1804289383
Content-type: message/delivery-status

Reporting-MTA: dns; mx.exim.example

Action: delayed
Final-Recipient: rfc822;{recipient}
Status: 4.0.0
Remote-MTA: dns; mx.example.com
Diagnostic-Code: smtp; 451 4.7.1 Greylisted, please try again later
Will-Retry-Until: Fri, 06 Nov 2026 09:00:00 +0000

--1793700000-eximdsn-1804289383
Content-type: message/rfc822

Return-path: <bounces@acme.example>
From: Acme <news@acme.example>
To: {recipient}
Subject: Autumn news
Message-ID: {message_id}
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Hello!

--1793700000-eximdsn-1804289383--
"""

GMAIL_FULL = """\
Delivered-To: bounces@acme.example
From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: bounces@acme.example
Auto-Submitted: auto-replied
Subject: Delivery Status Notification (Failure)
Message-ID: <6720a1b2.050a0220.3c7d1.bbbb.GMR@mx.google.com>
MIME-Version: 1.0
Content-Type: multipart/report; boundary="000000000000abcdef0123456789"; report-type=delivery-status

--000000000000abcdef0123456789
Content-Type: multipart/related; boundary="000000000000abcdef0123456788"

--000000000000abcdef0123456788
Content-Type: multipart/alternative; boundary="000000000000abcdef0123456787"

--000000000000abcdef0123456787
Content-Type: text/plain; charset="UTF-8"

** Message not delivered **

Your message couldn't be delivered to {recipient} because the remote server's mailbox is full.

--000000000000abcdef0123456787--
--000000000000abcdef0123456788--
--000000000000abcdef0123456789
Content-Type: message/delivery-status

Reporting-MTA: dns; googlemail.com
Received-From-MTA: dns; mail.acme.example
Arrival-Date: Mon, 02 Nov 2026 01:00:00 -0800 (PST)
X-Original-Message-ID: {message_id}

Final-Recipient: rfc822; {recipient}
Action: failed
Status: 5.2.2
Remote-MTA: dns; gmail-smtp-in.l.google.com. (142.250.1.26, the server for the domain example.com.)
Diagnostic-Code: smtp; 552-5.2.2 The recipient's inbox is out of storage space.
Last-Attempt-Date: Mon, 02 Nov 2026 01:00:02 -0800 (PST)

--000000000000abcdef0123456789
Content-Type: message/rfc822

From: Acme <news@acme.example>
To: {recipient}
Subject: Autumn news
Message-ID: {message_id}
Content-Type: text/plain

Hello!

--000000000000abcdef0123456789--
"""

ARF_COMPLAINT = """\
From: <feedback@fbl.example.net>
To: <abuse@acme.example>
Subject: FW: Autumn news
Message-ID: <fbl-{n}@fbl.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="part1_13d.2e68ed54"

--part1_13d.2e68ed54
Content-Type: text/plain; charset="US-ASCII"

This is an email abuse report for an email message received from IP 192.0.2.1.

--part1_13d.2e68ed54
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: SomeGenerator/1.0
Version: 1
Original-Mail-From: <bounces@acme.example>
Original-Rcpt-To: <{recipient}>
Arrival-Date: Mon, 2 Nov 2026 09:00:00 +0000

--part1_13d.2e68ed54
Content-Type: message/rfc822

From: Acme <news@acme.example>
To: {recipient}
Subject: Autumn news
Message-ID: {message_id}

Hello!
--part1_13d.2e68ed54--
"""


def sample(template: str, *, recipient: str, message_id: str, n: int = 1) -> bytes:
    return template.format(recipient=recipient, message_id=message_id, n=n).encode()


def reply(*, to: str, sender: str, in_reply_to: str = "", message_id: str,
          body: str = "Yes, I'd love to hear more!") -> bytes:
    threading = f"In-Reply-To: {in_reply_to}\nReferences: {in_reply_to}\n" if in_reply_to else ""
    return (f"From: Ann Smith <{sender}>\nTo: {to}\nSubject: Re: Autumn news\n"
            f"Message-ID: {message_id}\n{threading}MIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=utf-8\n\n"
            f"{body}\n\nOn Mon, 2 Nov 2026 at 09:00, Acme <news@acme.example> wrote:\n"
            "> Hello Ann,\n> our autumn news.\n").encode()
