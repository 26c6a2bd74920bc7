// The file pickers of every page (the registration's scans, a record's 补传材料): the browser's own file box
// names its button in the browser's language, so it is hidden behind a Chinese 「选择文件」 label, with the
// chosen file's name, a thumbnail of an image, and a camera button on phones and tablets. Without this
// script the native box stays and works.
(function () {
  "use strict";

  var canSetFiles = (function () {
    try {
      return typeof DataTransfer === "function" && !!new DataTransfer().items;
    } catch (error) {
      return false;
    }
  })();
  var coarsePointer = window.matchMedia && window.matchMedia("(pointer: coarse)").matches;
  document.querySelectorAll("[data-file-picker]").forEach(function (picker) {
    var input = picker.querySelector("[data-file-input]");
    var buttons = picker.querySelector("[data-file-buttons]");
    var camera = picker.querySelector("[data-camera]");
    var cameraInput = picker.querySelector("[data-camera-input]");
    var fileName = picker.querySelector("[data-file-name]");
    if (!input || !buttons) {
      return;
    }
    // The native box names its button in the browser's language: replaced by our own label.
    input.classList.add("visually-hidden");
    buttons.classList.remove("d-none");
    buttons.classList.add("d-inline-flex", "flex-wrap", "align-items-center", "gap-2");
    var thumb = picker.querySelector("[data-file-thumb]");
    input.addEventListener("change", function () {
      if (input.files.length) {
        fileName.textContent = input.files[0].name;
        showThumb(thumb, input.files[0]);
      }
    });
    if (!camera || !cameraInput || !canSetFiles || !coarsePointer) {
      if (camera) {
        camera.remove();
      }
      return;
    }
    camera.addEventListener("click", function () {
      cameraInput.click();
    });
    cameraInput.addEventListener("change", function () {
      if (!cameraInput.files.length) {
        return;
      }
      var transfer = new DataTransfer();
      transfer.items.add(cameraInput.files[0]);
      input.files = transfer.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
  });

  // A small picture of an image chosen, so that the clerk sees which scan went where. Read as a data: URL,
  // which the pages' Content-Security-Policy allows for images (blob: it does not).
  function showThumb(thumb, file) {
    if (!thumb || !window.FileReader) {
      return;
    }
    thumb.hidden = true;
    thumb.removeAttribute("src");
    if (!/^image\/(jpeg|png)$/.test(file.type)) {
      return;
    }
    var reader = new FileReader();
    reader.onload = function () {
      thumb.src = reader.result;
      thumb.hidden = false;
    };
    reader.readAsDataURL(file);
  }
})();
