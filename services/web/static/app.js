// klantprofielen web view: refresh the overview without reloading, switch a chart's count, highlight a series.
"use strict";

function lookup(data, path) {
  return path.split(".").reduce((value, key) => (value == null ? undefined : value[key]), data);
}

function show(value) {
  if (value === null || value === undefined) return "unknown";
  if (typeof value === "number" && !Number.isInteger(value)) return String(Math.round(value));
  return String(value);
}

function timeText(iso) {
  return iso ? iso.replace("T", " ").slice(0, 19) : "—";
}

function fillList(list, items, render, empty) {
  list.replaceChildren();
  if (!items.length) {
    const li = document.createElement("li");
    li.className = "muted";
    li.textContent = empty;
    list.append(li);
  }
  for (const item of items) {
    const li = document.createElement("li");
    li.textContent = render(item);
    list.append(li);
  }
}

async function refreshOverview() {
  const facts = document.getElementById("facts");
  if (!facts) return;
  try {
    const response = await fetch("/api/status", { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) return;
    const status = await response.json();
    for (const element of document.querySelectorAll("[data-status]")) {
      const key = element.dataset.status;
      const value = lookup(status, key);
      element.textContent = key === "generated_at" ? timeText(value) : show(value === null && key.endsWith("age_seconds") ? "—" : value);
    }
    const last = status.last_error;
    document.getElementById("last-error").textContent = last ? `${timeText(last.stored_at)} · ${last.name}: ${last.reason}` : "none";
    const recent = (status.store && status.store.quarantined_recent) || [];
    fillList(document.getElementById("quarantined"), recent, (item) => `${timeText(item.stored_at)} · ${item.name}: ${item.reason}`, "none");
    const problems = document.getElementById("problems");
    problems.replaceChildren();
    if (status.problems.length) {
      const ul = document.createElement("ul");
      ul.className = "problems";
      fillList(ul, status.problems, (p) => p, "");
      problems.append(ul);
    }
  } catch (error) {
    // The next tick tries again; a failed fetch is not worth a console error.
  }
}

function switchCount(count) {
  for (const group of document.querySelectorAll("g.count")) {
    const shown = group.dataset.count === count;
    group.hidden = !shown;
    group.style.display = shown ? "" : "none";
  }
  for (const link of document.querySelectorAll("nav.counts a")) {
    if (link.dataset.count === count) link.setAttribute("aria-current", "true");
    else link.removeAttribute("aria-current");
  }
}

function highlight(key) {
  for (const svg of document.querySelectorAll("figure.chart svg")) {
    svg.classList.toggle("highlighting", key !== null);
    for (const line of svg.querySelectorAll("polyline.series")) {
      line.classList.toggle("highlight", line.dataset.series === key);
    }
  }
  for (const item of document.querySelectorAll("ul.legend li")) {
    item.classList.toggle("highlight", item.dataset.series === key);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  if (document.getElementById("facts")) {
    refreshOverview();
    setInterval(refreshOverview, 5000);
  }
  for (const link of document.querySelectorAll("nav.counts a")) {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      switchCount(link.dataset.count);
      history.replaceState(null, "", link.href);
    });
  }
  for (const item of document.querySelectorAll("ul.legend li")) {
    item.addEventListener("mouseenter", () => highlight(item.dataset.series));
    item.addEventListener("mouseleave", () => highlight(null));
  }
  for (const line of document.querySelectorAll("polyline.series")) {
    line.addEventListener("mouseenter", () => highlight(line.dataset.series));
    line.addEventListener("mouseleave", () => highlight(null));
  }
});
