// The pages' language: simplified Chinese by default, English by a visible switch remembered in
// localStorage. A page hands its dictionary to I18n.init(); elements carry their message keys
// (data-i18n for the text, data-i18n-placeholder / -title / -aria-label for attributes) and are
// translated again on every switch; numbers and dates are written by Intl in the page's locale.
"use strict";

const I18n = (() => {
  const STORAGE_KEY = "huitong.lang";
  const LANGUAGES = { "zh-CN": "中文", en: "English" };
  const DEFAULT = "zh-CN";
  let messages = { [DEFAULT]: {} };
  let lang = DEFAULT;
  const listeners = [];

  function stored() {
    try {
      const value = localStorage.getItem(STORAGE_KEY);
      return value in LANGUAGES ? value : DEFAULT;
    } catch {
      return DEFAULT;  // storage refused (a locked-down browser): stay with the default
    }
  }

  // The message of `key` in the current language (falling back to Chinese, then to the key),
  // with each {name} replaced by params[name]; numbers are written the locale's way.
  function t(key, params = {}) {
    const template = messages[lang]?.[key] ?? messages[DEFAULT]?.[key] ?? key;
    return template.replace(/\{(\w+)\}/g, (whole, name) => {
      if (!(name in params)) return whole;
      const value = params[name];
      return typeof value === "number" ? number(value) : String(value);
    });
  }

  // The current language's name for a thing that may have none (a field, a relation type):
  // the fallback (the thing's own name) otherwise, never another language's.
  function label(key, fallback) {
    return messages[lang]?.[key] ?? fallback;
  }

  function number(value, options = {}) {
    return new Intl.NumberFormat(lang, options).format(value);
  }

  // An ISO instant (2024-05-01T08:30:00Z) as a local date and time: 2024年5月1日 16:30.
  function dateTime(iso) {
    const when = new Date(iso);
    if (Number.isNaN(when.getTime())) return String(iso);
    return new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" }).format(when);
  }

  // A calendar date (2024-05-01, no time zone) as 2024年5月1日.
  function date(isoDate) {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(isoDate));
    if (!match) return String(isoDate);
    const when = new Date(Date.UTC(+match[1], +match[2] - 1, +match[3]));
    return new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeZone: "UTC" }).format(when);
  }

  function apply(root = document) {
    document.documentElement.lang = lang;
    for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    for (const attribute of ["placeholder", "title", "aria-label"]) {
      const data = `data-i18n-${attribute}`;
      for (const node of root.querySelectorAll(`[${data}]`)) {
        node.setAttribute(attribute, t(node.getAttribute(data)));
      }
    }
    const other = lang === DEFAULT ? "en" : DEFAULT;
    for (const button of root.querySelectorAll("[data-i18n-switch]")) {
      button.textContent = LANGUAGES[other];
      button.lang = other;
      button.setAttribute("aria-label", `${t("language.switch")}: ${LANGUAGES[other]}`);
    }
  }

  function use(language) {
    lang = language in LANGUAGES ? language : DEFAULT;
    try {
      localStorage.setItem(STORAGE_KEY, lang);
    } catch {
      // not remembered; the page still switches
    }
    apply();
    for (const listener of listeners) listener(lang);
  }

  // Start a page: its dictionary ({"zh-CN": {...}, en: {...}}), the remembered language, and
  // every [data-i18n-switch] button toggling between the two.
  function init(dictionary) {
    messages = dictionary;
    lang = stored();
    for (const button of document.querySelectorAll("[data-i18n-switch]")) {
      button.addEventListener("click", () => use(lang === DEFAULT ? "en" : DEFAULT));
    }
    apply();
  }

  return {
    init, t, label, number, date, dateTime, apply, use,
    onChange: (listener) => listeners.push(listener),
    get lang() { return lang; },
  };
})();
