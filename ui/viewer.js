// The article reader: a click on a source card opens the whole article in a
// dialog and scrolls the cited sentence into view. The cards are re-rendered
// after every answer, so one listener on the document handles them all.
(() => {
  if (window.__ragReader) return;
  window.__ragReader = true;
  let lastFocus = null;

  function dialog() {
    let box = document.getElementById("rag-modal");
    if (box) return box;
    box = document.createElement("div");
    box.id = "rag-modal";
    box.className = "rag-modal";
    box.hidden = true;
    box.innerHTML =
      '<div class="rag-modal-backdrop" data-rag-close></div>' +
      '<div class="rag-modal-box" role="dialog" aria-modal="true" aria-label="Toàn văn bài báo">' +
      '<button type="button" class="rag-modal-close" data-rag-close aria-label="Đóng">×</button>' +
      '<div class="rag-modal-body"></div></div>';
    document.body.appendChild(box);
    return box;
  }

  function open(templateId, opener) {
    const template = document.getElementById(templateId);
    if (!template) return;
    const box = dialog();
    const body = box.querySelector(".rag-modal-body");
    body.replaceChildren(template.content.cloneNode(true));
    lastFocus = opener || null;
    box.hidden = false;
    document.documentElement.classList.add("rag-modal-open");
    body.scrollTop = 0;
    const focus = body.querySelector("#rag-focus");
    requestAnimationFrame(() => {
      if (focus) focus.scrollIntoView({ block: "center" });
      box.querySelector(".rag-modal-close").focus({ preventScroll: true });
    });
  }

  function close() {
    const box = document.getElementById("rag-modal");
    if (!box || box.hidden) return;
    box.hidden = true;
    document.documentElement.classList.remove("rag-modal-open");
    if (lastFocus && document.contains(lastFocus)) lastFocus.focus({ preventScroll: true });
  }

  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    if (target.closest("[data-rag-close]")) {
      close();
      return;
    }
    const card = target.closest("[data-rag-open]");
    if (card && !target.closest("a")) {
      event.preventDefault();
      open(card.getAttribute("data-rag-open"), card);
    }
  });

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      close();
      return;
    }
    const target = event.target instanceof Element ? event.target : null;
    if (target && (event.key === "Enter" || event.key === " ") && target.matches("[data-rag-open]")) {
      event.preventDefault();
      open(target.getAttribute("data-rag-open"), target);
    }
  });
})();
