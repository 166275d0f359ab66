// The SPARQL query page: runs the query with fetch and shows the answer (a table for JSON
// results, the text for any other format). No library, no request to another host.
"use strict";

const ID_BASE = "https://geokg.example.org/id/";

function cell(term) {
  const td = document.createElement("td");
  if (!term) return td;
  if (term.type === "uri") {
    td.className = "iri";
    td.textContent = term.value.startsWith(ID_BASE) ? "id:" + term.value.slice(ID_BASE.length) : term.value;
    td.title = term.value;
  } else {
    td.textContent = term.value + (term["xml:lang"] ? "@" + term["xml:lang"] : "");
  }
  return td;
}

function table(results) {
  const out = document.createElement("table");
  const head = out.createTHead().insertRow();
  for (const name of results.head.vars) {
    const th = document.createElement("th");
    th.textContent = name;
    head.appendChild(th);
  }
  const body = out.createTBody();
  for (const binding of results.results.bindings) {
    const row = body.insertRow();
    for (const name of results.head.vars) row.appendChild(cell(binding[name]));
  }
  return out;
}

async function run(event) {
  event.preventDefault();
  const query = document.getElementById("query").value;
  const format = document.getElementById("format").value;
  const status = document.getElementById("status");
  const result = document.getElementById("result");
  const params = new URLSearchParams({ query });
  if (format) params.set("format", format);
  status.textContent = "running…";
  result.replaceChildren();
  const started = performance.now();
  let response;
  try {
    response = await fetch("/sparql", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: params,
    });
  } catch (error) {
    status.textContent = "the server could not be reached";
    return;
  }
  const took = Math.round(performance.now() - started);
  const type = response.headers.get("Content-Type") || "";
  if (!response.ok) {
    const problem = type.includes("json") ? await response.json() : { detail: await response.text() };
    const p = document.createElement("p");
    p.className = "problem";
    p.textContent = `${response.status} ${problem.title || ""}: ${problem.detail || ""}`;
    result.appendChild(p);
    status.textContent = "";
    return;
  }
  if (type.startsWith("application/sparql-results+json")) {
    const data = await response.json();
    if ("boolean" in data) {
      const p = document.createElement("p");
      p.textContent = String(data.boolean);
      result.appendChild(p);
      status.textContent = `yes/no answer in ${took} ms`;
    } else {
      result.appendChild(table(data));
      status.textContent = `${data.results.bindings.length} rows in ${took} ms`;
    }
  } else {
    const pre = document.createElement("pre");
    pre.textContent = await response.text();
    result.appendChild(pre);
    status.textContent = `${type.split(";")[0]} in ${took} ms`;
  }
  result.focus();
}

document.getElementById("query-form").addEventListener("submit", run);
for (const button of document.querySelectorAll(".example")) {
  button.addEventListener("click", () => {
    document.getElementById("query").value = button.dataset.query;
    document.getElementById("query").focus();
  });
}
// Ctrl+Enter (or Cmd+Enter) in the query runs it.
document.getElementById("query").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    document.getElementById("query-form").requestSubmit();
  }
});
