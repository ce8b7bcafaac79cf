"""One-time sign-in codes for the customer portal: customers have no password, only their email or phone."""

from django.db import models

from dabai.customers.models import Customer


class SignInCode(models.Model):
    """A six-digit code sent to one address; stored as a keyed hash, single use, short-lived, few tries.

    The row is made by the sending task and the code chosen at each delivery attempt, so the hash is empty
    until a code was handed to the mail server or SMS gateway.
    """

    class Kind(models.TextChoices):
        EMAIL = "email", "email"
        PHONE = "phone", "phone"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    address = models.CharField(max_length=254, db_index=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    # Sent by a task: a code counts towards the hourly limit while it is being sent or once sent, never after
    # its delivery was given up; only a sent code can sign in.
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.kind} code #{self.pk}"
