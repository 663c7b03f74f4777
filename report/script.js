// The report's only script. Nothing in the page needs it to be read: it
// copies the data of an image shown twice (the SD card's frames are the
// mail's), opens a snapshot to its full size, and opens or closes every
// folded run of the sequence diagram at once.
"use strict";
for (const img of document.querySelectorAll("img[data-same]")) {
  const first = document.getElementById(img.dataset.same);
  if (first) img.src = first.src;
}
for (const img of document.querySelectorAll("img.snap")) {
  img.addEventListener("click", () => img.closest("figure").classList.toggle("whole"));
}
const toggle = document.getElementById("toggle-folds");
if (toggle) {
  toggle.addEventListener("click", () => {
    const open = toggle.dataset.open !== "1";
    for (const d of document.querySelectorAll("details.fold")) d.open = open;
    toggle.dataset.open = open ? "1" : "0";
    toggle.textContent = open ? "fold them again" : "expand every folded run";
  });
}
