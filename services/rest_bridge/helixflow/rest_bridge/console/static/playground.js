// The playground: streams a chat completion from the bridge's public /v1 API and shows
// TTFT, tokens/s and usage per reply, plus the same request as curl and Python.
import { api, el } from "./common.js";

const $ = (id) => document.getElementById(id);
const baseUrl = document.querySelector(".play").dataset.baseUrl;
const history = [];
let controller = null;

async function loadModels() {
  const reply = await api("/v1/models");
  if (!reply.ok) { showError(`GET /v1/models: ${reply.status}`); return; }
  const { data } = await reply.json();
  $("model").replaceChildren(...data.map((m) => el("option", { value: m.id }, m.id)));
  renderSnippets();
}

function showError(text) {
  $("chat-error").textContent = text;
  $("chat-error").hidden = !text;
}

function body(messages) {
  const req = { model: $("model").value, messages, stream: true, stream_options: { include_usage: true } };
  const num = (id, parse) => { const v = $(id).value.trim(); if (v !== "") req[id] = parse(v); };
  num("temperature", Number); num("top_p", Number); num("max_tokens", (v) => parseInt(v, 10)); num("seed", (v) => parseInt(v, 10));
  const stop = $("stop").value.split(",").map((s) => s.trim()).filter(Boolean);
  if (stop.length) req.stop = stop;
  const schema = $("json_schema").value.trim();
  if (schema) req.response_format = { type: "json_schema", json_schema: { name: "playground", schema: JSON.parse(schema) } };
  return req;
}

function withSystem(messages) {
  const system = $("system").value.trim();
  return system ? [{ role: "system", content: system }, ...messages] : messages;
}

function renderSnippets() {
  let req;
  try { req = body(withSystem([...history, { role: "user", content: $("prompt").value || "Hello" }])); }
  catch { return; }
  const json = JSON.stringify(req, null, 2);
  $("snippet-curl").textContent =
    `curl -N ${baseUrl}/v1/chat/completions \\\n  -H "Authorization: Bearer $HELIXFLOW_API_KEY" \\\n` +
    `  -H "Content-Type: application/json" \\\n  -d '${json.replaceAll("'", "'\\''")}'`;
  const { model, messages, stream, stream_options, ...rest } = req;
  const py = (v) => JSON.stringify(v).replaceAll("true", "True").replaceAll("false", "False").replaceAll("null", "None");
  const extra = Object.entries(rest).map(([k, v]) => `    ${k}=${py(v)},\n`).join("");
  $("snippet-python").textContent =
    `import os\nfrom openai import OpenAI\n\nclient = OpenAI(base_url="${baseUrl}/v1", api_key=os.environ["HELIXFLOW_API_KEY"])\n` +
    `stream = client.chat.completions.create(\n    model=${py(model)},\n    messages=${py(messages)},\n${extra}` +
    `    stream=True,\n    stream_options={"include_usage": True},\n)\nfor chunk in stream:\n` +
    `    if chunk.choices and chunk.choices[0].delta.content:\n        print(chunk.choices[0].delta.content, end="", flush=True)\n`;
}

async function send(event) {
  event.preventDefault();
  showError("");
  const prompt = $("prompt").value;
  let req;
  try { req = body(withSystem([...history, { role: "user", content: prompt }])); }
  catch (err) { showError(`JSON schema: ${err.message}`); return; }
  renderSnippets();
  $("transcript").append(el("div", { class: "msg user" }, el("span", { class: "text" }, prompt)));
  const text = el("span", { class: "text" });
  const reply = el("div", { class: "msg assistant streaming" }, text);
  $("transcript").append(reply);
  $("stats").textContent = "";
  $("send").disabled = true; $("stop-btn").disabled = false;
  controller = new AbortController();
  const t0 = performance.now();
  let tFirst = null, usage = null, finish = null;
  try {
    const res = await api("/v1/chat/completions", {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(req), signal: controller.signal,
    });
    if (!res.ok) { const e = await res.json().catch(() => ({})); throw new Error(`${res.status}: ${e.error?.message ?? res.statusText}`); }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, cut); buffer = buffer.slice(cut + 2);
        const data = frame.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
        if (!data || data === "[DONE]") continue;
        const chunk = JSON.parse(data);
        if (chunk.error) throw new Error(chunk.error.message);
        if (chunk.usage) usage = chunk.usage;
        for (const choice of chunk.choices ?? []) {
          if (choice.delta?.content) { tFirst ??= performance.now(); text.textContent += choice.delta.content; }
          if (choice.finish_reason) finish = choice.finish_reason;
        }
      }
    }
    history.push({ role: "user", content: prompt }, { role: "assistant", content: text.textContent });
    $("prompt").value = "";
  } catch (err) {
    showError(err.name === "AbortError" ? "stopped" : String(err.message ?? err));
  } finally {
    const tEnd = performance.now();
    reply.classList.remove("streaming");
    $("send").disabled = false; $("stop-btn").disabled = true;
    const ttft = tFirst === null ? null : tFirst - t0;
    const rate = usage && tFirst !== null && tEnd > tFirst ? usage.completion_tokens / ((tEnd - tFirst) / 1000) : null;
    const stats = $("stats");
    stats.dataset.ttftMs = ttft?.toFixed(0) ?? "";
    stats.dataset.completionTokens = usage?.completion_tokens ?? "";
    stats.textContent = [
      ttft === null ? "no token" : `TTFT ${ttft.toFixed(0)} ms`,
      rate === null ? null : `${rate.toFixed(1)} tok/s`,
      usage ? `${usage.prompt_tokens} prompt + ${usage.completion_tokens} completion tokens` : null,
      finish ? `finish: ${finish}` : null,
    ].filter(Boolean).join(" · ");
    reply.append(el("div", { class: "meta" }, stats.textContent));
  }
}

$("chat-form").addEventListener("submit", send);
$("stop-btn").addEventListener("click", () => controller?.abort());
$("clear").addEventListener("click", () => { history.length = 0; $("transcript").replaceChildren(); renderSnippets(); });
for (const id of ["model", "system", "temperature", "top_p", "max_tokens", "seed", "stop", "json_schema", "prompt"]) {
  $(id).addEventListener("input", renderSnippets);
}
loadModels();
