"""Follow-ups owned by departments, and "everyone is customer service" (issue 14).

What other apps use:

- ``services.open_followup(title=, department=, opened_by=, …, conversations=, topic_key=, source=,
  source_ref=)``: programmes turn a cooperation intention into a follow-up (``source="programme"``);
  ``services.link_conversations`` adds evidence later.
- ``selectors.open_followups_for_customer(customer)``: the desk's customer panel; or include
  ``followups/_customer_panel.html`` with ``followups``, or load ``followups:for_customer`` with htmx.
- ``followups/_open_button.html`` (``conversation=``, ``topic=``, ``emerging=``, ``title=``): "Open a
  follow-up" on a case, topic or emerging issue; it links to ``followups:new`` with those query parameters.
- ``Conversation.followups`` (the M2M's reverse) says whether a case has a follow-up.
- An internal note naming a department member (``@chanpin``) asks them about the case
  (``receivers``); ``services.mention_department_member`` / ``services.answer_mention`` do it directly,
  and the answer is an internal note on the conversation (``CaseMention.answer``).
"""
