// Arrears: small progressive enhancements; every page works without them.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // A grid row opens its customer when clicked anywhere, not only on its link.
  for (const row of document.querySelectorAll("table.grid tbody tr")) {
    const link = row.querySelector("a[href]");
    if (!link) continue;
    row.addEventListener("click", (event) => {
      if (event.target.closest("a, button, input, select")) return;
      window.location.href = link.href;
    });
  }
  // The rule editor shows what the filter matches as it is typed.
  const filter = document.querySelector("textarea[data-preview]");
  const preview = document.getElementById("preview");
  if (filter && preview) {
    const form = filter.form;
    let timer = null;
    let asked = 0;
    const refresh = () => {
      const params = new URLSearchParams();
      for (const name of ["company_id", "credit_class", "view", "filter"]) {
        params.set(name, form.elements[name].value);
      }
      const ticket = ++asked;
      fetch(filter.dataset.preview + "?" + params.toString(), { credentials: "same-origin" })
        .then((answer) => (answer.ok ? answer.text() : null))
        .then((html) => {
          if (html !== null && ticket === asked) preview.innerHTML = html;
        })
        .catch(() => {});
    };
    const later = () => {
      clearTimeout(timer);
      timer = setTimeout(refresh, 300);
    };
    filter.addEventListener("input", later);
    for (const name of ["company_id", "credit_class", "view"]) {
      form.elements[name].addEventListener("change", later);
    }
  }
  // Forms that change a lot ask first.
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
});
