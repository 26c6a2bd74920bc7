// The new-registration page: babies added and removed, the route's fields, the live preview of what
// will be issued, kept uploads, the suggested communities and the household address they start, the scans
// in one choice, and one submit per click. Everything also works without this script, except the preview,
// adding babies, the suggestions and the one choice of every scan.
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

  // The ID parent comes first and open; the other is folded unless something is typed in it or it has an
  // error (folded fields are still sent). The server renders the same on a reload.
  var parents = form.querySelector("[data-parents]");

  function showParentRole(changed) {
    var role = checkedValue("parent_role");
    form.querySelectorAll("[data-parent]").forEach(function (block) {
      var isIdParent = block.dataset.parent === role;
      block.classList.toggle("app-parent-id", isIdParent);
      block.querySelector("[data-id-parent-badge]").hidden = !isIdParent;
      block.querySelector("[data-other-parent-hint]").hidden = isIdParent;
      if (isIdParent) {
        block.open = true;
        if (changed && parents && parents.firstElementChild !== block) {
          parents.insertBefore(block, parents.firstElementChild);
        }
      } else if (changed) {
        block.open = Array.prototype.some.call(block.querySelectorAll("input"), function (input) {
          return input.value.trim() !== "" || input.classList.contains("is-invalid");
        });
      }
    });
  }

  // The ID parent's fields stay open: its summary is a title there, not a fold.
  form.addEventListener("click", function (event) {
    var summary = event.target.closest(".app-parent-summary");
    if (summary && summary.parentElement.classList.contains("app-parent-id")) {
      event.preventDefault();
    }
  });

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

  // The babies' names as the server computed them (newborn_name), by parent's name and sex: shown again
  // while a newer preview is on its way, never computed here.
  var serverNames = {};

  function knownName(parentName, sex) {
    return (parentName && sex && serverNames[parentName + "|" + sex]) || "";
  }

  function render(rows, message) {
    previewList.textContent = "";
    var started = rows.some(function (row) {
      return row.name || row.id || row.problem;
    });
    rows.forEach(function (row, index) {
      var inline = babies()[index] && babies()[index].querySelector("[data-baby-preview]");
      var date = babies()[index] && babies()[index].querySelector('input[type="date"]');
      if (row.problem && date && date.classList.contains("is-invalid") && date.value === date.defaultValue) {
        row = { name: row.name, id: row.id, problem: "" }; // the server's message is already beside the date
      }
      if (inline) {
        inline.classList.toggle("text-danger", !!row.problem);
        inline.textContent = row.problem
          ? "不能登记：" + row.problem
          : row.name || row.id
            ? "将签发：" + (row.name || "（姓名待填写）") + " · " + (row.id || "（编码待生成）")
            : "";
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
      if (row.problem) {
        var problem = document.createElement("div");
        problem.className = "small text-danger";
        problem.textContent = "不能登记：" + row.problem;
        item.appendChild(problem);
      }
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
    var births = babies().map(function (block) {
      var date = block.querySelector('input[type="date"]');
      return date ? date.value : "";
    });
    var rows = sexes.map(function (sex, index) {
      var row = { name: knownName(parentName, sex), id: "" };
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
    // The letters are asked for on the parent-ID route with a full ID; the names when a name and a sex
    // are there; the birth dates' eligibility always.
    var askLetters = route === "parent_id" && ID_RE.test(parentId) && sexes.some(Boolean);
    var askNames = !!parentName && sexes.some(Boolean);
    var message = defaultMessage;
    if (route === "parent_id" && parentId && !ID_RE.test(parentId)) {
      message = "身份证号码应为18位。";
    } else if (route !== "parent_id" && (askNames || rows.some(function (row) { return row.id; }))) {
      message = "";
    }
    if (!askLetters && !askNames && !births.some(Boolean)) {
      render(rows, message);
      return;
    }
    render(rows, askLetters ? "正在查询该身份证号已签发的字母…" : message);
    previewRequest = new AbortController();
    // POST, not GET: the parent's ID number and name stay out of every URL (proxy logs, history).
    var body = new FormData();
    body.append("sexes", sexes.join(","));
    body.append("births", births.join(","));
    body.append("parent_name", parentName);
    if (askLetters) {
      body.append("parent_id", parentId);
      body.append("role", role);
    }
    var token = form.elements.namedItem("csrfmiddlewaretoken");
    fetch(previewUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": token ? token.value : "" },
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
            if (askLetters) {
              rows[index].id = baby.temp_id || "";
            }
            rows[index].name = baby.name || "";
            if (baby.name) {
              serverNames[parentName + "|" + sexes[index]] = baby.name;
            }
            rows[index].problem = baby.problem || "";
          }
        });
        render(rows, askLetters ? "" : message);
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
    var picker = block.querySelector("[data-file-picker]") || input;
    var invalid = input.classList.contains("is-invalid");
    picker.hidden = !invalid;
    staged.querySelector("[data-staged-replace]").addEventListener("click", function () {
      picker.hidden = false;
      input.click();
    });
    staged.querySelector("[data-staged-remove]").addEventListener("click", function () {
      var token = block.querySelector("[data-staged-token]");
      if (token) {
        token.remove();
      }
      staged.remove();
      picker.hidden = false;
    });
    input.addEventListener("change", function () {
      if (input.files.length) {
        staged.firstChild.textContent = "将替换为：";
        staged.querySelector(".text-break").textContent = input.files[0].name;
      }
    });
  });

  // The file pickers' Chinese buttons, camera and thumbnails: file-picker.js (also on the record's page).
  var canSetFiles = (function () {
    try {
      return typeof DataTransfer === "function" && !!new DataTransfer().items;
    } catch (error) {
      return false;
    }
  })();

  // --- all the scans in one choice: put, in file-name order, into the required kinds still empty -----

  var bulkInput = form.querySelector("[data-bulk-input]");
  if (bulkInput && canSetFiles) {
    var bulkMessage = form.querySelector("[data-bulk-message]");
    form.querySelectorAll("[data-bulk-picker]").forEach(function (element) {
      element.hidden = false;
    });
    bulkInput.addEventListener("change", function () {
      var files = Array.prototype.slice.call(bulkInput.files).sort(function (a, b) {
        return a.name.localeCompare(b.name, "zh-CN", { numeric: true });
      });
      var last = checkedValue("route") === "birth_certificate" ? "birth_certificate" : "birth_record";
      var slots = ["household_head", "household_parent", last]
        .map(function (kind) {
          return form.querySelector('input[name="material_' + kind + '"]');
        })
        .filter(function (input) {
          var block = input && input.closest("[data-material]");
          return input && !input.files.length && !(block && block.querySelector("[data-staged-token]"));
        });
      files.slice(0, slots.length).forEach(function (file, index) {
        var transfer = new DataTransfer();
        transfer.items.add(file);
        slots[index].files = transfer.files;
        slots[index].dispatchEvent(new Event("change", { bubbles: true }));
      });
      // Each box names its file and shows it; only what found no box is said here.
      var left = files.slice(slots.length).map(function (file) {
        return file.name;
      });
      bulkMessage.textContent = left.length ? "未放入：" + left.join("、") + "（没有尚未选择文件的栏），请在对应的栏中选择。" : "";
      bulkMessage.hidden = !left.length;
      bulkInput.value = "";
    });
  }

  // --- the record's phone follows the ID parent's until the clerk types another --------------------

  var sharedPhone = form.elements.namedItem("phone");
  var copiedPhone = sharedPhone ? sharedPhone.value : "";
  form.addEventListener("input", function (event) {
    var role = checkedValue("parent_role") || "mother";
    if (!sharedPhone || event.target.name !== role + "_phone") {
      return;
    }
    if (sharedPhone.value === "" || sharedPhone.value === copiedPhone) {
      sharedPhone.value = copiedPhone = event.target.value;
    }
  });

  // --- Enter in a text box does not send the whole form -------------------------------------------

  form.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Enter" && target.tagName === "INPUT" && !/^(submit|button|file)$/.test(target.type)) {
      event.preventDefault();
    }
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

  // --- a community this hospital registered lately, in one click; the household address started ------

  var suggestions = form.querySelector("[data-community-suggestions]");
  var pickerBox = form.querySelector("[data-community-picker]");

  function chooseCommunity(row) {
    if (pickerBox && pickerBox.communityPicker) {
      pickerBox.communityPicker.choose(row); // the id, the full name, the agency shown, community:change
      return;
    }
    communityId.value = String(row.id);
    communityText.value = row.full_name;
    (pickerBox || form).dispatchEvent(new CustomEvent("community:change", { bubbles: true, detail: row }));
  }

  // Those of the ID parent's region (its ID's first six digits, former codes included) first.
  function rankSuggestions() {
    if (!suggestions) {
      return;
    }
    var role = checkedValue("parent_role") || "mother";
    var id = compact(fieldValue(role + "_id_number"));
    var region = /^[0-9]{6}/.test(id) ? id.slice(0, 6) : "";
    var buttons = Array.prototype.slice
      .call(suggestions.querySelectorAll("[data-community-suggestion]"))
      .sort(function (a, b) {
        return Number(a.dataset.order) - Number(b.dataset.order);
      });
    var matching = [];
    var others = [];
    buttons.forEach(function (button) {
      var match = !!region && button.dataset.regions.split(" ").indexOf(region) !== -1;
      button.querySelector("[data-region-badge]").hidden = !match;
      button.querySelector("[data-region-match]").hidden = !match;
      (match ? matching : others).push(button);
    });
    matching.concat(others).forEach(function (button) {
      suggestions.appendChild(button);
    });
  }

  if (suggestions) {
    suggestions.querySelectorAll("[data-community-suggestion]").forEach(function (button, index) {
      button.dataset.order = String(index);
      button.addEventListener("click", function () {
        chooseCommunity(JSON.parse(button.dataset.communitySuggestion));
      });
    });
  }

  // The household address starts from the community's full name, until the clerk types their own.
  var address = form.elements.namedItem("household_address");
  var addressStart = "";
  form.addEventListener("community:change", function (event) {
    var start = event.detail && event.detail.address_start;
    if (address && start && (address.value.trim() === "" || address.value === addressStart)) {
      address.value = addressStart = start;
    }
  });

  // The declarations name the birth hospital as typed.
  var birthHospital = form.elements.namedItem("birth_hospital_name");
  function showBirthHospital() {
    form.querySelectorAll("[data-declared-hospital]").forEach(function (element) {
      element.textContent = birthHospital.value.trim();
    });
  }
  if (birthHospital) {
    birthHospital.addEventListener("input", showBirthHospital);
    birthHospital.addEventListener("change", showBirthHospital);
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
      showParentRole(true);
      rankSuggestions();
    }
    schedulePreview();
  });
  form.addEventListener("input", function (event) {
    var name = event.target.name || "";
    if (/_(name|id_number)$/.test(name) || /(birth_certificate_number|birth_date)$/.test(name)) {
      schedulePreview();
    }
    if (/_id_number$/.test(name)) {
      rankSuggestions();
    }
  });

  renumber();
  showRoute();
  showParentRole();
  rankSuggestions();
  preview();
  var summary = document.getElementById("register-errors");
  if (summary) {
    summary.focus();
  }
})();
