"""The customer side of issue 15 in the access registry: the help centre's "what was missing?" form (public,
for published articles only), the portal's article suggestions while typing (signed-in customers) and the
portal's rating link (the customer's own resolved conversations)."""

from .roles import EVERYONE

PUBLIC = {"help:feedback_comment"}
CUSTOMER_PAGES = {"portal:suggest"}

OBJECT_URLS = {
    # A draft article has no public feedback form: everyone gets a 404.
    "help:feedback_comment": [("draft_article", EVERYONE)],
    # Only the customer who owns the conversation may ask for its survey.
    "portal:rate": [("conv_hot", EVERYONE), ("own_conv", EVERYONE - {"customer"})],
}
