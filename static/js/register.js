// The new-registration page: babies added and removed, the route's fields, the live preview of what
// will be issued, kept uploads, and one submit per click. Everything also works without this script,
// except the preview and adding babies.
(function () {
  "use strict";

  var form = document.getElementById("register-form");
  if (!form) {
    return;
  }
  var list = form.querySelector("[data-baby-list]");
  var template = form.querySelector("[data-baby-template]");
  var total = form.querySelector("#id_babies-TOTAL_FORMS");
  var maxBabies = parseInt(form.dataset.maxBabies, 10) || 8;
  var addButton = form.querySelector("[data-baby-add]");
  var previewUrl = form.dataset.previewUrl;
  var ID_RE = /^[0-9]{17}[0-9Xx]$/;

  function checkedValue(name) {
    var input = form.querySelector('input[name="' + name + '"]:checked');
    return input ? input.value : "";
  }

  function fieldValue(name) {
    var input = form.elements.namedItem(name);
    return input && typeof input.value === "string" ? input.value : "";
  }

  // Full-width digits and letters of a Chinese input method count as ASCII, as on the server.
  function compact(value) {
    return (value.normalize ? value.normalize("NFKC") : value).replace(/\s+/g, "");
  }

  function babies() {
    return Array.prototype.slice.call(list.querySelectorAll("[data-baby]"));
  }

  // --- babies: add, remove, renumber -------------------------------------------------------------

  function renumber() {
    var blocks = babies();
    blocks.forEach(function (block, index) {
      block.querySelector("[data-baby-number]").textContent = String(index + 1);
      block.querySelector("[data-baby-remove]").hidden = blocks.length === 1;
      ["name", "id", "for", "aria-describedby"].forEach(function (attribute) {
        block.querySelectorAll("[" + attribute + "]").forEach(function (element) {
          var value = element.getAttribute(attribute);
          element.setAttribute(attribute, value.replace(/babies-(\d+|__prefix__)-/g, "babies-" + index + "-"));
        });
      });
    });
    total.value = String(blocks.length);
    addButton.disabled = blocks.length >= maxBabies;
    addButton.title = blocks.length >= maxBabies ? "一次登记最多" + maxBabies + "名婴儿" : "";
  }

  function addBaby() {
    if (babies().length >= maxBabies) {
      return;
    }
    var html = template.innerHTML.replace(/__num__/g, String(babies().length + 1));
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    var block = holder.firstElementChild;
    // Twins are usually born on the same day: start from the first baby's date.
    var firstDate = list.querySelector('[data-baby] input[type="date"]');
    var newDate = block.querySelector('input[type="date"]');
    if (firstDate && newDate) {
      newDate.value = firstDate.value;
    }
    list.appendChild(block);
    renumber();
    showRoute();
    var firstRadio = block.querySelector('input[type="radio"]');
    if (firstRadio) {
      firstRadio.focus();
    }
    schedulePreview();
  }

  addButton.addEventListener("click", addBaby);
  list.addEventListener("click", function (event) {
    var remove = event.target.closest("[data-baby-remove]");
    if (remove && babies().length > 1) {
      remove.closest("[data-baby]").remove();
      renumber();
      schedulePreview();
    }
  });

  // --- the identity route and the parent whose ID is used -----------------------------------------

  function showRoute() {
    var route = checkedValue("route");
    form.querySelectorAll("[data-route-only]").forEach(function (element) {
      element.hidden = element.dataset.routeOnly !== route;
    });
  }

  function showParentRole() {
    var role = checkedValue("parent_role");
    form.querySelectorAll("[data-parent]").forEach(function (fieldset) {
      var isIdParent = fieldset.dataset.parent === role;
      fieldset.classList.toggle("app-parent-id", isIdParent);
      fieldset.querySelector("[data-id-parent-badge]").hidden = !isIdParent;
    });
  }

  // --- the preview of names and temporary IDs ---------------------------------------------------

  var previewTimer = null;
  var previewRequest = null;
  var previewList = form.querySelector("[data-preview-list]");
  var previewMessage = form.querySelector("[data-preview-message]");
  var defaultMessage = previewMessage.textContent;

  function schedulePreview() {
    window.clearTimeout(previewTimer);
    previewTimer = window.setTimeout(preview, 250);
  }

  function babyName(parentName, sex) {
    if (!parentName || !sex) {
      return "";
    }
    return parentName + (sex === "2" ? "之女" : "之子");
  }

  function render(rows, message) {
    previewList.textContent = "";
    var started = rows.some(function (row) {
      return row.name || row.id;
    });
    rows.forEach(function (row, index) {
      var inline = babies()[index] && babies()[index].querySelector("[data-baby-preview]");
      if (inline) {
        inline.textContent = row.name || row.id ? "将签发：" + (row.name || "（姓名待填写）") + " · " + (row.id || "（编码待生成）") : "";
      }
      if (!started) {
        return;
      }
      var item = document.createElement("li");
      item.className = "app-preview-item";
      var number = document.createElement("span");
      number.className = "badge text-bg-secondary me-2";
      number.textContent = String(index + 1);
      var name = document.createElement("span");
      name.className = row.name ? "fw-semibold me-2" : "text-secondary me-2";
      name.textContent = row.name || "（姓名待填写）";
      var id = document.createElement(row.id ? "code" : "span");
      id.className = row.id ? "app-preview-id" : "small text-secondary";
      id.textContent = row.id || "（编码待生成）";
      item.append(number, name, document.createElement("br"), id);
      previewList.appendChild(item);
    });
    previewMessage.textContent = message || "";
    previewMessage.hidden = !message;
  }

  function preview() {
    var route = checkedValue("route");
    var role = checkedValue("parent_role") || "mother";
    var parentName = fieldValue(role + "_name").trim();
    var parentId = compact(fieldValue(role + "_id_number")).toUpperCase();
    var sexes = babies().map(function (block) {
      var checked = block.querySelector('input[type="radio"]:checked');
      return checked ? checked.value : "";
    });
    var rows = sexes.map(function (sex, index) {
      var row = { name: babyName(parentName, sex), id: "" };
      if (route === "birth_certificate") {
        var certificate = babies()[index].querySelector('[name$="-birth_certificate_number"]');
        row.id = certificate ? compact(certificate.value).toUpperCase() : "";
      }
      return row;
    });
    if (previewRequest) {
      previewRequest.abort();
      previewRequest = null;
    }
    if (route !== "parent_id") {
      render(rows, rows.some(function (row) { return row.name || row.id; }) ? "" : defaultMessage);
      return;
    }
    if (!ID_RE.test(parentId) || !sexes.some(Boolean)) {
      render(rows, parentId && !ID_RE.test(parentId) ? "身份证号码应为18位。" : defaultMessage);
      return;
    }
    render(rows, "正在查询该身份证号已签发的字母…");
    previewRequest = new AbortController();
    var query = new URLSearchParams({ parent_id: parentId, parent_name: parentName, role: role, sexes: sexes.join(",") });
    fetch(previewUrl + "?" + query.toString(), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      signal: previewRequest.signal,
    })
      .then(function (response) {
        return response.json().catch(function () {
          return { error: "预览暂时不可用，保存时仍会正常生成编码。" };
        });
      })
      .then(function (data) {
        if (data.error) {
          render(rows, data.error);
          return;
        }
        data.babies.forEach(function (baby, index) {
          if (rows[index]) {
            rows[index].id = baby.temp_id || "";
            rows[index].name = baby.name || rows[index].name;
          }
        });
        render(rows, "");
      })
      .catch(function (error) {
        if (error.name !== "AbortError") {
          render(rows, "预览暂时不可用，保存时仍会正常生成编码。");
        }
      });
  }

  // --- uploads kept from an earlier submit ------------------------------------------------------

  form.querySelectorAll("[data-material]").forEach(function (block) {
    var staged = block.querySelector("[data-staged]");
    var input = block.querySelector('input[type="file"]');
    if (!staged || !input) {
      return;
    }
    var invalid = input.classList.contains("is-invalid");
    input.hidden = !invalid;
    staged.querySelector("[data-staged-replace]").addEventListener("click", function () {
      input.hidden = false;
      input.click();
    });
    staged.querySelector("[data-staged-remove]").addEventListener("click", function () {
      var token = block.querySelector("[data-staged-token]");
      if (token) {
        token.remove();
      }
      staged.remove();
      input.hidden = false;
    });
    input.addEventListener("change", function () {
      if (input.files.length) {
        staged.firstChild.textContent = "将替换为：";
        staged.querySelector(".text-break").textContent = input.files[0].name;
      }
    });
  });

  // --- the community box: typing replaces what was picked -----------------------------------------

  var communityText = form.querySelector("[data-community-text]");
  var communityId = form.querySelector("[data-community-id]");
  if (communityText && communityId) {
    communityText.addEventListener("input", function (event) {
      // Only the clerk's own typing (a picker sets the id itself): the server then resolves the text.
      if (event.isTrusted) {
        communityId.value = "";
      }
    });
  }

  // --- one submit per click ---------------------------------------------------------------------

  var submitting = false;
  var carried = null;
  form.addEventListener("submit", function (event) {
    if (submitting) {
      event.preventDefault();
      return;
    }
    submitting = true;
    // A disabled button is not submitted: carry the clicked one's name (the agency confirmation) along.
    var submitter = event.submitter;
    if (submitter && submitter.name) {
      carried = document.createElement("input");
      carried.type = "hidden";
      carried.name = submitter.name;
      carried.value = submitter.value;
      form.appendChild(carried);
    }
    form.querySelectorAll("[data-submit]").forEach(function (button) {
      button.disabled = true;
      if (button === submitter || (!submitter && button.type === "submit")) {
        button.dataset.label = button.textContent;
        button.textContent = "正在保存…";
      }
    });
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      // Back from the next page: the form may be submitted again (the request key keeps it single).
      submitting = false;
      if (carried) {
        carried.remove();
        carried = null;
      }
      form.querySelectorAll("[data-submit]").forEach(function (button) {
        button.disabled = false;
        if (button.dataset.label) {
          button.textContent = button.dataset.label;
        }
      });
    }
  });

  // --- wiring -----------------------------------------------------------------------------------

  form.addEventListener("change", function (event) {
    if (event.target.name === "route") {
      showRoute();
    }
    if (event.target.name === "parent_role") {
      showParentRole();
    }
    schedulePreview();
  });
  form.addEventListener("input", function (event) {
    var name = event.target.name || "";
    if (/_(name|id_number)$/.test(name) || /birth_certificate_number$/.test(name)) {
      schedulePreview();
    }
  });

  renumber();
  showRoute();
  showParentRole();
  preview();
  var summary = document.getElementById("register-errors");
  if (summary) {
    summary.focus();
  }
})();
