// Give the book's sliders an accessible name and let them announce the value they show.
//
// ipywidgets draws a slider as a label beside a noUiSlider handle (role="slider"), but
// does not tie the two together, so a screen reader met an unnamed slider announcing an
// index. Once the widgets have rendered, each handle is named by its label and its
// aria-valuetext follows the readout (the parameter's own value, such as "0.15" or "red").
(function () {
  "use strict";

  function labelOf(slider) {
    var label = slider.querySelector(".widget-label");
    return label ? label.textContent.trim() : "";
  }

  function announce(handle, readout) {
    var text = readout.textContent.trim();
    if (text && handle.getAttribute("aria-valuetext") !== text) {
      handle.setAttribute("aria-valuetext", text);
    }
  }

  function fix(slider) {
    var handle = slider.querySelector(".noUi-handle[role='slider']");
    if (!handle || handle.dataset.cnnNamed === "yes") {
      return;
    }
    var name = labelOf(slider) || "value";
    handle.setAttribute("aria-label", name);
    handle.dataset.cnnNamed = "yes";
    var readout = slider.querySelector(".widget-readout");
    if (readout) {
      announce(handle, readout);
      // noUiSlider rewrites aria-valuetext with the index on every move; put the value back.
      new MutationObserver(function () { announce(handle, readout); })
        .observe(readout, { childList: true, characterData: true, subtree: true });
      new MutationObserver(function () { announce(handle, readout); })
        .observe(handle, { attributes: true, attributeFilter: ["aria-valuetext"] });
    }
  }

  function fixAll(root) {
    root.querySelectorAll(".widget-slider, .widget-hslider").forEach(fix);
  }

  function start() {
    fixAll(document);
    new MutationObserver(function () { fixAll(document); })
      .observe(document.body, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
