// Knowledge suggestions on the agent's desk: "Insert link" / "Insert summary" add the text to the reply box.
// A static file, not an inline script, so the Content Security Policy needs no exception (loaded by htmx).
window.dabaiKnowledgeInsert = window.dabaiKnowledgeInsert || (function () {
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-knowledge-insert]");
    if (!button) return;
    var box = document.querySelector("textarea[name=body]");
    if (!box) return;
    box.value = (box.value ? box.value.replace(/\s*$/, "\n") : "") + button.dataset.knowledgeInsert;
    box.focus();
  });
  return true;
})();
