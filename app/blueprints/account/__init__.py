"""`/account`: every user's own address, name, language, notification choices and
password; and the unsubscribe links of the mails."""
