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
  // Forms that change a lot ask first.
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
});
