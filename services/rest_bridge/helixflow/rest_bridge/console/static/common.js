// Shared by the console pages: the CSRF token and small DOM helpers. No dependencies.
export const csrf = document.querySelector('meta[name="csrf-token"]').content;

// Calls the bridge's public /v1 API; the bridge adds the session's key when the CSRF token matches.
export function api(path, options = {}) {
  const headers = { "x-csrf-token": csrf, ...(options.headers || {}) };
  return fetch(path, { ...options, headers, credentials: "same-origin" });
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child ?? ""));
  return node;
}

export function live(path, onData) {
  const state = document.getElementById("live-state");
  const source = new EventSource(path);
  source.onopen = () => { state.textContent = "live"; state.className = "live on"; };
  source.onerror = () => { state.textContent = "reconnecting…"; state.className = "live off"; };
  source.onmessage = (event) => onData(JSON.parse(event.data));
  source.addEventListener("error", (event) => {
    if (event.data) { state.textContent = JSON.parse(event.data).message; state.className = "live off"; }
  });
  return source;
}
