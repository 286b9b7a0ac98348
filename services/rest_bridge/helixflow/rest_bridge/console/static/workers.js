import { el, live } from "./common.js";

const body = document.querySelector("#workers tbody");
const pct = (x) => `${(x * 100).toFixed(1)}%`;

live("/ui/events/workers", ({ workers }) => {
  body.replaceChildren(...workers.map((w) => {
    const health = w.draining ? "draining" : w.routable ? "ready" : w.serving ? "suspect" : "down";
    const model = w.model + (w.aliases.length ? ` (${w.aliases.join(", ")})` : "");
    return el("tr", { "data-address": w.address },
      el("td", {}, w.address),
      el("td", {}, el("span", { class: `badge ${health === "ready" ? "ok" : "bad"}` }, health)),
      el("td", {}, model),
      el("td", {}, w.backend),
      el("td", { class: "waiting" }, w.waiting),
      el("td", { class: "running" }, `${w.running}`),
      el("td", { class: "inflight" }, w.inflight),
      el("td", {}, el("meter", { min: 0, max: 1, value: w.kv }), " ", pct(w.kv)),
      el("td", {}, pct(w.prefix_hit)));
  }));
});
