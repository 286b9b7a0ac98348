import { el, live } from "./common.js";

const body = document.querySelector("#requests tbody");
const MAX_ROWS = 200;
const seen = new Set(); // each reconnect replays the router's backlog

live("/ui/events/requests", (r) => {
  const key = `${r.id}@${r.finished_at}`;
  if (seen.has(key)) return;
  seen.add(key);
  const when = new Date(r.finished_at).toLocaleTimeString();
  const row = el("tr", { "data-request-id": r.id, class: r.status === "OK" ? "" : "failed" },
    el("td", {}, when),
    el("td", {}, el("code", {}, r.id)),
    el("td", {}, r.key_name || r.key_id),
    el("td", {}, r.model),
    el("td", {}, r.prompt_tokens),
    el("td", {}, r.completion_tokens),
    el("td", {}, r.ttft_ms ?? ""),
    el("td", {}, r.latency_ms),
    el("td", { class: "status" }, el("span", { class: `badge ${r.status === "OK" ? "ok" : "bad"}` }, r.status)));
  body.prepend(row);
  while (body.children.length > MAX_ROWS) body.lastElementChild.remove();
});
