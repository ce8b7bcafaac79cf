"""Topics of the voice-of-the-customer portal: which cases talk about what, in three ways.

- **Intents**: the filter's intent taxonomy, one built-in topic per intent, assigned from the insights of
  a case's customer messages.
- **Defined topics**: a VoC editor names a topic and gives keywords with synonyms (one group per line) and
  example messages. A case matches when its masked customer text, folded like the search index (OpenCC
  traditional → simplified, full-width → half-width, lower case), holds a keyword, or when its rjieba
  tokens overlap an example's enough (Jaccard ≥ ``EXAMPLE_OVERLAP``).
- **Discovered topics** (``discover_topics``): clusters of recent cases (TF-IDF over rjieba tokens,
  MiniBatchKMeans), each named by its top c-TF-IDF phrases. A re-run matches the new clusters to the known
  ones by the cosine of their term weights (an optimal one-to-one assignment), so topic ids, editors' names,
  follows and trends survive re-clustering; a cluster matching nothing becomes a new topic, a known one no
  cluster matches goes inactive.

Assignments are stored per case (``CaseTopic``), set-wise: ``assign_cases`` after the case index is
refreshed (receivers → ``index_cases`` task), ``match_topic_history`` when an editor defines or edits a
topic, ``discover_topics`` for the clusters.

The package's modules: ``matching`` (the rules), ``assignment`` (intent and defined topics of cases),
``editing`` (an editor's changes) and ``discovered`` (the clustering); the names below are its interface.
"""

from dabai.insights.topics.assignment import (
    BATCH,
    assign_cases,
    intent_topic,
    intent_topics,
    match_topic_history,
)
from dabai.insights.topics.discovered import (
    DISCOVERY_DAYS,
    DISCOVERY_MAX_CASES,
    MIN_CLUSTER,
    Discovery,
    discover_topics,
)
from dabai.insights.topics.editing import (
    TopicError,
    define_topic,
    edit_topic,
    merge_topic,
    promote_topic,
    set_topic_active,
)
from dabai.insights.topics.matching import (
    EXAMPLE_OVERLAP,
    Matcher,
    content_tokens,
    defined_matchers,
    keyword_groups,
)

__all__ = [
    "BATCH",
    "DISCOVERY_DAYS",
    "DISCOVERY_MAX_CASES",
    "EXAMPLE_OVERLAP",
    "MIN_CLUSTER",
    "Discovery",
    "Matcher",
    "TopicError",
    "assign_cases",
    "content_tokens",
    "define_topic",
    "defined_matchers",
    "discover_topics",
    "edit_topic",
    "intent_topic",
    "intent_topics",
    "keyword_groups",
    "match_topic_history",
    "merge_topic",
    "promote_topic",
    "set_topic_active",
]
