/*
 * community-picker.js: find the enrollment community (参保社区, 附件2) by typing, or pick it level by level.
 * Vanilla JS, no libraries, no network access beyond this app's own JSON endpoints.
 *
 * Markup contract (the widget attaches itself on DOMContentLoaded to every [data-community-picker]):
 *
 *   <div data-community-picker
 *        data-search-url="/divisions/search"             optional, this default
 *        data-children-url="/divisions/{id}/children"    optional, this default; {id} is replaced
 *        data-roots-url="/divisions/children">           optional, this default: the province's cities
 *     <label for="id_community_text">参保社区</label>
 *     <input type="hidden" name="community" data-community-id>      the chosen division's id (社区ID)
 *     <input type="text" id="id_community_text" data-community-text>  what the clerk types or the full name
 *     ... (anything else: help text, .invalid-feedback; the widget only adds elements after the text box)
 *   </div>
 *
 * What it does:
 *   - Typing (two or more characters, a 社区ID or a 6-12 digit code) shows matching communities under the
 *     text box after a short pause (GET search-url?q=…). Arrow keys move through them, Enter or a click
 *     chooses, Escape closes the list. Typing again clears the chosen id (the server then resolves the text).
 *   - The 「逐级选择」 button opens selects for 市 → 区县 → 乡镇（街道） → 村（社区） (a 省 select first when
 *     the app's province is not loaded), each filled from children-url of the one before.
 *   - Choosing, either way, sets the hidden input to the id, the text box to the full name, shows the full
 *     name, code and insurance agency (参保所属机构) below, and dispatches a bubbling
 *     "community:change" CustomEvent on the container with detail {id, code, name, full_name, agency,
 *     address_start}. The registration page calls choose(row) itself for its suggested communities.
 *
 * Expected JSON, for search and children alike:
 *   {"results": [{"id", "code", "name", "full_name", "level", "agency": name or null, "address_start"}],
 *    "hint"?, "error"?}
 */
(function () {
  "use strict";

  var LEVEL_LABELS = { 1: "省", 2: "市", 3: "区县", 4: "乡镇（街道）", 5: "村（社区）" };
  var VILLAGE = 5;
  var DEBOUNCE_MS = 200;
  var counter = 0;

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function fetchJson(url, signal) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", signal: signal })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") === -1) {
          // The login page instead of JSON: the session ran out while the page was open.
          throw new Error("登录已过期，请刷新页面后重新登录。");
        }
        return response.json().then(function (body) {
          if (!response.ok) {
            throw new Error(body.error || "查询失败，请稍后重试。");
          }
          return body;
        });
      });
  }

  function Picker(container) {
    this.container = container;
    this.idInput = container.querySelector("[data-community-id]");
    this.textInput = container.querySelector("[data-community-text]");
    this.searchUrl = container.getAttribute("data-search-url") || "/divisions/search";
    this.childrenUrl = container.getAttribute("data-children-url") || "/divisions/{id}/children";
    this.rootsUrl = container.getAttribute("data-roots-url") || "/divisions/children";
    this.uid = "community-picker-" + ++counter;
    this.results = [];
    this.active = -1;
    this.cache = {};
    this.timer = null;
    this.controller = null;
    this.selects = {};
    this.build();
    this.bind();
    this.restore();
  }

  // A page sent back with errors keeps the chosen id: show again what it is (the search puts an exact
  // 社区ID first).
  Picker.prototype.restore = function () {
    var self = this;
    var id = this.idInput.value.trim();
    if (!/^\d+$/.test(id)) {
      return;
    }
    fetchJson(this.searchUrl + "?q=" + encodeURIComponent(id))
      .then(function (body) {
        var row = (body.results || []).filter(function (result) {
          return String(result.id) === id;
        })[0];
        if (row && self.idInput.value === id) {
          self.describe(row);
        }
      })
      .catch(function () {});
  };

  Picker.prototype.build = function () {
    if (window.getComputedStyle(this.container).position === "static") {
      this.container.style.position = "relative";
    }
    var input = this.textInput;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", this.uid + "-list");
    input.setAttribute("autocomplete", "off");

    this.list = element("div", "list-group shadow-sm position-absolute overflow-auto");
    this.list.id = this.uid + "-list";
    this.list.setAttribute("role", "listbox");
    this.list.setAttribute("aria-label", "参保社区查询结果");
    this.list.style.zIndex = "1050";
    this.list.style.maxHeight = "20rem";
    this.list.hidden = true;
    input.insertAdjacentElement("afterend", this.list);

    this.tools = element("div", "d-flex flex-wrap align-items-start gap-2 mt-1");
    this.status = element("div", "small text-secondary flex-grow-1");
    this.status.setAttribute("role", "status");
    this.status.setAttribute("aria-live", "polite");
    this.toggle = element("button", "btn btn-sm btn-outline-secondary", "逐级选择");
    this.toggle.type = "button";
    this.toggle.setAttribute("aria-expanded", "false");
    this.toggle.setAttribute("aria-controls", this.uid + "-levels");
    this.tools.appendChild(this.status);
    this.tools.appendChild(this.toggle);
    this.list.insertAdjacentElement("afterend", this.tools);

    this.levels = element("div", "row g-2 mt-1");
    this.levels.id = this.uid + "-levels";
    this.levels.hidden = true;
    this.tools.insertAdjacentElement("afterend", this.levels);
  };

  Picker.prototype.bind = function () {
    var self = this;
    this.textInput.addEventListener("input", function (event) {
      if (!event.isTrusted) {
        return;
      }
      self.idInput.value = "";
      self.say("");
      clearTimeout(self.timer);
      self.timer = setTimeout(function () {
        self.search(self.textInput.value);
      }, DEBOUNCE_MS);
    });
    this.textInput.addEventListener("keydown", function (event) {
      self.onKey(event);
    });
    this.textInput.addEventListener("blur", function () {
      // Later than the click on a result, which must still find the list open.
      setTimeout(function () {
        self.close();
      }, 150);
    });
    this.textInput.addEventListener("focus", function () {
      if (self.results.length && !self.idInput.value) {
        self.open();
      }
    });
    this.toggle.addEventListener("click", function () {
      self.toggleLevels();
    });
  };

  // --- typing ------------------------------------------------------------------------------------------

  Picker.prototype.search = function (text) {
    var self = this;
    var query = text.trim();
    if (this.controller) {
      this.controller.abort();
    }
    if (query.replace(/\s+/g, "").length < 2 && !/^\d+$/.test(query)) {
      this.show([]);
      this.say(query ? "请输入至少两个汉字的名称、社区ID或6至12位区划代码。" : "");
      return;
    }
    if (this.cache[query]) {
      this.answer(this.cache[query]);
      return;
    }
    this.controller = window.AbortController ? new AbortController() : null;
    var url = this.searchUrl + "?q=" + encodeURIComponent(query);
    fetchJson(url, this.controller && this.controller.signal)
      .then(function (body) {
        self.cache[query] = body;
        if (self.textInput.value.trim() === query) {
          self.answer(body);
        }
      })
      .catch(function (error) {
        if (error.name !== "AbortError") {
          self.show([]);
          self.say(error.message, true);
        }
      });
  };

  Picker.prototype.answer = function (body) {
    this.show(body.results || []);
    if (body.results && body.results.length) {
      this.say("找到 " + body.results.length + " 个村（社区），用↑↓选择，回车确认。");
    } else {
      this.say(body.hint || "没有找到匹配的村（社区），可换个关键词，或用「逐级选择」。");
    }
  };

  Picker.prototype.show = function (results) {
    var self = this;
    this.results = results;
    this.active = -1;
    this.list.textContent = "";
    results.forEach(function (row, index) {
      var option = element("div", "list-group-item list-group-item-action py-1");
      option.id = self.uid + "-option-" + index;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.appendChild(element("div", "fw-semibold", row.name));
      var line = row.full_name + " · " + row.code + " · 社区ID " + row.id;
      option.appendChild(element("div", "small text-secondary", line));
      option.appendChild(element("div", "small", "参保所属机构：" + (row.agency || "未找到")));
      option.addEventListener("mousedown", function (event) {
        event.preventDefault(); // keep the focus in the text box
      });
      option.addEventListener("click", function () {
        self.choose(row);
      });
      self.list.appendChild(option);
    });
    if (results.length) {
      this.open();
    } else {
      this.close();
    }
  };

  Picker.prototype.open = function () {
    var input = this.textInput;
    this.list.style.top = input.offsetTop + input.offsetHeight + "px";
    this.list.style.left = input.offsetLeft + "px";
    this.list.style.width = input.offsetWidth + "px";
    this.list.hidden = false;
    input.setAttribute("aria-expanded", "true");
  };

  Picker.prototype.close = function () {
    this.list.hidden = true;
    this.textInput.setAttribute("aria-expanded", "false");
    this.textInput.removeAttribute("aria-activedescendant");
  };

  Picker.prototype.onKey = function (event) {
    var open = !this.list.hidden && this.results.length;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!this.results.length) {
        return;
      }
      event.preventDefault();
      if (!open) {
        this.open();
      }
      var step = event.key === "ArrowDown" ? 1 : -1;
      this.highlight((this.active + step + this.results.length) % this.results.length);
    } else if (event.key === "Enter" && open) {
      // Enter in the box must not submit the registration form while a result list is showing.
      event.preventDefault();
      this.choose(this.results[this.active >= 0 ? this.active : 0]);
    } else if (event.key === "Escape" && open) {
      event.preventDefault();
      this.close();
    }
  };

  Picker.prototype.highlight = function (index) {
    var options = this.list.children;
    for (var i = 0; i < options.length; i++) {
      options[i].classList.toggle("active", i === index);
      options[i].setAttribute("aria-selected", i === index ? "true" : "false");
    }
    this.active = index;
    options[index].scrollIntoView({ block: "nearest" });
    this.textInput.setAttribute("aria-activedescendant", options[index].id);
  };

  // --- choosing ----------------------------------------------------------------------------------------

  Picker.prototype.choose = function (row) {
    this.idInput.value = String(row.id);
    // Set without an input event: the registration page's own script keeps the id only then.
    this.textInput.value = row.full_name;
    this.textInput.classList.remove("is-invalid");
    this.close();
    this.describe(row);
    this.container.dispatchEvent(
      new CustomEvent("community:change", {
        bubbles: true,
        detail: {
          id: row.id,
          code: row.code,
          name: row.name,
          full_name: row.full_name,
          agency: row.agency,
          address_start: row.address_start || "",
        },
      })
    );
  };

  Picker.prototype.describe = function (row) {
    this.say(
      "已选择：" + row.full_name + "（编码 " + row.code + "，社区ID " + row.id + "）· 参保所属机构：" +
        (row.agency || "未找到，请核对")
    );
    this.status.classList.toggle("text-danger", !row.agency);
  };

  Picker.prototype.say = function (text, isError) {
    this.status.textContent = text;
    this.status.classList.toggle("text-danger", !!isError);
  };

  // --- level by level ----------------------------------------------------------------------------------

  Picker.prototype.toggleLevels = function () {
    var opening = this.levels.hidden;
    this.levels.hidden = !opening;
    this.toggle.setAttribute("aria-expanded", opening ? "true" : "false");
    this.toggle.textContent = opening ? "收起逐级选择" : "逐级选择";
    if (opening && !this.levels.children.length) {
      this.loadLevel(this.rootsUrl, null);
    }
    if (opening) {
      var first = this.levels.querySelector("select:not([disabled])");
      if (first) {
        first.focus();
      }
    }
  };

  Picker.prototype.makeSelects = function (fromLevel) {
    var self = this;
    for (var level = fromLevel; level <= VILLAGE; level++) {
      var column = element("div", "col-sm-6 col-lg-3");
      var id = this.uid + "-level-" + level;
      var label = element("label", "form-label small mb-1", LEVEL_LABELS[level]);
      label.setAttribute("for", id);
      var select = element("select", "form-select form-select-sm");
      select.id = id;
      select.disabled = true;
      select.dataset.level = String(level);
      select.appendChild(element("option", "", "—"));
      select.addEventListener("change", function (event) {
        self.onLevelChange(event.target);
      });
      column.appendChild(label);
      column.appendChild(select);
      this.levels.appendChild(column);
      this.selects[level] = select;
    }
  };

  Picker.prototype.loadLevel = function (url, after) {
    // `after` is the select whose choice asked for this list (none for the first list).
    var self = this;
    this.say("正在加载…");
    fetchJson(url)
      .then(function (body) {
        var rows = body.results || [];
        if (!rows.length) {
          self.say("下级区划为空。");
          return;
        }
        var level = rows[0].level;
        if (!self.levels.children.length) {
          self.makeSelects(level);
        }
        var select = self.selects[level];
        if (!select) {
          return;
        }
        // A level the data skips (a city without districts) stays disabled.
        self.clearBelow(after ? Number(after.dataset.level) : level - 1);
        select.textContent = "";
        select.appendChild(element("option", "", "请选择" + LEVEL_LABELS[level]));
        select.firstChild.value = "";
        rows.forEach(function (row) {
          var option = element("option", "", row.name);
          option.value = String(row.id);
          option.rowData = row;
          select.appendChild(option);
        });
        // No focus move: arrowing through a closed select fires "change" at each step in some browsers.
        select.disabled = false;
        self.say("");
      })
      .catch(function (error) {
        self.say(error.message, true);
      });
  };

  Picker.prototype.clearBelow = function (level) {
    for (var below = level + 1; below <= VILLAGE; below++) {
      var select = this.selects[below];
      if (select) {
        select.textContent = "";
        select.appendChild(element("option", "", "—"));
        select.disabled = true;
      }
    }
  };

  Picker.prototype.onLevelChange = function (select) {
    var option = select.options[select.selectedIndex];
    var row = option && option.rowData;
    var level = Number(select.dataset.level);
    this.clearBelow(level);
    if (!row) {
      return;
    }
    if (row.level >= VILLAGE) {
      this.choose(row);
      return;
    }
    this.loadLevel(this.childrenUrl.replace("{id}", encodeURIComponent(row.id)), select);
  };

  function attachAll() {
    var containers = document.querySelectorAll("[data-community-picker]");
    for (var i = 0; i < containers.length; i++) {
      var container = containers[i];
      if (container.communityPicker) {
        continue;
      }
      if (container.querySelector("[data-community-id]") && container.querySelector("[data-community-text]")) {
        container.communityPicker = new Picker(container);
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", attachAll);
  } else {
    attachAll();
  }
  window.CommunityPicker = { attachAll: attachAll };
})();
