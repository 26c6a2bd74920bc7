// The 新生儿出生一件事 advisor of the registration page: asks the server (POST /register/advice) whether
// what has been typed meets the 2026 guide's conditions for the joint handling, and shows it when it does.
// Informational only; the page works the same without it.
(function () {
  "use strict";

  var form = document.getElementById("register-form");
  var box = document.querySelector("[data-advisor]");
  if (!form || !box) {
    return;
  }
  var url = box.dataset.adviceUrl;
  var lastDay = box.querySelector("[data-advisor-last-day]");
  var confirmList = box.querySelector("[data-advisor-confirm]");
  var FIELDS = [
    "mother_id_number", "father_id_number", "parent_role", "nationality", "household_type",
    "community", "community_text", "birth_hospital_name",
  ];
  var timer = null;
  var pending = null;

  function value(name) {
    var checked = form.querySelector('input[name="' + name + '"]:checked');
    if (checked) {
      return checked.value;
    }
    var input = form.elements.namedItem(name);
    return input && typeof input.value === "string" ? input.value : "";
  }

  function birthDates() {
    return Array.prototype.map.call(form.querySelectorAll('[data-baby] input[name$="-birth_date"]'), function (input) {
      return input.value;
    }).filter(Boolean).join(",");
  }

  function show(advice) {
    if (!advice || !advice.eligible) {
      box.hidden = true;
      return;
    }
    lastDay.textContent = advice.last_day_zh;
    confirmList.textContent = "";
    advice.to_confirm.forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      confirmList.appendChild(item);
    });
    box.hidden = false;
  }

  function ask() {
    var body = new FormData();
    FIELDS.forEach(function (name) {
      body.append(name, value(name));
    });
    body.append("birth_dates", birthDates());
    var token = form.elements.namedItem("csrfmiddlewaretoken");
    if (pending) {
      pending.abort();
    }
    pending = new AbortController();
    fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": token ? token.value : "" },
      signal: pending.signal,
    })
      .then(function (response) { return response.json(); })
      .then(function (data) { show(data.advice); })
      .catch(function (error) {
        if (error.name !== "AbortError") {
          box.hidden = true;
        }
      });
  }

  var submitted = false;

  function schedule() {
    window.clearTimeout(timer);
    if (!submitted) {
      timer = window.setTimeout(ask, 400);
    }
  }

  // Saving takes over: no advice request may compete with the registration's own POST.
  form.addEventListener("submit", function () {
    submitted = true;
    window.clearTimeout(timer);
    if (pending) {
      pending.abort();
    }
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      submitted = false;
    }
  });

  form.addEventListener("change", schedule);
  form.addEventListener("input", schedule);
  form.addEventListener("click", function (event) {
    if (event.target.closest("[data-baby-add], [data-baby-remove]")) {
      schedule();
    }
  });
  ask();
})();
