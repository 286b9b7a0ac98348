// The official openai Node SDK against the bridge: one streaming chat, one embeddings call.
// Usage: node bridge_check.mjs <base_url> <model>; prints one JSON line with what it saw.
import OpenAI from "openai";

const [baseURL, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: "unused", maxRetries: 0 });

const stream = await client.chat.completions.create({
  model,
  messages: [{ role: "user", content: "Say hello." }],
  max_tokens: 8,
  stream: true,
  stream_options: { include_usage: true },
});
let text = "";
let role = null;
let finish = null;
let usage = null;
for await (const chunk of stream) {
  if (chunk.usage) usage = chunk.usage;
  for (const choice of chunk.choices) {
    role ??= choice.delta.role ?? null;
    text += choice.delta.content ?? "";
    finish = choice.finish_reason ?? finish;
  }
}
const emb = await client.embeddings.create({ model, input: ["hello", "world"] });
console.log(JSON.stringify({ role, text, finish, usage, embeddings: emb.data.map((d) => d.embedding.length) }));
