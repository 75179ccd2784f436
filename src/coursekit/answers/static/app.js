// Grading written answers by question: one question, its answers in groups, rubric items by key.
"use strict";
const params = new URLSearchParams(location.search);
const token = params.get("token");
const lead = document.body.dataset.lead === "true";
const POLL_MS = 2000; // how soon a page shows what another TA did
const state = { questions: [], key: null, view: null, units: [], current: 0, split: new Set() };

function headers() {
  const h = { "Content-Type": "application/json" };
  if (token) h.Authorization = "token " + token;
  const xsrf = document.cookie.split("; ").find((c) => c.startsWith("_xsrf="));
  if (xsrf) h["X-XSRFToken"] = decodeURIComponent(xsrf.slice(6));
  return h;
}

async function call(action, body) {
  const url = "api/" + action + (body ? "" : "?key=" + encodeURIComponent(state.key || ""));
  const response = await fetch(url, {
    method: body ? "POST" : "GET", headers: headers(), body: body ? JSON.stringify(body) : undefined,
  });
  const data = await response.json();
  if (!response.ok) {
    const error = new Error(data.error || response.statusText);
    error.status = response.status;
    throw error;
  }
  return data;
}

function say(text) {
  const box = document.getElementById("status");
  box.textContent = text;
  box.classList.add("show");
  clearTimeout(say.timer);
  say.timer = setTimeout(() => box.classList.remove("show"), 2500);
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => (k === "class" ? (node.className = v) : node.setAttribute(k, v)));
  children.forEach((c) => node.append(c));
  return node;
}

const fmt = (p) => (p > 0 ? "+" : "") + p;

function buildUnits() {
  const before = state.units[state.current];
  const first = before ? before.answers[0].student_id : null;
  state.units = [];
  state.view.groups.forEach((group, index) => {
    const id = group.answers.map((a) => a.student_id).join(",");
    if (state.split.has(id)) group.answers.forEach((a) => state.units.push({ answers: [a], blank: group.blank, id }));
    else state.units.push({ answers: group.answers, blank: group.blank, id });
  });
  const found = state.units.findIndex((u) => u.answers.some((a) => a.student_id === first));
  state.current = found >= 0 ? found : Math.min(state.current, state.units.length - 1);
}

function renderRubric() {
  const list = document.getElementById("rubric");
  list.replaceChildren();
  state.view.items.forEach((item, index) => {
    const li = el("li", { "data-item": item.item_id });
    if (lead) {
      const pts = el("input", { class: "pts-edit", type: "number", step: "0.5", value: item.points, "aria-label": "points of item " + (index + 1) });
      const desc = el("input", { class: "desc-edit", value: item.description, "aria-label": "item " + (index + 1) });
      const save = () => editItem(item.item_id, parseFloat(pts.value), desc.value);
      pts.addEventListener("change", save);
      desc.addEventListener("change", save);
      const remove = el("button", { class: "delete-item", title: "delete the item" }, "×");
      remove.addEventListener("click", () => editItem(item.item_id, item.points, item.description, true));
      li.append(el("kbd", {}, String(index + 1)), " ", pts, " ", desc, " ", remove);
    } else {
      li.append(el("kbd", {}, String(index + 1)), " ", el("span", { class: "pts" }, fmt(item.points)), " ", item.description);
    }
    list.append(li);
  });
  document.getElementById("rubric-edit").hidden = !lead;
}

function renderAnswers() {
  const box = document.getElementById("groups");
  box.replaceChildren();
  const items = new Map(state.view.items.map((i) => [i.item_id, i]));
  state.units.forEach((unit, index) => {
    const graded = unit.answers.every((a) => a.graded);
    const div = el("div", { class: "group" + (index === state.current ? " current" : "") + (graded ? " graded" : ""), "data-unit": index });
    const label = unit.blank ? unit.answers.length + " blank" : unit.answers.length + (unit.answers.length > 1 ? " alike answers" : " answer");
    div.append(el("div", { class: "head" }, el("span", { class: "count" }, label), el("span", {}, graded ? "graded" : "to grade")));
    const first = unit.answers[0];
    div.append(el("pre", { class: "text" }, first.text || "(blank)"));
    const members = el("div", { class: "members" });
    unit.answers.forEach((answer) => {
      const chips = answer.items.map((id) => items.get(id)).filter(Boolean)
        .map((i) => el("span", { class: "chip" + (i.points < 0 ? " neg" : "") }, fmt(i.points)));
      const row = el("div", { class: "answer", "data-student": answer.student_id },
        el("span", { class: "student" }, answer.student_id), " ",
        el("span", { class: "score" }, answer.score === null ? "–" : answer.score + " / " + state.view.points), " ", ...chips);
      if (answer.comment) row.append(" ", el("span", { class: "said" }, "“" + answer.comment + "”"));
      if (answer.text !== first.text) {
        row.append(el("details", {}, el("summary", {}, "worded differently"), el("pre", { class: "text" }, answer.text || "(blank)")));
      }
      members.append(row);
    });
    div.append(members);
    const comment = el("textarea", { class: "comment", placeholder: unit.answers.length > 1 ? "comment to all " + unit.answers.length + " (c)" : "comment (c)" });
    comment.value = unit.answers.every((a) => a.comment === first.comment) ? first.comment : "";
    comment.addEventListener("change", () => saveComment(unit.answers, comment.value));
    div.append(comment);
    div.addEventListener("click", (event) => {
      if (!["TEXTAREA", "SUMMARY"].includes(event.target.tagName) && index !== state.current) { state.current = index; renderAnswers(); }
    });
    box.append(div);
  });
  const total = state.units.reduce((n, u) => n + u.answers.length, 0);
  const done = state.units.reduce((n, u) => n + u.answers.filter((a) => a.graded).length, 0);
  document.getElementById("progress").textContent = done + " / " + total + " graded";
  const option = document.querySelector('#question option[value="' + state.key + '"]');
  if (option) option.textContent = state.key + " (" + (total - done) + " to grade)";
  document.getElementById("group-title").textContent = state.units.length + " groups of " + total + " answers";
  const current = box.querySelector(".current");
  if (current && current.scrollIntoView) current.scrollIntoView({ block: "nearest" });
}

function show(view) {
  state.view = view;
  document.getElementById("prompt").textContent = view.prompt;
  document.getElementById("model").textContent = view.model_answer;
  document.getElementById("points").textContent = "(" + view.points + " points)";
  document.getElementById("notes").textContent = view.notes;
  buildUnits();
  renderRubric();
  renderAnswers();
}

async function loadQuestion(key) {
  state.key = key;
  state.split.clear();
  state.current = 0;
  document.getElementById("question").value = key;
  show(await call("question"));
}

// Changes run one after another, in the order the TA made them: each shows the question as the
// server has it after that change, so a late answer never overwrites a newer view.
let pending = Promise.resolve();
function change(action, body, message) {
  pending = pending.then(() => send(action, body, message));
  return pending;
}

async function send(action, body, message) {
  try {
    show(await call(action, { key: state.key, ...body }));
    if (message) say(message);
  } catch (error) {
    say(error.message);
    if (error.status === 409) show(await call("question"));
  }
}

function unitStudents() {
  return state.units[state.current].answers.map((a) => a.student_id);
}

async function toggleItem(number) {
  const item = state.view.items[number - 1];
  const unit = state.units[state.current];
  if (!item || !unit) return;
  const applied = !unit.answers.every((a) => a.items.includes(item.item_id));
  await change("apply", { students: unitStudents(), item_id: item.item_id, applied },
    (applied ? "applied " : "removed ") + fmt(item.points) + " to " + unit.answers.length);
}

async function gradeUnit() {
  const unit = state.units[state.current];
  if (!unit) return;
  const students = unit.answers.map((a) => a.student_id);
  // On to the next answer now, not when the server has answered: keys typed meanwhile are for it.
  const next = state.units.findIndex((u, i) => i > state.current && !u.answers.every((a) => a.graded));
  if (next >= 0) state.current = next;
  renderAnswers();
  await change("grade", { students }, "graded " + students.length);
}

async function saveComment(answers, text) {
  const versions = Object.fromEntries(answers.map((a) => [a.student_id, a.comment_version]));
  await change("comment", { versions, comment: text }, "comment saved to " + answers.length);
}

async function editItem(itemId, points, description, remove) {
  await change("item", { item_id: itemId, points, description, delete: !!remove }, remove ? "item deleted" : "rubric saved, answers re-scored");
}

function move(step) {
  state.current = Math.max(0, Math.min(state.units.length - 1, state.current + step));
  renderAnswers();
}

function moveQuestion(step) {
  const keys = state.questions.map((q) => q.key);
  const next = keys[keys.indexOf(state.key) + step];
  if (next) loadQuestion(next);
}

document.addEventListener("keydown", (event) => {
  const tag = event.target.tagName;
  if (tag === "TEXTAREA" || tag === "INPUT" || tag === "SELECT") {
    if (event.key === "Escape") event.target.blur();
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (/^[1-9]$/.test(event.key)) toggleItem(Number(event.key));
  else if (event.key === "Enter" || event.key === "0") gradeUnit();
  else if (event.key === "j") move(1);
  else if (event.key === "k") move(-1);
  else if (event.key === "n") moveQuestion(1);
  else if (event.key === "p") moveQuestion(-1);
  else if (event.key === "u") { state.split.add(state.units[state.current].id); buildUnits(); renderAnswers(); }
  else if (event.key === "c") {
    const box = document.querySelector(".group.current textarea");
    if (box) box.focus();
  } else return;
  event.preventDefault();
});

document.getElementById("add-item").addEventListener("click", () => editItem(null, 0, "new item"));
document.getElementById("question").addEventListener("change", (e) => loadQuestion(e.target.value));

async function poll() {
  try {
    if (state.key) {
      const { version } = await call("version");
      if (state.view && version !== state.view.version) show(await call("question"));
    }
  } catch (error) {
    say(error.message);
  }
  setTimeout(poll, POLL_MS);
}

async function start() {
  state.questions = await call("questions");
  const select = document.getElementById("question");
  state.questions.forEach((q) => select.append(el("option", { value: q.key }, q.key + " (" + q.to_grade + " to grade)")));
  await loadQuestion(params.get("question") || state.questions[0].key);
  setTimeout(poll, POLL_MS);
}

start().catch((error) => say(error.message));
